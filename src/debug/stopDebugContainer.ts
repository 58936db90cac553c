/**
 * "Stop Debug Container". Ephemeral containers cannot be removed, but their processes can end, after which the
 * pod shows the container Terminated and it holds nothing. An exec in the container kills every process that
 * shares its mount namespace (i.e. belongs to this container, whatever PID namespace it shares) except itself,
 * children before parents so none is left a zombie under the target (stopDebugContainer.sh), in rounds: TERM
 * first, then KILL for what ignored it (an interactive shell ignores TERM). The pause between rounds is ours, so
 * that no process of the script is alive to be orphaned when the container's last process ends.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterApi } from '../cluster/clusterApi';
import { shellScript } from '../shell/shellScript';
import { DebugFlowError } from './debugFlowError';
import { ephemeralContainerSpec, ephemeralContainerStatus } from './debugContainers';
import { execCapture } from './execCapture';
import stopScript from './stopDebugContainer.sh';
import { waitForEphemeralTermination } from './waitForTermination';

export const STOP_SCRIPT = shellScript(stopScript);
/** TERM for the first rounds, then KILL; a round every ROUND_PAUSE_MS until nothing of the container is left. */
const TERM_ROUNDS = 10;
const ROUNDS = 20;
const ROUND_PAUSE_MS = 200;

export interface StopOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (message: string) => void;
}

/** Ends the debug container's processes and resolves with the pod once its status says Terminated. */
export async function stopDebugContainer(api: ClusterApi, namespace: string, podName: string, containerName: string, options: StopOptions = {}): Promise<V1Pod> {
  const pod = await api.readPod(namespace, podName);
  if (ephemeralContainerSpec(pod, containerName) === undefined) {
    throw new DebugFlowError('not-found', `Pod ${podName} has no ephemeral container ${containerName}`);
  }
  const state = ephemeralContainerStatus(pod, containerName)?.state;
  if (state?.terminated !== undefined) {
    return pod;
  }
  if (state?.running === undefined) {
    throw new DebugFlowError('exec-failed', `Debug container ${containerName} is not running (${state?.waiting?.reason ?? 'not started'}), so there is nothing to stop`);
  }
  options.onProgress?.(`ending the processes of ${containerName}…`);
  for (let round = 0; round < ROUNDS; round++) {
    const signal = round < TERM_ROUNDS ? 'TERM' : 'KILL';
    let output: string;
    try {
      output = (await execCapture(api, namespace, podName, containerName, ['sh', '-c', STOP_SCRIPT, 'stop-debug-container', signal], options.signal)).stdout;
    } catch (error) {
      // After the first round a refused exec means the container has ended (its last process went): the status decides.
      if (round > 0 && !options.signal?.aborted) break;
      const text = error instanceof Error ? error.message : String(error);
      throw new DebugFlowError('exec-failed', `Could not run a command in ${containerName} to stop it (${text}): it needs a shell; exit its attached shell instead`, undefined, undefined, error);
    }
    // "none": only our script was left; anything else (cut off as the container ended, "signalled N"): look again.
    if (output.trim() === 'none') break;
    await sleep(ROUND_PAUSE_MS, undefined, { signal: options.signal });
  }
  options.onProgress?.(`waiting for ${containerName} to be reported terminated…`);
  return waitForEphemeralTermination(api, namespace, podName, containerName, options);
}
