/**
 * Puts the demo workloads of a shared test cluster back to what test/cluster/demo/workloads.yaml says, so that
 * each suite starts as it would on a fresh loopback cluster. Ephemeral containers cannot be removed from a pod:
 * a pod that a previous suite changed (debug containers, restarts, labels, images, a deletion under way) is
 * deleted with grace 0 and created again; so is crashloop, whose restart count only grows. Pods in the demo
 * namespaces that the manifest does not list (a crashed suite's leftovers) are deleted.
 */
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { demoWorkloadsPath } from './cluster';

export const isNotFound = (error: unknown): boolean => (error as { code?: number }).code === 404;

export async function pollUntil(done: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Deletes with grace 0 (if it exists) and resolves once the API server no longer has the pod. */
export async function deletePodAndWait(core: k8s.CoreV1Api, namespace: string, name: string): Promise<void> {
  try {
    await core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 });
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  await pollUntil(() => core.readNamespacedPod({ namespace, name }).then(() => false, (e: unknown) => {
    if (isNotFound(e)) return true;
    throw e;
  }), `pod ${namespace}/${name} to be deleted`);
}

export async function deleteNamespaceAndWait(core: k8s.CoreV1Api, name: string): Promise<void> {
  const gone = () => core.readNamespace({ name }).then(() => false, (e: unknown) => {
    if (isNotFound(e)) return true;
    throw e;
  });
  if (await gone()) return;
  // Its pods first, at once: the namespace controller would wait out their grace periods.
  const pods = await core.listNamespacedPod({ namespace: name });
  for (const pod of pods.items) await core.deleteNamespacedPod({ namespace: name, name: pod.metadata!.name!, gracePeriodSeconds: 0 }).catch(() => undefined);
  await core.deleteNamespace({ name }).catch((e: unknown) => {
    if (!isNotFound(e)) throw e;
  });
  await pollUntil(gone, `namespace ${name} to be deleted`);
}

interface Manifest {
  namespaces: k8s.V1Namespace[];
  pods: k8s.V1Pod[];
}

export function demoManifest(): Manifest {
  const objects = parseAllDocuments(readFileSync(demoWorkloadsPath, 'utf8'))
    .map((doc) => doc.toJS() as { kind?: string } | null).filter((o) => o != null);
  return {
    namespaces: objects.filter((o) => o.kind === 'Namespace') as k8s.V1Namespace[],
    pods: objects.filter((o) => o.kind === 'Pod') as k8s.V1Pod[],
  };
}

/** Pods that only a fresh copy makes pristine (their restart count grows by design). */
const ALWAYS_RECREATED = new Set(['demo/crashloop']);

/** Why `pod` differs from the manifest's `wanted`, or undefined when it is as created and running. */
export function whyNotPristine(pod: k8s.V1Pod, wanted: k8s.V1Pod): string | undefined {
  const key = `${wanted.metadata!.namespace}/${wanted.metadata!.name}`;
  if (ALWAYS_RECREATED.has(key)) return 'always recreated';
  if (pod.metadata?.deletionTimestamp) return 'being deleted';
  if ((pod.spec?.ephemeralContainers?.length ?? 0) > 0) return `${pod.spec!.ephemeralContainers!.length} ephemeral container(s)`;
  if (!isDeepStrictEqual(pod.metadata?.labels ?? {}, wanted.metadata?.labels ?? {})) return 'labels changed';
  const images = (p: k8s.V1Pod) => (p.spec?.containers ?? []).map((c) => `${c.name}=${c.image}`);
  if (!isDeepStrictEqual(images(pod), images(wanted))) return 'containers changed';
  if (pod.status?.phase !== 'Running') return `phase ${pod.status?.phase ?? 'unknown'}`;
  const restarted = (pod.status.containerStatuses ?? []).filter((s) => s.restartCount > 0).map((s) => s.name);
  if (restarted.length > 0) return `restarted (${restarted.join(', ')})`;
  return undefined;
}

const isReady = (pod: k8s.V1Pod) => pod.status?.phase === 'Running'
  && pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** Resolves with what it changed ("recreated demo/node-app (1 ephemeral container(s))", …), empty when nothing. */
export async function resetDemoWorkloads(kc: k8s.KubeConfig): Promise<string[]> {
  const changes: string[] = [];
  const log = (line: string) => void changes.push(line);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const manifest = demoManifest();
  for (const ns of manifest.namespaces) {
    const name = ns.metadata!.name!;
    const existing = await core.readNamespace({ name }).catch((error: unknown) => {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    });
    const labels = ns.metadata?.labels ?? {};
    const labelled = existing && Object.entries(labels).every(([k, v]) => existing.metadata?.labels?.[k] === v);
    if (existing && labelled && !existing.metadata?.deletionTimestamp) continue;
    log(`created namespace ${name} (${existing ? 'its labels differed' : 'missing'})`);
    if (existing) await deleteNamespaceAndWait(core, name);
    await core.createNamespace({ body: { metadata: { name, labels } } });
  }
  for (const ns of manifest.namespaces) {
    const namespace = ns.metadata!.name!;
    const wanted = new Map(manifest.pods.filter((p) => p.metadata!.namespace === namespace).map((p) => [p.metadata!.name!, p]));
    const existing = new Map((await core.listNamespacedPod({ namespace })).items.map((p) => [p.metadata!.name!, p]));
    for (const name of existing.keys()) {
      if (wanted.has(name)) continue;
      log(`deleted ${namespace}/${name} (not a demo workload)`);
      await deletePodAndWait(core, namespace, name);
    }
    for (const [name, pod] of wanted) {
      const current = existing.get(name);
      const why = current === undefined ? 'missing' : whyNotPristine(current, pod);
      if (why === undefined) continue;
      log(`recreated ${namespace}/${name} (${why})`);
      if (current) await deletePodAndWait(core, namespace, name);
      await core.createNamespacedPod({ namespace, body: pod });
    }
  }
  const waiting = manifest.pods.filter((p) => !ALWAYS_RECREATED.has(`${p.metadata!.namespace}/${p.metadata!.name}`));
  const deadline = Date.now() + 180_000;
  for (const pod of waiting) {
    const namespace = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    for (;;) {
      const current = await core.readNamespacedPod({ namespace, name });
      if (isReady(current)) break;
      if (Date.now() > deadline) {
        throw new Error(`demo workload ${namespace}/${name} is not Running and Ready after its reset: ${JSON.stringify(current.status?.containerStatuses ?? current.status)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return changes;
}
