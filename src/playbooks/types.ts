/**
 * Playbooks as data: a common investigation (network and DNS, JVM threads, a Node heap snapshot, …) is a debug
 * image, the least profile that lets its steps work, and POSIX sh steps run in the debug container. Built-ins
 * live in catalog.ts; users add or replace them in settings (normalize.ts validates both the same way).
 */
import type { NamedProfile } from '../debug/profiles';

export const PLAYBOOK_RUNTIMES = ['node', 'java', 'python', 'go'] as const;
export type PlaybookRuntime = (typeof PLAYBOOK_RUNTIMES)[number];

export type StepOutputKind = 'terminal' | 'artifact';

export interface PlaybookInput {
  /** The environment variable the steps read, e.g. `ENDPOINT` (upper case, digits, underscores). */
  readonly name: string;
  /** The question the picker asks. */
  readonly prompt: string;
  /**
   * Default value; may hold placeholders completed from the target (see inputs.ts): `{{port}}`,
   * `{{readinessPort}}`, `{{readinessPath}}`, `{{env:NAME}}`, `{{dbEndpoint}}`.
   */
  readonly default?: string;
}

export interface PlaybookStep {
  readonly title: string;
  /**
   * POSIX sh (busybox-compatible where the image is busybox). Runs after the runner's prelude (steps/prelude.sh) in
   * ARTIFACT_DIR, with TARGET_PID, TARGET_CONTAINER, POD_NAME, POD_NAMESPACE, PLAYBOOK_LOG_MARKER, the inputs, and
   * for artifact steps ARTIFACT (the file to write) in its environment, and the prelude's functions `printable TEXT`
   * (pod-controlled text on one line, control characters as ?) and `need_target` (fails without a target PID).
   * A line `::read-target-log:: [pattern]` on stdout asks the runner to append the target's log written after
   * the script wrote PLAYBOOK_LOG_MARKER into it (else its tail), from the last line holding `pattern` when
   * given (e.g. a JVM thread dump sent to stdout by `kill -3`).
   */
  readonly script: string;
  readonly output: StepOutputKind;
  /** File name of the artifact (letters, digits, `.`, `_`, `-`); required when output is 'artifact'. */
  readonly artifactName?: string;
  /** Default true: a failing required step stops the playbook; a failing optional one is reported and skipped past. */
  readonly required?: boolean;
  /** Default 120. */
  readonly timeoutSeconds?: number;
}

export interface Playbook {
  /** Lower case, digits and dashes; a user playbook with a built-in's id replaces it. */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** The debug image whose tools the steps use. */
  readonly image: string;
  /** The least profile that works (e.g. `general` when ptrace or another uid's /proc is needed). */
  readonly profile: NamedProfile;
  /** The runtime it is for, to rank it when the target's image or command shows that runtime. */
  readonly runtime?: PlaybookRuntime;
  readonly inputs?: readonly PlaybookInput[];
  readonly steps: readonly PlaybookStep[];
  /**
   * false: the steps use only the pod's network (TARGET_PID may be empty), so on a debug container without a
   * target the playbook runs in one without a target too. Default true.
   */
  readonly needsTarget?: boolean;
}

/** Variables the runner sets; inputs may not use these names. */
export const RESERVED_VARIABLES: readonly string[] = [
  'TARGET_PID', 'TARGET_CONTAINER', 'POD_NAME', 'POD_NAMESPACE', 'ARTIFACT', 'ARTIFACT_DIR', 'PLAYBOOK_LOG_MARKER',
  'PATH', 'HOME', 'IFS', 'PWD', 'SHELL', 'ENV', 'LD_PRELOAD', 'LD_LIBRARY_PATH',
];

export const READ_TARGET_LOG_DIRECTIVE = '::read-target-log::';
