/**
 * The loopback cluster: the API server and the kubelet wired together, optionally seeded with the demo
 * workloads. Tests start one on a free port; `npm run cluster` runs one in the foreground.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import { ApiServer, type AuthorizationRecord } from './api/server';
import { Kubelet } from './kubelet/kubelet';

export const repoRoot = join(__dirname, '..', '..');
export const cacheDir = join(repoRoot, '.cache', 'cluster');
export const demoWorkloadsPath = join(__dirname, 'demo', 'workloads.yaml');

export interface LoopbackClusterOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Write the kubeconfig here (mode 0600). */
  kubeconfigPath?: string;
  /** Seed the demo namespaces and pods. */
  demo?: boolean;
  /** How long an image "pull" takes. */
  pullDelayMs?: number;
  /** Restart back-off base (real kubelet: 10 s). */
  backoffBaseMs?: number;
  /** false makes pods/ephemeralcontainers 404, as on clusters without the feature. */
  ephemeralContainersEnabled?: boolean;
  /** Older resourceVersions than this many events answer 410 Gone. */
  watchWindow?: number;
  log?: (line: string) => void;
  /** Audit hook: the RBAC attributes of every authenticated resource request (see AuthorizationRecord). */
  onAuthorized?: (record: AuthorizationRecord) => void;
}

export class LoopbackCluster {
  private constructor(
    readonly api: ApiServer,
    readonly kubelet: Kubelet,
    readonly url: string,
    readonly port: number,
  ) {}

  static async start(options: LoopbackClusterOptions = {}): Promise<LoopbackCluster> {
    const log = options.log ?? (() => undefined);
    const api = new ApiServer({
      ephemeralContainersEnabled: options.ephemeralContainersEnabled ?? true,
      watchWindow: options.watchWindow,
      log,
      onAuthorized: options.onAuthorized,
    });
    const kubelet = new Kubelet({
      store: api.store,
      cacheDir,
      pullDelayMs: options.pullDelayMs,
      backoffBaseMs: options.backoffBaseMs,
      log,
    });
    api.attachKubelet(kubelet);
    let started: { url: string; port: number } | undefined;
    try {
      await kubelet.start();
      started = await api.start(options.port ?? 0);
      if (options.demo) await seed(api, await readFile(demoWorkloadsPath, 'utf8'));
      if (options.kubeconfigPath) await api.writeKubeconfig(options.kubeconfigPath);
    } catch (error) {
      await kubelet.stop().catch(() => undefined);
      await api.stop().catch(() => undefined);
      throw error;
    }
    return new LoopbackCluster(api, kubelet, started.url, started.port);
  }

  kubeconfigYaml(): string {
    return this.api.kubeconfigYaml();
  }

  /** Stops serving, then ends every process and removes every mount and directory the kubelet made. */
  async stop(): Promise<void> {
    await this.api.stop();
    await this.kubelet.stop();
  }
}

/** Creates the namespaces first, then the pods, from a multi-document YAML manifest. */
export async function seed(api: ApiServer, manifest: string): Promise<void> {
  const objects = parseAllDocuments(manifest).map((doc) => doc.toJS() as { kind?: string } | null).filter((o) => o != null);
  for (const object of objects) if (object.kind === 'Namespace') api.store.createNamespace(object as V1Namespace);
  for (const object of objects) if (object.kind === 'Pod') api.store.createPod(object as V1Pod);
}
