/**
 * Runs a playbook: a debug container with the playbook's image and profile (through the attach flow, so the
 * policy applies), the target's main PID found from inside it, then each step with exec (`sh -c`, values
 * passed as positional arguments that the step's prelude exports), its output streamed and kept (capped), artifacts
 * copied out byte for byte, and the run stopped at the first failing required step.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { ClusterApi } from '../cluster/clusterApi';
import { closeOnAbort } from '../cluster/closeOnAbort';
import { attachDebugContainer } from '../debug/attachFlow';
import type { DebugPolicy } from '../debug/debugContainerSpec';
import type { NamedProfile } from '../debug/profiles';
import { redactCommandLine } from '../diagnostics/redact';
import { chooseTargetProcess, listProcessesCommand, parseProcessListing, type TargetProcessChoice } from '../terminal/targetProcess';
import { stepCommand } from './shellEnv';
import { READ_TARGET_LOG_DIRECTIVE, type Playbook, type PlaybookStep } from './types';

export const STEP_OUTPUT_CAP = 256 * 1024;
export const DEFAULT_STEP_TIMEOUT_SECONDS = 120;

export interface PlaybookTarget {
  readonly namespace: string;
  readonly pod: string;
  /** The app container; null: a debug container without a target (playbooks with needsTarget: false). */
  readonly container?: string | null;
}

export interface PlaybookRunOptions {
  readonly sessionId?: string;
  readonly policy?: DebugPolicy;
  /** Values of the playbook's inputs (missing ones are empty). */
  readonly inputs?: Readonly<Record<string, string>>;
  readonly onStepOutput?: (stepIndex: number, chunk: string) => void;
  /** Called before each step runs. */
  readonly onStepStart?: (stepIndex: number, step: PlaybookStep) => void;
  /** Stores an artifact and says where (a path or URI); without it artifacts stay in memory on the result. */
  readonly writeArtifact?: (name: string, content: Buffer) => Promise<string>;
  readonly signal?: AbortSignal;
  /**
   * Adds (or picks) the debug container. The UI passes one over attachDebugContainer with its confirmations;
   * the default calls attachDebugContainer with the policy, running `sh` so the image's own command (a REPL,
   * a JVM shell) does not start.
   */
  readonly attach?: (image: string, profile: NamedProfile) => Promise<{ containerName: string }>;
}

export interface PlaybookArtifact {
  readonly name: string;
  readonly size: number;
  /** What writeArtifact returned. */
  readonly location?: string;
  /** Only when no writeArtifact was given. */
  readonly content?: Buffer;
}

export type StepStatus = 'ok' | 'failed' | 'skipped' | 'timed-out' | 'cancelled';

export interface PlaybookStepResult {
  readonly title: string;
  readonly status: StepStatus;
  /** undefined when the step did not run or the stream ended without a status. */
  readonly exitCode?: number;
  /** stdout and stderr interleaved, the first STEP_OUTPUT_CAP bytes. */
  readonly output: string;
  readonly truncated: boolean;
  readonly artifacts: readonly PlaybookArtifact[];
}

export interface PlaybookRun {
  readonly playbookId: string;
  readonly containerName: string;
  readonly targetPid?: number;
  /** How the target PID was chosen, or why it was not found. */
  readonly targetNote: string;
  readonly steps: readonly PlaybookStepResult[];
  /** Every required step succeeded. */
  readonly ok: boolean;
}

/** stdout and stderr of a step, interleaved as they arrive: streamed on, and kept up to STEP_OUTPUT_CAP. */
class StepOutput {
  private readonly kept: Buffer[] = [];
  private keptBytes = 0;
  truncated = false;
  constructor(private readonly onChunk?: (chunk: string) => void) {}
  /** One Writable per channel: the exec client may end each of them. */
  channel(): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        this.add(chunk);
        callback();
      },
    });
  }
  private add(chunk: Buffer): void {
    this.onChunk?.(chunk.toString('utf8'));
    const room = STEP_OUTPUT_CAP - this.keptBytes;
    if (room > 0) {
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.kept.push(Buffer.from(part));
      this.keptBytes += part.length;
    }
    if (chunk.length > room) this.truncated = true;
  }
  text(): string {
    return Buffer.concat(this.kept).toString('utf8');
  }
}

class BufferSink extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    callback();
  }
}

interface ExecOutcome {
  readonly exitCode: number | undefined;
  readonly ended: 'done' | 'timeout' | 'aborted';
}

async function execStreaming(api: ClusterApi, target: PlaybookTarget, container: string, argv: string[], stdout: Writable, stderr: Writable, timeoutMs: number, signal?: AbortSignal): Promise<ExecOutcome> {
  const connection = await api.exec(target.namespace, target.pod, container, argv, { stdout, stderr, tty: false });
  let ended: ExecOutcome['ended'] = 'done';
  const timer = setTimeout(() => {
    ended = 'timeout';
    connection.close();
  }, timeoutMs);
  const stopListening = closeOnAbort(connection, signal, () => {
    ended = 'aborted';
    connection.close();
  });
  try {
    const status = await connection.closed;
    const cause = status?.details?.causes?.find((c) => c.reason === 'ExitCode');
    const exitCode = status === undefined ? undefined : status.status === 'Success' ? 0 : cause?.message !== undefined ? Number(cause.message) : undefined;
    return { exitCode, ended };
  } finally {
    clearTimeout(timer);
    stopListening();
  }
}

/**
 * What the target wrote to its log for this step: the part after `marker` when the script could write it
 * there, else the tail; with `startPattern`, from that pattern's last line within it (e.g. "Full thread dump").
 */
export function logAfterMarker(log: string, marker: string, startPattern?: string, tailLines = 400): string {
  const at = log.lastIndexOf(marker);
  let text = at >= 0 ? log.slice(log.indexOf('\n', at) + 1) : log.split('\n').slice(-tailLines).join('\n');
  if (startPattern !== undefined && startPattern !== '') {
    const start = text.lastIndexOf(startPattern);
    if (start >= 0) text = text.slice(text.lastIndexOf('\n', start) + 1);
  }
  return text;
}

async function defaultAttach(api: ClusterApi, target: PlaybookTarget, options: PlaybookRunOptions, image: string, profile: NamedProfile): Promise<{ containerName: string }> {
  const result = await attachDebugContainer(
    api,
    { namespace: target.namespace, podName: target.pod, image, profile, targetContainer: target.container, sessionId: options.sessionId, command: ['sh'] },
    { policy: options.policy },
    {},
    options.signal,
  );
  return { containerName: result.containerName };
}

/**
 * The target line of a run (and its transcript): the command line redacted like every other report's, on one line
 * (the target chooses its argv: a newline in it must not add lines to the transcript).
 */
export function describeTargetChoice(choice: TargetProcessChoice): string {
  const oneLine = (text: string): string => text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return 'pid' in choice ? `PID ${choice.pid} (${oneLine(redactCommandLine(choice.cmdline))}): ${choice.how}` : `target process not found: ${oneLine(choice.error)}`;
}

export async function runPlaybook(api: ClusterApi, playbook: Playbook, target: PlaybookTarget, options: PlaybookRunOptions = {}): Promise<PlaybookRun> {
  const { containerName } = options.attach !== undefined
    ? await options.attach(playbook.image, playbook.profile)
    : await defaultAttach(api, target, options, playbook.image, playbook.profile);
  const pod = await api.readPod(target.namespace, target.pod);
  const targetContainer = target.container === null ? '' : target.container ?? pod.spec?.containers?.[0]?.name ?? '';

  // The target's main process, seen from the debug container (none without a target: only the pod's network).
  let targetPid: number | undefined;
  let targetNote = 'no target container: the pod\'s network, IPC and hostname only';
  if (target.container !== null) {
    const listing = new BufferSink();
    await execStreaming(api, target, containerName, listProcessesCommand(), listing, new BufferSink(), 30_000, options.signal);
    const choice = chooseTargetProcess(parseProcessListing(Buffer.concat(listing.chunks).toString('utf8')), pod, targetContainer);
    targetPid = 'pid' in choice ? choice.pid : undefined;
    targetNote = describeTargetChoice(choice);
  }

  const runId = randomBytes(6).toString('hex');
  const workDir = `/tmp/playbook-${runId}`;
  const marker = `--- ephemeral-debug playbook ${playbook.id} ${runId} ---`;
  const inputs: Record<string, string> = {};
  for (const input of playbook.inputs ?? []) inputs[input.name] = options.inputs?.[input.name] ?? '';
  const baseVariables: Record<string, string> = {
    ...inputs,
    TARGET_PID: targetPid === undefined ? '' : String(targetPid),
    TARGET_CONTAINER: targetContainer,
    POD_NAME: target.pod,
    POD_NAMESPACE: target.namespace,
    ARTIFACT_DIR: workDir,
    PLAYBOOK_LOG_MARKER: marker,
  };

  const steps: PlaybookStepResult[] = [];
  let stopped = false;
  let ok = true;
  try {
    for (const [index, step] of playbook.steps.entries()) {
      if (stopped) {
        steps.push({ title: step.title, status: 'skipped', output: '', truncated: false, artifacts: [] });
        continue;
      }
      options.onStepStart?.(index, step);
      const result = await runStep(api, target, containerName, step, index, { ...baseVariables, ...(step.output === 'artifact' ? { ARTIFACT: `${workDir}/${step.artifactName ?? 'artifact'}` } : {}) }, targetContainer, marker, options);
      steps.push(result);
      const required = step.required !== false;
      if (result.status === 'cancelled') {
        ok = false;
        stopped = true;
      } else if (result.status !== 'ok' && required) {
        ok = false;
        stopped = true;
      }
    }
  } finally {
    // Best effort: the scratch folder may hold a heap snapshot; the container itself stays for reuse.
    await execStreaming(api, target, containerName, ['rm', '-rf', workDir], new BufferSink(), new BufferSink(), 15_000).catch(() => undefined);
  }
  return { playbookId: playbook.id, containerName, targetPid, targetNote, steps, ok };
}

async function runStep(
  api: ClusterApi,
  target: PlaybookTarget,
  containerName: string,
  step: PlaybookStep,
  index: number,
  variables: Record<string, string>,
  targetContainer: string,
  marker: string,
  options: PlaybookRunOptions,
): Promise<PlaybookStepResult> {
  const emit = (chunk: string): void => options.onStepOutput?.(index, chunk);
  const sink = new StepOutput(emit);
  const timeoutMs = (step.timeoutSeconds ?? DEFAULT_STEP_TIMEOUT_SECONDS) * 1000;
  const outcome = await execStreaming(api, target, containerName, stepCommand(step.script, variables), sink.channel(), sink.channel(), timeoutMs, options.signal);
  let output = sink.text();
  const artifacts: PlaybookArtifact[] = [];

  const directive = output.split('\n').map((line) => line.trim()).find((line) => line.startsWith(READ_TARGET_LOG_DIRECTIVE));
  if (directive !== undefined && targetContainer !== '') {
    try {
      const log = await api.readLog(target.namespace, target.pod, targetContainer, { tailLines: 5000 });
      const appended = `--- from ${targetContainer}'s log ---\n${logAfterMarker(log, marker, directive.slice(READ_TARGET_LOG_DIRECTIVE.length).trim())}\n`;
      emit(appended);
      output += appended;
    } catch (error) {
      const note = `reading the log of ${targetContainer} failed: ${error instanceof Error ? error.message : String(error)}\n`;
      emit(note);
      output += note;
    }
  }

  let status: StepStatus = outcome.ended === 'timeout' ? 'timed-out' : outcome.ended === 'aborted' ? 'cancelled' : outcome.exitCode === 0 ? 'ok' : 'failed';
  if (outcome.ended === 'timeout') emit(`\nstep "${step.title}" timed out after ${timeoutMs / 1000} s\n`);

  if (status === 'ok' && step.output === 'artifact') {
    const name = step.artifactName ?? 'artifact';
    const content = new BufferSink();
    const errors = new StepOutput();
    const copied = await execStreaming(api, target, containerName, ['cat', `${variables.ARTIFACT_DIR}/${name}`], content, errors.channel(), 10 * 60_000, options.signal);
    if (copied.exitCode !== 0) {
      const note = `the step succeeded but its artifact ${name} could not be read: ${errors.text().trim() || `cat exited ${copied.exitCode}`}\n`;
      emit(note);
      output += note;
      status = 'failed';
    } else {
      const bytes = Buffer.concat(content.chunks);
      const location = options.writeArtifact !== undefined ? await options.writeArtifact(name, bytes) : undefined;
      artifacts.push({ name, size: bytes.length, ...(location !== undefined ? { location } : { content: bytes }) });
      emit(`artifact ${name}: ${bytes.length} bytes${location !== undefined ? ` → ${location}` : ''}\n`);
    }
  }
  return { title: step.title, status, exitCode: outcome.exitCode, output, truncated: sink.truncated, artifacts };
}
