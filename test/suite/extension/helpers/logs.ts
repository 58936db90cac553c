import type { ClusterApi } from '../../../../src/cluster/clusterApi';

/** Resolves once the pod's `app` container has logged `text` (its readiness line), polling the log. */
export async function waitForLog(api: ClusterApi, namespace: string, pod: string, text: string, attempts = 300): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    const log = await api.readLog(namespace, pod, 'app', {}).catch(() => '');
    if (log.includes(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`pod ${namespace}/${pod} never logged ${text}`);
}
