/**
 * The cluster a test suite runs against, chosen by one environment variable, EPHEMERAL_DEBUG_TEST_CLUSTER:
 * - `loopback` (the default): a LoopbackCluster of its own, started for the suite and thrown away after it;
 * - `real`: the real node that `tsx test/realnode/run.ts -- <command>` started (EPHEMERAL_DEBUG_KUBECONFIG);
 * - `kubeconfig`: any cluster in EPHEMERAL_DEBUG_KUBECONFIG with the demo workloads (a user's kind cluster, or
 *   `npm run cluster -- --kubeconfig PATH` running elsewhere).
 * The last two are shared between suites: starting one resets the demo workloads to their pristine state, and
 * stopping it deletes what the suite created (createPod, createNamespace, track), never the cluster.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parseDocument } from 'yaml';
import { writeFileAtomic } from './api/kubeconfig';
import type { AuthorizationRecord } from './api/server';
import { LoopbackCluster } from './cluster';
import { deleteNamespaceAndWait, deletePodAndWait, resetDemoWorkloads } from './demoReset';
import { createWorkload, deleteWorkloadAndWait, type TestWorkload } from './testWorkloads';

export type TestClusterKind = 'loopback' | 'real' | 'kubeconfig';
export type TestUser = 'admin' | 'viewer' | 'debugger';

export const CLUSTER_ENV = 'EPHEMERAL_DEBUG_TEST_CLUSTER';
export const KUBECONFIG_ENV = 'EPHEMERAL_DEBUG_KUBECONFIG';
export const KUBECTL_ENV = 'EPHEMERAL_DEBUG_KUBECTL';

export interface TestClusterOptions {
  /** The demo workloads: seeded on the loopback, reset to pristine on a shared cluster. Default true. */
  demo?: boolean;
  /** Loopback only: how long an image "pull" takes. */
  pullDelayMs?: number;
  /** Loopback only: restart back-off base. */
  backoffBaseMs?: number;
  /** Loopback only: the API server's audit hook (see AuthorizationRecord). */
  onAuthorized?: (record: AuthorizationRecord) => void;
  /**
   * Write the kubeconfig here, its current context the admin's (for code-server and kubectl): the loopback's
   * own, or a copy of the shared cluster's. Without it the loopback writes into a temporary directory removed by
   * stop(), and a shared cluster's kubeconfigPath is EPHEMERAL_DEBUG_KUBECONFIG.
   */
  kubeconfigPath?: string;
  /** Loopback only: its API server's and kubelet's log lines. */
  log?: (line: string) => void;
}

export interface TestCluster {
  readonly kind: TestClusterKind;
  /** For logs: "loopback cluster, Kubernetes v1.32.0-loopback", "real node, Kubernetes v1.36.3". */
  readonly description: string;
  /** gitVersion from /version. */
  readonly version: string;
  /** The API server URL of the admin context. */
  readonly server: string;
  readonly kubeconfigPath: string;
  /** Re-read on each call: a restarted loopback API server has a new CA. */
  kubeconfigYaml(): string;
  /** The context of this user: loopback-admin, realnode-viewer, … (found by its -admin/-viewer/-debugger suffix). */
  context(user: TestUser): string;
  /** A client-node KubeConfig whose current context is this user's. */
  kubeConfig(user?: TestUser): k8s.KubeConfig;
  /** Every credential in the kubeconfig (tokens, client keys), for "never logged" assertions. */
  credentials(): string[];
  /** The LoopbackCluster, for fault injection; only for kind 'loopback'. */
  readonly loopback: LoopbackCluster | undefined;
  /** Creates a pod as admin (replacing a leftover of an earlier run on a shared cluster); deleted by stop(). */
  createPod(namespace: string, pod: k8s.V1Pod): Promise<k8s.V1Pod>;
  /** Creates a namespace as admin (replacing a leftover on a shared cluster); deleted by stop(). */
  createNamespace(name: string, labels?: Record<string, string>): Promise<void>;
  /**
   * Creates a Deployment, StatefulSet, DaemonSet, ReplicaSet or Job as admin (replacing a leftover of an earlier
   * run on a shared cluster); stop() deletes it and waits until its pods are gone. Wait for its pods with
   * waitForPods (test/cluster/testWorkloads.ts).
   */
  createWorkload(namespace: string, workload: TestWorkload): Promise<TestWorkload>;
  /** Records a pod the code under test created (a debug copy, …), so that stop() deletes it. */
  track(namespace: string, pod: string): void;
  /** Loopback: stops the cluster. Shared: deletes what the suite created, leaves the cluster running. */
  stop(): Promise<void>;
}

/** The kind chosen by EPHEMERAL_DEBUG_TEST_CLUSTER; synchronous, so suites can decide what to register. */
export function testClusterKind(): TestClusterKind {
  const value = process.env[CLUSTER_ENV] ?? '';
  if (value === '' || value === 'loopback') return 'loopback';
  if (value === 'real' || value === 'kubeconfig') return value;
  throw new Error(`${CLUSTER_ENV}=${value} is not a test cluster: use loopback (the default), real or kubeconfig`);
}

/** The kubectl that tests and benchmarks compare with: the real node's own (same release) when set. */
export function testKubectl(): string {
  return process.env[KUBECTL_ENV] || '/usr/bin/kubectl';
}

const announced = new Set<string>();

export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const kind = testClusterKind();
  const cluster = kind === 'loopback' ? await startLoopback(options) : await connectShared(kind, options);
  // One line per process and cluster, so every suite run's log names what it ran against.
  if (!announced.has(cluster.description)) {
    announced.add(cluster.description);
    console.log(`      test cluster: ${cluster.description} (${CLUSTER_ENV}=${kind})`);
  }
  return cluster;
}

async function serverVersion(kc: k8s.KubeConfig): Promise<string> {
  return (await kc.makeApiClient(k8s.VersionApi).getCode()).gitVersion;
}

function loadKubeConfig(yaml: string, context: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(yaml);
  kc.setCurrentContext(context);
  return kc;
}

function credentialsIn(yaml: string): string[] {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(yaml);
  return kc.users.flatMap((u) => [u.token, u.keyData, u.password].filter((v): v is string => typeof v === 'string' && v !== ''))
    .flatMap((v) => (/^[A-Za-z0-9+/=]+$/.test(v) && v.length > 40 ? [v, Buffer.from(v, 'base64').toString('utf8')] : [v]));
}

/** Pods and namespaces a suite created, deleted at stop(); pods in a tracked namespace go with it. */
class Created {
  private readonly pods = new Set<string>();
  private readonly namespaces = new Set<string>();
  private readonly workloads = new Map<string, { namespace: string; workload: TestWorkload }>();

  constructor(private readonly core: () => k8s.CoreV1Api, private readonly kubeConfig: () => k8s.KubeConfig) {}

  async createWorkload(namespace: string, workload: TestWorkload): Promise<TestWorkload> {
    this.workloads.set(`${namespace}/${workload.kind}/${workload.metadata.name}`, { namespace, workload });
    return createWorkload(this.kubeConfig(), namespace, workload);
  }

  trackPod(namespace: string, name: string): void {
    this.pods.add(`${namespace}/${name}`);
  }

  async createPod(namespace: string, pod: k8s.V1Pod): Promise<k8s.V1Pod> {
    const name = pod.metadata?.name ?? '';
    await deletePodAndWait(this.core(), namespace, name);
    this.trackPod(namespace, name);
    return this.core().createNamespacedPod({ namespace, body: pod });
  }

  async createNamespace(name: string, labels?: Record<string, string>): Promise<void> {
    await deleteNamespaceAndWait(this.core(), name);
    this.namespaces.add(name);
    await this.core().createNamespace({ body: { metadata: { name, labels } } });
  }

  async deleteAll(): Promise<void> {
    const core = this.core();
    const failures: string[] = [];
    // Workloads before pods and namespaces: their controllers would make new pods meanwhile.
    for (const [key, { namespace, workload }] of this.workloads) {
      if (this.namespaces.has(namespace)) continue;
      await deleteWorkloadAndWait(this.kubeConfig(), namespace, workload).catch((error: unknown) => failures.push(`${key}: ${String(error)}`));
    }
    this.workloads.clear();
    for (const key of this.pods) {
      const [namespace, name] = key.split('/') as [string, string];
      if (this.namespaces.has(namespace)) continue;
      await deletePodAndWait(core, namespace, name).catch((error: unknown) => failures.push(`pod ${key}: ${String(error)}`));
    }
    for (const name of this.namespaces) {
      await deleteNamespaceAndWait(core, name).catch((error: unknown) => failures.push(`namespace ${name}: ${String(error)}`));
    }
    this.pods.clear();
    this.namespaces.clear();
    if (failures.length > 0) throw new Error(`could not delete what the suite created: ${failures.join('; ')}`);
  }
}

async function startLoopback(options: TestClusterOptions): Promise<TestCluster> {
  const tempDir = options.kubeconfigPath === undefined ? await mkdtemp(join(tmpdir(), 'test-cluster-')) : undefined;
  const kubeconfigPath = options.kubeconfigPath ?? join(tempDir!, 'kubeconfig');
  let loopback: LoopbackCluster;
  try {
    loopback = await LoopbackCluster.start({
      demo: options.demo ?? true,
      pullDelayMs: options.pullDelayMs,
      backoffBaseMs: options.backoffBaseMs,
      onAuthorized: options.onAuthorized,
      kubeconfigPath,
      log: options.log,
    });
  } catch (error) {
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    throw error;
  }
  const context = (user: TestUser) => `loopback-${user}`;
  const kubeConfig = (user: TestUser = 'admin') => loadKubeConfig(loopback.kubeconfigYaml(), context(user));
  const version = await serverVersion(kubeConfig());
  const created = new Created(() => kubeConfig().makeApiClient(k8s.CoreV1Api), () => kubeConfig());
  return {
    kind: 'loopback',
    description: `loopback cluster, Kubernetes ${version}`,
    version,
    server: loopback.url,
    kubeconfigPath,
    kubeconfigYaml: () => loopback.kubeconfigYaml(),
    context,
    kubeConfig,
    credentials: () => credentialsIn(loopback.kubeconfigYaml()),
    loopback,
    createPod: (namespace, pod) => created.createPod(namespace, pod),
    createNamespace: (name, labels) => created.createNamespace(name, labels),
    createWorkload: (namespace, workload) => created.createWorkload(namespace, workload),
    track: () => undefined, // everything goes with the cluster
    stop: async () => {
      await loopback.stop();
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
    },
  };
}

/** The context of each user, by suffix; a clear error names what the kubeconfig lacks. */
export function contextsBySuffix(yaml: string, path: string): Record<TestUser, string> {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(yaml);
  const names = kc.getContexts().map((c) => c.name);
  const find = (user: TestUser): string => {
    const matching = names.filter((n) => n.endsWith(`-${user}`));
    if (matching.length !== 1) {
      throw new Error(`${path} must have exactly one context ending in -${user} (it has ${names.join(', ') || 'none'}): `
        + 'give the test cluster admin, viewer and debugger contexts with the RBAC rules of test/cluster/api/rbac.ts');
    }
    return matching[0]!;
  };
  return { admin: find('admin'), viewer: find('viewer'), debugger: find('debugger') };
}

async function connectShared(kind: 'real' | 'kubeconfig', options: TestClusterOptions): Promise<TestCluster> {
  const kubeconfigPath = process.env[KUBECONFIG_ENV];
  if (!kubeconfigPath || !isAbsolute(kubeconfigPath) || !existsSync(kubeconfigPath)) {
    throw new Error(`${CLUSTER_ENV}=${kind} needs ${KUBECONFIG_ENV}, the absolute path of an existing kubeconfig (got ${kubeconfigPath ?? 'nothing'})`
      + (kind === 'real' ? ': run the suites through `tsx test/realnode/run.ts -- <command>`' : ''));
  }
  const yaml = await readFile(kubeconfigPath, 'utf8');
  const contexts = contextsBySuffix(yaml, kubeconfigPath);
  if (options.kubeconfigPath !== undefined) {
    const copy = parseDocument(yaml);
    copy.set('current-context', contexts.admin);
    await writeFileAtomic(options.kubeconfigPath, copy.toString());
  }
  const context = (user: TestUser) => contexts[user];
  const kubeConfig = (user: TestUser = 'admin') => loadKubeConfig(yaml, context(user));
  const admin = kubeConfig();
  let version: string;
  try {
    version = await serverVersion(admin);
  } catch (error) {
    throw new Error(`cannot reach the test cluster of ${kubeconfigPath} (${admin.getCurrentCluster()?.server}): ${String(error)}`);
  }
  if (options.demo ?? true) {
    const changes = await resetDemoWorkloads(admin);
    if (changes.length > 0) console.log(`      demo workloads reset: ${changes.join(', ')}`);
  }
  const created = new Created(() => admin.makeApiClient(k8s.CoreV1Api), () => admin);
  const nodeVersion = process.env.EPHEMERAL_DEBUG_NODE_VERSION;
  return {
    kind,
    description: kind === 'real' ? `real node, Kubernetes ${version}${nodeVersion && nodeVersion !== version ? ` (node ${nodeVersion})` : ''}`
      : `the cluster of ${kubeconfigPath}, Kubernetes ${version}`,
    version,
    server: admin.getCurrentCluster()!.server,
    kubeconfigPath: options.kubeconfigPath ?? kubeconfigPath,
    kubeconfigYaml: () => yaml,
    context,
    kubeConfig,
    credentials: () => credentialsIn(yaml),
    loopback: undefined,
    createPod: (namespace, pod) => created.createPod(namespace, pod),
    createNamespace: (name, labels) => created.createNamespace(name, labels),
    createWorkload: (namespace, workload) => created.createWorkload(namespace, workload),
    track: (namespace, pod) => created.trackPod(namespace, pod),
    stop: () => created.deleteAll(),
  };
}
