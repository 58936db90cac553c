/**
 * A single-node Kubernetes made of the real components, all of one release (test/realnode/build/go.mod):
 * etcd, kube-apiserver, kube-controller-manager and kube-scheduler in the machine's network namespace on
 * 127.0.0.1; containerd (2.x, built here) + runc (Debian), the CNI bridge, the kubelet and the pods in a network namespace of
 * their own, as kind runs a node in a container. The API server is reached on 127.0.0.1; the kubelet reaches
 * it through a loopback bridge inside its namespace (socat over a unix socket), and the API server reaches
 * the kubelet on the node's veth address. No traffic leaves the machine: the node's namespace has no
 * default route, and nothing is pulled.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as config from './config';
import { cgroupPids, createCgroupRoot, createNetwork, deleteNetwork, joinCgroup, missingMachineFolders, NETNS_PATH, readSysctls,
  removeCgroupRoot, removeContainerLogLinks, removeMachineFolders, removeRuntimeEntries, restoreSysctls, unmountAll } from './hostState';
import { ensureImageLayout, importImages } from './images';
import { Pki } from './pki';
import { isAlive, sleep, startDaemon, stopDaemon, stopStalePid, waitUntil, type Daemon } from './processes';

const run = promisify(execFile);
export const REPO = resolve(__dirname, '..', '..');

export interface RealNodeOptions {
  log?: (line: string) => void;
  /** Seed the demo namespaces and workloads and wait for them (default true). */
  demo?: boolean;
}

interface SavedState {
  pids: { name: string; pid: number; command: string }[];
  sysctls: Record<string, string>;
  /** Machine-wide folders that did not exist before the start (see missingMachineFolders). */
  madeFolders?: string[];
}

/** The release the build's go.mod requires. */
export function kubernetesRelease(): string {
  const goMod = readFileSync(join(__dirname, 'build', 'go.mod'), 'utf8');
  const match = /^\s*k8s\.io\/kubernetes (v[0-9.]+)/m.exec(goMod);
  if (!match) throw new Error('test/realnode/build/go.mod does not require k8s.io/kubernetes');
  return match[1];
}

export function layoutFor(repo = REPO): config.Layout {
  const root = join(repo, '.cache', 'realnode');
  const runDir = join(root, 'run');
  return {
    repo,
    bin: join(root, kubernetesRelease(), 'bin'),
    run: runDir,
    pki: join(runDir, 'pki'),
    logs: join(runDir, 'logs'),
    etcdData: join(runDir, 'etcd'),
    // containerd's content and snapshots outlive a run (a cache, like the binaries): images import once.
    containerdRoot: join(root, 'containerd-root'),
    containerdState: join(runDir, 'containerd', 'state'),
    containerdSocket: join(runDir, 'containerd', 'containerd.sock'),
    containerdConfig: join(runDir, 'containerd', 'config.toml'),
    runcRoot: join(runDir, 'containerd', 'runc'),
    cniConfDir: join(runDir, 'cni', 'net.d'),
    cniDataDir: join(runDir, 'cni', 'ipam'),
    kubeletRoot: join(runDir, 'kubelet'),
    kubeletConfig: join(runDir, 'kubelet-config.yaml'),
    podLogs: join(runDir, 'pod-logs'),
    resolvConf: join(runDir, 'resolv.conf'),
    apiBridgeSocket: join(runDir, 'apiserver.sock'),
    state: join(root, 'state.json'),
    kubeconfig: join(root, 'kubeconfig'),
  };
}

/** Builds the binaries when missing (test/realnode/build.sh: cached per machine and release, a line per binary). */
export function ensureBuilt(): void {
  const built = spawnSync('bash', [join(__dirname, 'build.sh')], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error(`building the real node's binaries failed (exit ${built.status}): see the lines above`);
}

export class RealNode {
  private readonly daemons: Daemon[] = [];
  private sysctls: Record<string, string> = {};
  private madeFolders: string[] = [];
  private stopped = false;
  private stopping: Promise<string[]> | undefined;
  url = '';
  version = '';
  private tokens!: Record<config.RealNodeUser, string>;
  private caPem = '';

  private constructor(readonly layout: config.Layout, private readonly log: (line: string) => void, private readonly demo: boolean) {}

  get kubectl(): string {
    return join(this.layout.bin, 'kubectl');
  }

  /** A node not yet started: `start()` boots it; `stop()` works at any point, also during `start()`. */
  static create(options: RealNodeOptions = {}): RealNode {
    const layout = layoutFor();
    for (const binary of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kubectl', 'containerd', 'containerd-shim-runc-v2', 'ctr']) {
      if (!existsSync(join(layout.bin, binary))) {
        throw new Error(`${join(layout.bin, binary)} is missing: build the real node first with \`bash test/realnode/build.sh\` (once per machine and release)`);
      }
    }
    return new RealNode(layout, options.log ?? (() => undefined), options.demo ?? true);
  }

  static async start(options: RealNodeOptions = {}): Promise<RealNode> {
    const node = RealNode.create(options);
    await node.start();
    return node;
  }

  async start(): Promise<void> {
    await cleanUpLeftovers(this.layout, this.log);
    try {
      await this.boot();
    } catch (error) {
      if (this.stopped) throw new Error('the real node was stopped while it started');
      await this.stop().catch((e: unknown) => this.log(`clean-up after a failed start: ${(e as Error).message}`));
      throw error;
    }
  }

  kubeconfigYaml(): string {
    return config.usersKubeconfig(this.url, this.caPem, this.tokens);
  }

  private async boot(): Promise<void> {
    const { layout } = this;
    const t0 = Date.now();
    const step = (what: string) => this.log(`realnode: ${what} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    for (const dir of [layout.pki, layout.logs, layout.etcdData, layout.containerdRoot, layout.containerdState, layout.runcRoot,
      layout.cniConfDir, layout.cniDataDir, layout.kubeletRoot, layout.podLogs]) await mkdir(dir, { recursive: true });
    await chmod(layout.run, 0o700);
    await chmod(layout.etcdData, 0o700);

    // Certificates, tokens, configuration files.
    const pki = await Pki.create(layout.pki);
    this.caPem = await readFile(pki.caCert, 'utf8');
    const apiPort = await freePort();
    this.url = `https://127.0.0.1:${apiPort}`;
    const apiserverCert = await pki.issue({ name: 'apiserver', commonName: 'kube-apiserver', usage: 'server',
      altNames: ['IP:127.0.0.1', `IP:${config.HOST_LINK.address}`, 'IP:10.96.0.1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc'] });
    const kubeletClient = await pki.issue({ name: 'apiserver-kubelet-client', commonName: 'kube-apiserver-kubelet-client', usage: 'client' });
    const controllerManager = await pki.issue({ name: 'controller-manager', commonName: 'system:kube-controller-manager', usage: 'client' });
    const scheduler = await pki.issue({ name: 'scheduler', commonName: 'system:kube-scheduler', usage: 'client' });
    const kubelet = await pki.issue({ name: 'kubelet', commonName: `system:node:${config.NODE_NAME}`, organization: 'system:nodes', usage: 'client' });
    const kubeletServing = await pki.issue({ name: 'kubelet-serving', commonName: config.NODE_NAME, usage: 'server',
      altNames: [`IP:${config.NODE_LINK.address}`, `DNS:${config.NODE_NAME}`] });
    const serviceAccountKey = await pki.serviceAccountKey();
    const make = () => randomBytes(24).toString('base64url');
    this.tokens = { admin: make(), viewer: make(), debugger: make() };
    const tokenFile = join(layout.pki, 'tokens.csv');
    await writeFile(tokenFile, config.tokenFile(this.tokens), { mode: 0o600 });
    const kubeconfigOf = async (name: string, server: string, credentials: { cert: string; key: string }) => {
      const path = join(layout.pki, `${name}.kubeconfig`);
      await writeFile(path, config.clientKubeconfig(server, pki.caCert, credentials, name), { mode: 0o600 });
      return path;
    };
    await writeFile(layout.containerdConfig, config.containerdConfig(layout));
    await writeFile(join(layout.cniConfDir, '10-realnode.conflist'), config.cniConfig(layout));
    await writeFile(layout.kubeletConfig, config.kubeletConfig(layout, { ca: pki.caCert, cert: kubeletServing.cert, key: kubeletServing.key }));
    // Pods get no name server: there is no DNS here and no route out of the node.
    await writeFile(layout.resolvConf, '# ephemeral-debug real node: no DNS\n');
    step('certificates and configuration written');

    // The node's network namespace, cgroup root and the kernel settings the kubelet will change.
    this.sysctls = readSysctls();
    this.madeFolders = missingMachineFolders();
    this.saveState();
    await createNetwork();
    createCgroupRoot();
    step(`network namespace ${config.NETNS} (${config.HOST_LINK.address} ↔ ${config.NODE_LINK.address})`);

    // etcd and the control plane, on 127.0.0.1.
    const etcdClient = await freePort();
    const etcdPeer = await freePort();
    const etcd = this.spawn({
      name: 'etcd', command: join(layout.bin, 'etcd'),
      args: ['--name', 'realnode', '--data-dir', layout.etcdData,
        '--listen-client-urls', `http://127.0.0.1:${etcdClient}`, '--advertise-client-urls', `http://127.0.0.1:${etcdClient}`,
        '--listen-peer-urls', `http://127.0.0.1:${etcdPeer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeer}`,
        '--initial-cluster', `realnode=http://127.0.0.1:${etcdPeer}`, '--unsafe-no-fsync', '--log-level', 'warn'],
    });
    await waitUntil('etcd to answer /health', () => httpOk(`http://127.0.0.1:${etcdClient}/health`), { timeoutMs: 30_000, daemon: etcd });
    step('etcd ready');

    const apiserver = this.spawn({
      name: 'kube-apiserver', command: join(layout.bin, 'kube-apiserver'),
      args: ['--bind-address=127.0.0.1', `--secure-port=${apiPort}`, `--advertise-address=${config.HOST_LINK.address}`,
        `--etcd-servers=http://127.0.0.1:${etcdClient}`, `--cert-dir=${layout.pki}`,
        `--tls-cert-file=${apiserverCert.cert}`, `--tls-private-key-file=${apiserverCert.key}`,
        `--client-ca-file=${pki.caCert}`, `--token-auth-file=${tokenFile}`,
        '--authorization-mode=Node,RBAC', '--enable-admission-plugins=NodeRestriction', '--allow-privileged=true',
        `--kubelet-client-certificate=${kubeletClient.cert}`, `--kubelet-client-key=${kubeletClient.key}`,
        '--kubelet-preferred-address-types=InternalIP',
        `--service-account-key-file=${serviceAccountKey}`, `--service-account-signing-key-file=${serviceAccountKey}`,
        '--service-account-issuer=https://kubernetes.default.svc', `--service-cluster-ip-range=${config.SERVICE_RANGE}`,
        '--profiling=false', '--v=1'],
    });
    await waitUntil('kube-apiserver to answer /readyz', () => this.apiOk('/readyz'), { timeoutMs: 90_000, daemon: apiserver });
    this.version = JSON.parse(await this.apiGet('/version')).gitVersion as string;
    step(`kube-apiserver ${this.version} ready at ${this.url}`);
    await this.writeUsersKubeconfig();

    this.spawn({
      name: 'kube-controller-manager', command: join(layout.bin, 'kube-controller-manager'),
      args: [`--kubeconfig=${await kubeconfigOf('controller-manager', this.url, controllerManager)}`,
        `--service-account-private-key-file=${serviceAccountKey}`, `--root-ca-file=${pki.caCert}`,
        '--use-service-account-credentials=true', '--leader-elect=false', '--secure-port=0',
        '--v=1'],
    });
    this.spawn({
      name: 'kube-scheduler', command: join(layout.bin, 'kube-scheduler'),
      args: [`--kubeconfig=${await kubeconfigOf('scheduler', this.url, scheduler)}`, '--leader-elect=false', '--secure-port=0', '--v=1'],
    });
    await this.kubectlApply(config.rbacManifest());
    step('controller-manager, scheduler and RBAC');

    // The loopback bridge that lets the kubelet reach the API server from inside the node's namespace.
    this.spawn({ name: 'apiserver-bridge-host', command: 'socat',
      args: [`UNIX-LISTEN:${layout.apiBridgeSocket},fork,mode=600`, `TCP:127.0.0.1:${apiPort}`] });
    this.spawn({ name: 'apiserver-bridge-node', command: 'socat', netns: NETNS_PATH,
      args: [`TCP-LISTEN:${config.NODE_API_PORT},bind=127.0.0.1,reuseaddr,fork`, `UNIX-CONNECT:${layout.apiBridgeSocket}`] });

    // containerd with the images, then the kubelet.
    // Our bin folder first on PATH: containerd finds its shim (containerd-shim-runc-v2) there.
    const containerd = this.spawn({ name: 'containerd', command: join(layout.bin, 'containerd'), netns: NETNS_PATH,
      args: ['--config', layout.containerdConfig, '--log-level', 'warn'],
      env: { ...process.env, PATH: `${layout.bin}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` } });
    joinCgroup(containerd.pid, 'containerd');
    await waitUntil('containerd to listen', async () => {
      await run(join(layout.bin, 'ctr'), ['--address', layout.containerdSocket, 'version']);
      return true;
    }, { timeoutMs: 30_000, daemon: containerd });
    const layoutDir = await ensureImageLayout(join(layout.repo, '.cache', 'cluster'), join(layout.repo, '.cache', 'realnode', 'images'), this.log);
    const imported = join(layout.containerdRoot, 'imported.stamp');
    const wanted = await readFile(join(layoutDir, 'layout.stamp'), 'utf8');
    if ((await readFile(imported, 'utf8').catch(() => '')) !== wanted) {
      await importImages(join(layout.bin, 'ctr'), layoutDir, layout.containerdSocket);
      await writeFile(imported, wanted);
      step('containerd ready, images imported');
    } else {
      step('containerd ready, images already imported');
    }

    const kubeletDaemon = this.spawn({
      name: 'kubelet', command: join(layout.bin, 'kubelet'), netns: NETNS_PATH,
      args: [`--config=${layout.kubeletConfig}`, `--root-dir=${layout.kubeletRoot}`,
        `--kubeconfig=${await kubeconfigOf('kubelet', `https://127.0.0.1:${config.NODE_API_PORT}`, kubelet)}`,
        `--hostname-override=${config.NODE_NAME}`, `--node-ip=${config.NODE_LINK.address}`, '--v=1'],
    });
    await waitUntil(`node ${config.NODE_NAME} to be Ready`, async () => {
      const node = JSON.parse(await this.apiGet(`/api/v1/nodes/${config.NODE_NAME}`)) as { status?: { conditions?: { type: string; status: string }[] } };
      return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    }, { timeoutMs: 90_000, daemon: kubeletDaemon });
    step(`node ${config.NODE_NAME} Ready`);

    if (this.demo) {
      await this.seedDemo();
      step('demo workloads running');
    }
  }

  /** The demo namespaces and pods of the loopback cluster, applied once their service accounts exist. */
  private async seedDemo(): Promise<void> {
    const manifest = await readFile(join(this.layout.repo, 'test', 'cluster', 'demo', 'workloads.yaml'), 'utf8');
    const namespaces = manifest.split(/^---$/m).filter((d) => /^kind: Namespace$/m.test(d));
    await this.kubectlApply(namespaces.join('\n---\n'));
    for (const namespace of ['demo', 'restricted']) {
      await waitUntil(`the default service account in ${namespace}`,
        () => this.apiOk(`/api/v1/namespaces/${namespace}/serviceaccounts/default`), { timeoutMs: 60_000 });
    }
    await this.kubectlApply(manifest);
    await waitUntil('the demo pods to run', async () => {
      const pods = JSON.parse(await this.apiGet('/api/v1/pods')) as { items: { metadata: { name: string }; status?: { phase?: string; containerStatuses?: { ready?: boolean; restartCount?: number }[] } }[] };
      const demoPods = pods.items.filter((p) => p.metadata.name !== 'crashloop');
      return demoPods.length >= 6 && demoPods.every((p) => p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => c.ready));
    }, { timeoutMs: 120_000 });
  }

  async kubectlApply(manifest: string): Promise<void> {
    const file = join(this.layout.run, `apply-${randomBytes(4).toString('hex')}.yaml`);
    await writeFile(file, manifest);
    try {
      await run(this.kubectl, ['--kubeconfig', this.layout.kubeconfig, '--context', 'realnode-admin', 'apply', '-f', file]);
    } finally {
      await rm(file, { force: true });
    }
  }

  private async writeUsersKubeconfig(): Promise<void> {
    const tmp = `${this.layout.kubeconfig}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, this.kubeconfigYaml(), { mode: 0o600 });
    await run('mv', [tmp, this.layout.kubeconfig]);
  }

  private spawn(spec: Parameters<typeof startDaemon>[0]): Daemon {
    if (this.stopped) throw new Error('the real node is stopping');
    const daemon = startDaemon(spec, this.layout.logs);
    this.daemons.push(daemon);
    this.saveState();
    return daemon;
  }

  /** Written synchronously at each start of a daemon: a run killed at any point leaves the pids to end. */
  private saveState(): void {
    const state: SavedState = {
      pids: this.daemons.map((d) => ({ name: d.name, pid: d.pid, command: d.name.startsWith('apiserver-bridge') ? 'socat' : d.name })),
      sysctls: this.sysctls,
      madeFolders: this.madeFolders,
    };
    mkdirSync(join(this.layout.repo, '.cache', 'realnode'), { recursive: true });
    writeFileSync(this.layout.state, JSON.stringify(state));
  }

  apiGet(path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(`${this.url}${path}`, { ca: this.caPem, headers: { authorization: `Bearer ${this.tokens.admin}` }, timeout: 5_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => { body += d; });
        res.on('end', () => (res.statusCode ?? 500) < 300 ? resolve(body) : reject(new Error(`GET ${path}: ${res.statusCode} ${body.slice(0, 200)}`)));
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${path}: timed out`)));
      req.on('error', reject);
      req.end();
    });
  }

  private async apiOk(path: string): Promise<boolean> {
    await this.apiGet(path);
    return true;
  }

  /**
   * Deletes the pods (the kubelet tears down their sandboxes, networks and cgroups), stops every daemon in
   * reverse order, then removes whatever is left: processes in our cgroups, mounts, cgroups, the network
   * namespace, log links, kernel settings, the run folder and the kubeconfig. Resolves with what could not be
   * removed (empty when everything is gone).
   */
  stop(): Promise<string[]> {
    return this.stopping ??= this.stopAndClean();
  }

  private async stopAndClean(): Promise<string[]> {
    this.stopped = true;
    const kubelet = this.daemons.find((d) => d.name === 'kubelet');
    if (kubelet && isAlive(kubelet.pid)) {
      await run(this.kubectl, ['--kubeconfig', this.layout.kubeconfig, '--context', 'realnode-admin', 'delete', 'pods', '--all',
        '--all-namespaces', '--grace-period=0', '--force', '--wait=false'], { timeout: 20_000 }).catch(() => undefined);
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && cgroupPids().length > 0) await sleep(250);
    }
    for (const daemon of [...this.daemons].reverse()) await stopDaemon(daemon);
    return removeNodeLeftovers(this.layout, this.sysctls, this.madeFolders, this.log);
  }
}

/** A start after a killed run: end its daemons (by the pids it saved), then remove what it left on the machine. */
export async function cleanUpLeftovers(layout: config.Layout, log: (line: string) => void): Promise<void> {
  let state: SavedState | undefined;
  try {
    state = JSON.parse(await readFile(layout.state, 'utf8')) as SavedState;
  } catch {
    state = undefined;
  }
  if (!state && !existsSync(layout.run) && !existsSync(NETNS_PATH)) return;
  log('realnode: cleaning up after an earlier run that did not stop');
  for (const { pid, command } of [...(state?.pids ?? [])].reverse()) await stopStalePid(pid, command);
  await removeNodeLeftovers(layout, state?.sysctls ?? {}, state?.madeFolders ?? [], log);
  // Its containerd metadata names containers of a run that never stopped them: start from an empty store.
  await unmountAll(layout.containerdRoot);
  await rm(layout.containerdRoot, { recursive: true, force: true });
}

/** Removes what a run made on the machine; returns what is still there (checked, not assumed). */
async function removeNodeLeftovers(layout: config.Layout, sysctls: Record<string, string>, madeFolders: readonly string[], log: (line: string) => void): Promise<string[]> {
  // Container processes (runc's children) and containerd's shims: every pid in our cgroups is ours.
  for (let round = 0; round < 5; round++) {
    const pids = cgroupPids();
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await sleep(200);
  }
  const mounts = [...await unmountAll(layout.run), ...await unmountAll(layout.containerdRoot)];
  const cgroups = removeCgroupRoot();
  await deleteNetwork();
  removeContainerLogLinks(layout.podLogs);
  // Killed shims leave their sockets, and pods whose network was never torn down their CNI results.
  removeRuntimeEntries(layout.containerdSocket, [
    ...listIds(join(layout.containerdState, 'io.containerd.runtime.v2.task', 'k8s.io')),
    ...listIds(join(layout.containerdRoot, 'io.containerd.grpc.v1.cri', 'sandboxes')),
    ...listIds(join(layout.containerdRoot, 'io.containerd.grpc.v1.cri', 'containers')),
  ]);
  restoreSysctls(sysctls);
  await rm(layout.run, { recursive: true, force: true }).catch((e: unknown) => log(`realnode: could not remove ${layout.run}: ${(e as Error).message}`));
  await rm(layout.kubeconfig, { force: true });
  await rm(layout.state, { force: true });
  const folders = await removeMachineFolders(madeFolders);
  const left = [...mounts, ...cgroups, ...folders, ...cgroupPids().map((pid) => `process ${pid}`),
    ...[NETNS_PATH, layout.run].filter((path) => existsSync(path))];
  if (left.length > 0) log(`realnode: left behind: ${left.join(', ')}`);
  return left;
}

function listIds(folder: string): string[] {
  try {
    return readdirSync(folder).filter((name) => /^[0-9a-f]{64}$/.test(name));
  } catch {
    return [];
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function httpOk(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok);
}
