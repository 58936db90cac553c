/**
 * Small conveniences over the REAL @kubernetes/client-node, for suites that drive the loopback cluster
 * the way the extension will: watch until a condition holds, run a command and collect its output.
 */
import { PassThrough, Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';

export function kubeConfigFor(yaml: string, context = 'loopback-admin'): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(yaml);
  kc.setCurrentContext(context);
  return kc;
}

/**
 * Resolves with the pod once `predicate` holds, watching from the listed resourceVersion so no change
 * is missed between the read and the watch. Rejects with the last seen status after `timeoutMs`.
 */
export async function waitForPod(kc: k8s.KubeConfig, namespace: string, name: string,
  predicate: (pod: k8s.V1Pod) => boolean, timeoutMs = 45_000): Promise<k8s.V1Pod> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const list = await core.listNamespacedPod({ namespace, fieldSelector: `metadata.name=${name}` });
  let last = list.items[0];
  if (last && predicate(last)) return last;
  return new Promise((resolve, reject) => {
    let controller: AbortController | undefined;
    const timer = setTimeout(() => {
      controller?.abort();
      reject(new Error(`pod ${namespace}/${name} did not reach the expected state; last status: ${JSON.stringify(last?.status)}`));
    }, timeoutMs);
    new k8s.Watch(kc).watch(`/api/v1/namespaces/${namespace}/pods`,
      { fieldSelector: `metadata.name=${name}`, resourceVersion: list.metadata?.resourceVersion },
      (_type, pod: k8s.V1Pod) => {
        last = pod;
        if (predicate(pod)) {
          clearTimeout(timer);
          controller?.abort();
          resolve(pod);
        }
      },
      (error) => {
        if (error && (error as Error).name !== 'AbortError') {
          clearTimeout(timer);
          reject(error);
        }
      }).then((c) => { controller = c; }, (error: unknown) => { clearTimeout(timer); reject(error); });
  });
}

export function containerStatus(pod: k8s.V1Pod, container: string): k8s.V1ContainerStatus | undefined {
  const all = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.ephemeralContainerStatuses ?? [])];
  return all.find((status) => status.name === container);
}

export const isRunning = (container: string) => (pod: k8s.V1Pod) => containerStatus(pod, container)?.state?.running !== undefined;

class Collector extends Writable {
  private chunks: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk);
    callback();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  status: k8s.V1Status;
  /** From the NonZeroExitCode cause; 0 on Success. */
  exitCode: number;
}

/** Runs a command through the exec subresource and waits for the channel-3 Status. */
export async function execCollect(kc: k8s.KubeConfig, namespace: string, pod: string, container: string,
  command: string[], input?: string): Promise<ExecResult> {
  const stdout = new Collector();
  const stderr = new Collector();
  const stdin = input === undefined ? null : new PassThrough();
  const status = await new Promise<k8s.V1Status>((resolve, reject) => {
    new k8s.Exec(kc).exec(namespace, pod, container, command, stdout, stderr, stdin, false, resolve)
      .then((socket) => {
        socket.on('close', (code: number) => setTimeout(() => reject(new Error(`exec socket closed (${code}) without a status`)), 2000));
        if (stdin) stdin.end(input);
      }, reject);
  });
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  return { stdout: stdout.text(), stderr: stderr.text(), status, exitCode: status.status === 'Success' ? 0 : Number(cause?.message ?? -1) };
}
