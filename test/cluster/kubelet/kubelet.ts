/**
 * The loopback cluster's kubelet + container runtime: turns pods from the PodStore into real Linux
 * process trees (through shim.c) and reports kubelet-like status back. One node, named by the API side.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Duplex, PassThrough, Readable, Writable } from 'node:stream';
import type {
  V1Container, V1ContainerState, V1ContainerStatus, V1EphemeralContainer, V1Pod, V1PodCondition, V1Probe,
} from '@kubernetes/client-node';
import {
  KubeletError, NODE_NAME,
  type AttachSession, type ExecProcess, type ExitStatus, type IsolationMode, type KubeletApi, type LogOptions,
  type PodStore, type WatchEventType,
} from '../contracts';
import { pullErrorMessage, resolveImage, type ResolvedImage } from './images';
import { LogFile, readLogs } from './logs';
import { capabilityMask, spawnShim, type ShimHandle } from './runtime';

export interface KubeletOptions {
  store: PodStore;
  /** <repo>/.cache/cluster: holds bin/shim, images/, and this kubelet's run/ directory. */
  cacheDir: string;
  /** Default: 'namespaces' when root on Linux with the shim built, else 'plain'. */
  isolation?: IsolationMode;
  /** Simulated image pull time (default 0). */
  pullDelayMs?: number;
  /** Restart and pull back-off base (real kubelet: 10 s); doubles per failure, capped at 30×. */
  backoffBaseMs?: number;
  log?: (line: string) => void;
}

type ContainerKind = 'init' | 'regular' | 'ephemeral';
type AnyContainer = V1Container | V1EphemeralContainer;

const POD_IP = '127.0.0.1';

/** Kubernetes serialises times as RFC3339 with seconds; the store keeps the JSON form. */
function k8sTime(ms = Date.now()): Date {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z') as unknown as Date;
}

/** Go's time.Duration formatting, which the real back-off messages use ("10s", "1m20s", "500ms"). */
function goDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${Number.isInteger(s) ? s : s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  return `${m}m${rest}s`;
}

class Aborted extends Error {}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Aborted());
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(timer); reject(new Aborted()); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** One run of a container (a restart makes a new instance, with its own log file and upper dir). */
interface Instance {
  number: number;
  containerID: string;
  shim?: ShimHandle;
  hostPid?: number;
  log: LogFile;
  /** Fan-out of the main process's output to attached clients. */
  attached: Set<PassThrough>;
  exited?: ExitStatus;
  dir: string;
}

class ContainerRecord {
  state: V1ContainerState = { waiting: { reason: 'ContainerCreating' } };
  lastState: V1ContainerState = {};
  restartCount = 0;
  ready = false;
  image?: ResolvedImage;
  instance?: Instance;
  previous?: Instance;
  instances = 0;
  probeTimer?: NodeJS.Timeout;
  /** Resolved run settings, shared by the main process and execs. */
  run?: RunSettings;

  constructor(readonly kind: ContainerKind, readonly spec: AnyContainer) {}

  get name(): string {
    return this.spec.name;
  }
}

interface RunSettings {
  argv: string[];
  env: string[];
  workingDir: string;
  uid: number;
  gid: number;
  groups: number[];
  caps: string;
  noNewPrivs: boolean;
  readOnly: boolean;
}

class PodWorker {
  readonly abort = new AbortController();
  readonly containers = new Map<string, ContainerRecord>();
  sandbox?: ShimHandle;
  sandboxPid?: number;
  startTime?: Date;
  initialized = false;
  terminating = false;
  finished = false;
  readonly conditionTimes = new Map<string, { status: string; time: Date }>();
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(public pod: V1Pod, readonly dir: string) {
    this.done = new Promise((resolve) => { this.resolveDone = resolve; });
  }

  get namespace(): string {
    return this.pod.metadata!.namespace ?? 'default';
  }
  get name(): string {
    return this.pod.metadata!.name!;
  }
  get uid(): string {
    return this.pod.metadata!.uid ?? '';
  }
  /** The kubelet's "NAME_NS(UID)" pod identifier used in its messages. */
  get id(): string {
    return `${this.name}_${this.namespace}(${this.uid})`;
  }
  markDone(): void {
    this.resolveDone();
  }
}

export class Kubelet implements KubeletApi {
  readonly isolation: IsolationMode;
  /** Why containers are plain processes, when they are. */
  readonly isolationReason?: string;
  private readonly store: PodStore;
  private readonly cacheDir: string;
  private readonly shimPath: string;
  private readonly runDir: string;
  private readonly pullDelayMs: number;
  private readonly backoffBaseMs: number;
  private readonly log: (line: string) => void;
  private readonly workers = new Map<string, PodWorker>();
  private readonly shims = new Set<ShimHandle>();
  private readonly pulled = new Set<string>();
  private unsubscribe?: () => void;
  private stopped = false;

  constructor(options: KubeletOptions) {
    this.store = options.store;
    this.cacheDir = path.resolve(options.cacheDir);
    this.shimPath = path.join(this.cacheDir, 'bin/shim');
    this.pullDelayMs = options.pullDelayMs ?? 0;
    this.backoffBaseMs = options.backoffBaseMs ?? 10_000;
    this.log = options.log ?? (() => {});
    this.runDir = path.join(this.cacheDir, 'run', `kubelet-${process.pid}-${randomBytes(4).toString('hex')}`);
    const why = Kubelet.whyNoNamespaces(this.cacheDir);
    if (options.isolation === 'namespaces' && why) throw new Error(`namespaces isolation is not possible: ${why}`);
    this.isolation = options.isolation ?? (why ? 'plain' : 'namespaces');
    if (this.isolation === 'plain') this.isolationReason = why ?? 'plain isolation was requested';
  }

  /** undefined when real namespaces can be used; otherwise the reason they cannot. */
  static whyNoNamespaces(cacheDir: string): string | undefined {
    if (process.platform !== 'linux') return `containers need Linux namespaces; this is ${process.platform}`;
    if (process.getuid?.() !== 0) return 'containers need root (namespaces, overlay and proc mounts); running as uid ' + process.getuid?.();
    if (!fs.existsSync(path.join(cacheDir, 'bin/shim'))) return `the shim is not built (run node test/cluster/kubelet/setup-runtime.mjs): ${path.join(cacheDir, 'bin/shim')} is missing`;
    return undefined;
  }

  async start(): Promise<void> {
    if (!fs.existsSync(this.shimPath)) throw new Error(`${this.shimPath} is missing: run node test/cluster/kubelet/setup-runtime.mjs`);
    fs.mkdirSync(this.runDir, { recursive: true });
    this.log(`kubelet: isolation ${this.isolation}${this.isolationReason ? ` (${this.isolationReason})` : ''}`);
    this.unsubscribe = this.store.onPodChange((type, pod) => this.onPodChange(type, pod));
    for (const pod of this.store.listPods()) this.onPodChange('ADDED', pod);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    for (const w of this.workers.values()) {
      w.abort.abort();
      for (const c of w.containers.values()) clearInterval(c.probeTimer);
    }
    // SIGKILL to each container process and each shim; the shims' children die with them (PDEATHSIG).
    for (const w of this.workers.values()) {
      for (const c of w.containers.values()) killPid(c.instance?.hostPid, 'SIGKILL');
      killPid(w.sandboxPid, 'SIGKILL');
    }
    for (const shim of this.shims) shim.child.kill('SIGKILL');
    await Promise.all([...this.shims].map((s) => s.exited));
    for (const w of this.workers.values()) for (const c of w.containers.values()) c.instance?.log.close();
    this.workers.clear();
    fs.rmSync(this.runDir, { recursive: true, force: true });
    try {
      fs.rmdirSync(path.dirname(this.runDir));
    } catch {
      // other kubelets still run here
    }
  }

  // ---------------------------------------------------------------- reconciliation

  private onPodChange(type: WatchEventType, pod: V1Pod): void {
    if (this.stopped) return;
    const uid = pod.metadata?.uid ?? `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    let worker = this.workers.get(uid);
    if (type === 'DELETED') {
      if (worker) void this.terminate(worker, 0, false);
      return;
    }
    if (!worker) {
      // A real kubelet runs only the pods bound to its node: not one a scheduling gate holds back.
      if (pod.spec?.nodeName !== NODE_NAME) return;
      if (pod.metadata?.deletionTimestamp) {
        this.store.removePod(pod.metadata.namespace ?? 'default', pod.metadata.name!, pod.metadata.uid);
        return;
      }
      worker = new PodWorker(pod, path.join(this.runDir, 'pods', `${pod.metadata?.namespace}_${pod.metadata?.name}_${uid}`));
      this.workers.set(uid, worker);
      void this.runPod(worker).catch((e) => this.log(`kubelet: pod ${worker!.id}: ${e instanceof Error ? e.stack : e}`));
      return;
    }
    worker.pod = pod;
    if (pod.metadata?.deletionTimestamp) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      void this.terminate(worker, grace, true);
      return;
    }
    this.startNewEphemeralContainers(worker);
  }

  private async runPod(w: PodWorker): Promise<void> {
    const spec = w.pod.spec!;
    for (const c of spec.initContainers ?? []) w.containers.set(c.name, new ContainerRecord('init', c));
    for (const c of spec.containers ?? []) {
      const record = new ContainerRecord('regular', c);
      if (spec.initContainers?.length) record.state = { waiting: { reason: 'PodInitializing' } };
      w.containers.set(c.name, record);
    }
    for (const c of w.containers.values()) if (c.kind === 'init') c.state = { waiting: { reason: 'PodInitializing' } };
    w.startTime = k8sTime();
    fs.mkdirSync(w.dir, { recursive: true });
    this.pushStatus(w);
    try {
      await this.startSandbox(w);
    } catch (e) {
      if (e instanceof Aborted) return;
      this.log(`kubelet: sandbox for ${w.id} failed: ${(e as Error).message}`);
      for (const c of w.containers.values()) c.state = { waiting: { reason: 'CreateContainerError', message: `failed to create pod sandbox: ${(e as Error).message}` } };
      this.pushStatus(w);
      return;
    }
    this.startNewEphemeralContainers(w);
    try {
      for (const c of w.containers.values()) {
        if (c.kind !== 'init') continue;
        c.state = { waiting: { reason: 'ContainerCreating' } };
        const ok = await this.runContainerLoop(w, c);
        if (!ok) return; // pod failed (restartPolicy Never) or is terminating
      }
      w.initialized = true;
      const regular = [...w.containers.values()].filter((c) => c.kind === 'regular');
      for (const c of regular) c.state = { waiting: { reason: 'ContainerCreating' } };
      this.pushStatus(w);
      await Promise.all(regular.map((c) => this.runContainerLoop(w, c)));
    } catch (e) {
      if (!(e instanceof Aborted)) throw e;
    }
  }

  private async startSandbox(w: PodWorker): Promise<void> {
    const pause = resolveImage('registry.k8s.io/pause:3.10', this.cacheDir)!;
    if (this.isolation === 'plain') return;
    const root = path.join(w.dir, 'sandbox-root');
    fs.mkdirSync(root, { recursive: true });
    // Real pause runs as 65535 with no capabilities; it only holds the namespaces and reaps orphans.
    const args = ['run', '--new-net', '--new-uts', '--new-ipc', '--new-pid', '--hostname', w.name.slice(0, 63),
      '--bind-rootfs', pause.rootfs, '--merged', root, '--readonly', '--uid', '65535', '--gid', '65535', '--caps', '0', '--', '/pause'];
    const shim = this.track(spawnShim(this.shimPath, args, { stdin: false, tty: false }));
    w.sandbox = shim;
    w.sandboxPid = await shim.pid;
    await shim.started;
    void shim.exited.then(() => {
      if (!w.terminating && !this.stopped) this.log(`kubelet: sandbox of ${w.id} exited unexpectedly`);
    });
  }

  /**
   * Runs a container until the restart policy says stop. Returns true when it completed successfully
   * (what an init container must do), false otherwise.
   */
  private async runContainerLoop(w: PodWorker, c: ContainerRecord): Promise<boolean> {
    const policy = c.kind === 'ephemeral' ? 'Never' : (w.pod.spec?.restartPolicy ?? 'Always');
    let failures = 0;
    for (;;) {
      // Stopping the kubelet kills containers without marking pods terminating: their exit must not restart them.
      if (w.terminating || w.abort.signal.aborted) return false;
      const image = await this.pull(w, c);
      const configError = this.prepare(w, c, image);
      if (configError) {
        c.state = { waiting: { reason: 'CreateContainerConfigError', message: configError } };
        this.pushStatus(w);
        return false; // the spec cannot change, so retrying could never succeed
      }
      const exit = await this.runInstance(w, c);
      if (w.terminating || w.abort.signal.aborted) return false;
      const succeeded = exit.exitCode === 0;
      if (c.kind === 'init' && succeeded) return true;
      const restart = policy === 'Always' || (policy === 'OnFailure' && !succeeded) || (c.kind === 'init' && policy !== 'Never' && !succeeded);
      if (!restart) {
        this.pushStatus(w);
        return succeeded;
      }
      failures++;
      c.lastState = c.state;
      if (failures === 1) {
        // The real kubelet has no back-off entry for a container's first exit, so it restarts at once.
        c.restartCount++;
        continue;
      }
      const delay = Math.min(this.backoffBaseMs * 2 ** (failures - 2), this.backoffBaseMs * 30);
      c.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${goDuration(delay)} restarting failed container=${c.name} pod=${w.id}` } };
      this.pushStatus(w);
      await sleep(delay, w.abort.signal);
      c.restartCount++;
    }
  }

  /** "Pulls" the image: resolves it in the catalogue, failing and backing off like a registry miss. */
  private async pull(w: PodWorker, c: ContainerRecord): Promise<ResolvedImage> {
    const ref = c.spec.image ?? '';
    let failures = 0;
    for (;;) {
      const image = resolveImage(ref, this.cacheDir);
      const policy = c.spec.imagePullPolicy ?? (/:latest$|^[^:@]*$/.test(ref.replace(/^.*\//, '')) ? 'Always' : 'IfNotPresent');
      const needPull = !image || policy === 'Always' || !this.pulled.has(image.imageID);
      if (needPull && this.pullDelayMs > 0 && !c.state.running) {
        if (!c.state.waiting || c.state.waiting.reason !== 'ContainerCreating') {
          c.state = { waiting: { reason: 'ContainerCreating' } };
          this.pushStatus(w);
        }
        await sleep(this.pullDelayMs, w.abort.signal);
      }
      if (image && fs.existsSync(image.rootfs)) {
        this.pulled.add(image.imageID);
        c.image = image;
        return image;
      }
      const message = image ? `failed to pull image "${ref}": rootfs ${image.rootfs} is not built (run setup-runtime.mjs)` : pullErrorMessage(ref);
      c.state = { waiting: { reason: 'ErrImagePull', message } };
      this.pushStatus(w);
      this.log(`kubelet: ${w.id} ${c.name}: ${message}`);
      const delay = Math.min(this.backoffBaseMs * 2 ** failures, this.backoffBaseMs * 30);
      failures++;
      await sleep(Math.min(delay, this.backoffBaseMs), w.abort.signal);
      c.state = { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${ref}"` } };
      this.pushStatus(w);
      await sleep(delay, w.abort.signal);
    }
  }

  /** Resolves user, caps, env, argv. Returns a CreateContainerConfigError message when it cannot. */
  private prepare(w: PodWorker, c: ContainerRecord, image: ResolvedImage): string | undefined {
    const hostAccess = hostAccessOf(w.pod);
    if (hostAccess.length > 0) {
      // Joining this machine's namespaces or mounting its / would hand a test pod the developer's machine.
      return `the loopback kubelet does not run pods with ${hostAccess.join(', ')}: it would expose the machine running the tests; run node debugging on a real node (EPHEMERAL_DEBUG_TEST_CLUSTER=real)`;
    }
    const podSc = w.pod.spec?.securityContext ?? {};
    const sc = c.spec.securityContext ?? {};
    const config = image.definition.config;
    const [imageUser, imageGroup] = config.user.split(':');
    const runAsUser = sc.runAsUser ?? podSc.runAsUser;
    const uid = runAsUser ?? Number(imageUser);
    if (!Number.isInteger(uid)) return `failed to resolve image user "${config.user}"`;
    const runAsNonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
    if (runAsNonRoot && uid === 0) {
      return runAsUser === undefined
        ? `container has runAsNonRoot and image will run as root (pod: "${w.id}", container: ${c.name})`
        : `container's runAsUser breaks non-root policy (pod: "${w.id}", container: ${c.name})`;
    }
    const gid = sc.runAsGroup ?? podSc.runAsGroup ?? (imageGroup !== undefined ? Number(imageGroup) : primaryGroup(image.rootfs, uid));
    const groups = [...new Set([gid, ...(podSc.supplementalGroups ?? []), ...(podSc.fsGroup !== undefined ? [podSc.fsGroup] : [])])];
    const env = new Map<string, string>();
    for (const e of config.env) {
      const i = e.indexOf('=');
      env.set(e.slice(0, i), e.slice(i + 1));
    }
    env.set('HOSTNAME', w.name);
    for (const e of c.spec.env ?? []) {
      if (e.value !== undefined) env.set(e.name, expand(e.value, env));
      else if (e.valueFrom?.fieldRef) {
        const value = fieldRef(w.pod, e.valueFrom.fieldRef.fieldPath);
        if (value === undefined) return `unsupported fieldPath: ${e.valueFrom.fieldRef.fieldPath}`;
        env.set(e.name, value);
      } else if (e.valueFrom?.configMapKeyRef || e.valueFrom?.secretKeyRef) {
        const ref = e.valueFrom.configMapKeyRef ?? e.valueFrom.secretKeyRef!;
        if (ref.optional) continue;
        return `${e.valueFrom.configMapKeyRef ? 'configmap' : 'secret'} "${ref.name}" not found`;
      } else env.set(e.name, '');
    }
    if (c.spec.tty) env.set('TERM', env.get('TERM') ?? 'xterm');
    const command = c.spec.command?.length ? c.spec.command : config.entrypoint;
    const args = c.spec.command?.length ? (c.spec.args ?? []) : (c.spec.args ?? config.cmd);
    const argv = [...command, ...args].map((a) => expand(a, env));
    if (!argv.length) return 'no command specified';
    const privileged = !!sc.privileged;
    c.run = {
      argv,
      env: [...env].map(([k, v]) => `${k}=${v}`),
      workingDir: c.spec.workingDir || config.workingDir || '/',
      uid, gid, groups,
      caps: capabilityMask(sc.capabilities?.add, sc.capabilities?.drop, privileged),
      noNewPrivs: sc.allowPrivilegeEscalation === false && !privileged,
      readOnly: !!sc.readOnlyRootFilesystem,
    };
    return undefined;
  }

  /** One container instance: start it, report Running, wait for its end, report Terminated. */
  private async runInstance(w: PodWorker, c: ContainerRecord): Promise<ExitStatus> {
    const run = c.run!;
    const number = c.instances++;
    const containerID = createHash('sha256').update(`${w.uid}/${c.name}/${number}/${randomBytes(8).toString('hex')}`).digest('hex');
    const dir = path.join(w.dir, 'containers', `${c.name}-${number}`);
    const logDir = path.join(w.dir, 'logs', c.name);
    fs.mkdirSync(logDir, { recursive: true });
    const instance: Instance = { number, containerID, log: new LogFile(path.join(logDir, `${number}.log`)), attached: new Set(), dir };
    if (c.previous) this.removeInstanceDirs(c.previous);
    c.previous = c.instance;
    c.instance = instance;
    const args = ['run'];
    if (this.isolation === 'namespaces') {
      for (const d of ['upper', 'work', 'merged']) fs.mkdirSync(path.join(dir, d), { recursive: true });
      const sandbox = `/proc/${w.sandboxPid}/ns`;
      args.push('--netns', `${sandbox}/net`, '--utsns', `${sandbox}/uts`, '--ipcns', `${sandbox}/ipc`);
      const pidSource = this.pidNamespaceFor(w, c);
      if (pidSource) args.push('--pidns', pidSource);
      else args.push('--new-pid');
      args.push('--proc', '--lower', c.image!.rootfs, '--upper', path.join(dir, 'upper'), '--work', path.join(dir, 'work'),
        '--merged', path.join(dir, 'merged'));
      if (run.readOnly) args.push('--readonly');
      args.push(...this.identityArgs(run));
    } else {
      args.push('--workdir', path.join(c.image!.rootfs, run.workingDir));
      for (const e of plainEnv(run.env, c.image!.rootfs)) args.push('--env', e);
    }
    const tty = !!c.spec.tty;
    if (tty) args.push('--tty');
    args.push('--', ...run.argv);
    const shim = this.track(spawnShim(this.shimPath, args, { stdin: !!c.spec.stdin, tty }));
    instance.shim = shim;
    const fanOut = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      instance.log.write(stream, chunk);
      for (const a of instance.attached) a.write(chunk);
    };
    shim.stdout.on('data', fanOut('stdout'));
    shim.stderr?.on('data', fanOut('stderr'));
    const outputDone = Promise.all([shim.stdout, shim.stderr].filter((s): s is Readable => !!s)
      .map((s) => new Promise<void>((resolve) => { s.on('close', resolve); s.on('error', () => resolve()); })));
    try {
      instance.hostPid = await shim.pid;
      await shim.started;
    } catch (e) {
      const exit = await shim.exited;
      await outputDone;
      instance.log.close();
      instance.exited = { exitCode: 128 };
      const now = k8sTime();
      c.state = { terminated: { exitCode: 128, reason: 'StartError', startedAt: new Date(0).toISOString() as unknown as Date, finishedAt: now,
        containerID: `containerd://${containerID}`,
        message: `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${(e as Error).message}: unknown` } };
      this.log(`kubelet: ${w.id} ${c.name}: start failed (${(e as Error).message}), shim exit ${exit.exitCode}`);
      this.endAttached(instance, { exitCode: 128 });
      c.ready = false;
      this.pushStatus(w);
      return { exitCode: 128 };
    }
    const startedAt = k8sTime();
    c.state = { running: { startedAt } };
    c.ready = !c.spec.hasOwnProperty('readinessProbe') || !(c.spec as V1Container).readinessProbe;
    if (c.kind === 'ephemeral') c.ready = false;
    this.pushStatus(w);
    this.startProbes(w, c, instance);
    const exit = await shim.exited;
    await outputDone;
    clearInterval(c.probeTimer);
    instance.exited = exit;
    instance.log.close();
    this.endAttached(instance, exit);
    c.ready = false;
    c.state = { terminated: { exitCode: exit.exitCode, reason: exit.exitCode === 0 ? 'Completed' : 'Error', startedAt, finishedAt: k8sTime(),
      containerID: `containerd://${containerID}` } };
    this.pushStatus(w);
    return exit;
  }

  /** Which PID namespace a container joins: the pod's (shareProcessNamespace), its target's, or a new one. */
  private pidNamespaceFor(w: PodWorker, c: ContainerRecord): string | undefined {
    if (w.pod.spec?.shareProcessNamespace) return `/proc/${w.sandboxPid}/ns/pid`;
    if (c.kind === 'ephemeral') {
      const target = (c.spec as V1EphemeralContainer).targetContainerName;
      const pid = target ? w.containers.get(target)?.instance?.hostPid : undefined;
      const running = target ? w.containers.get(target)?.state.running : undefined;
      if (pid && running) return `/proc/${pid}/ns/pid`;
    }
    return undefined;
  }

  private identityArgs(run: RunSettings): string[] {
    const args = ['--uid', String(run.uid), '--gid', String(run.gid), '--caps', run.caps, '--workdir', run.workingDir];
    for (const g of run.groups) args.push('--group', String(g));
    if (run.noNewPrivs) args.push('--no-new-privs');
    for (const e of run.env) args.push('--env', e);
    return args;
  }

  private startNewEphemeralContainers(w: PodWorker): void {
    if (w.terminating || (this.isolation === 'namespaces' && !w.sandboxPid)) return;
    for (const spec of w.pod.spec?.ephemeralContainers ?? []) {
      if (w.containers.has(spec.name)) continue;
      const c = new ContainerRecord('ephemeral', spec);
      w.containers.set(spec.name, c);
      this.pushStatus(w);
      void this.runContainerLoop(w, c).catch((e) => {
        if (!(e instanceof Aborted)) this.log(`kubelet: ephemeral ${spec.name}: ${(e as Error).stack}`);
      });
    }
  }

  // ---------------------------------------------------------------- probes

  private startProbes(w: PodWorker, c: ContainerRecord, instance: Instance): void {
    const probe = c.kind === 'ephemeral' ? undefined : (c.spec as V1Container).readinessProbe;
    if (!probe) return;
    const period = Math.max(1, probe.periodSeconds ?? 10) * 1000;
    const failureThreshold = probe.failureThreshold ?? 3;
    const successThreshold = probe.successThreshold ?? 1;
    let successes = 0;
    let failures = 0;
    let busy = false;
    const tick = async () => {
      if (busy || instance.exited || w.terminating) return;
      busy = true;
      const ok = await this.probe(w, c, probe).catch(() => false);
      busy = false;
      if (instance.exited || c.instance !== instance) return;
      if (ok) { successes++; failures = 0; } else { failures++; successes = 0; }
      const ready = c.ready ? failures < failureThreshold : successes >= successThreshold;
      if (ready !== c.ready) {
        c.ready = ready;
        this.pushStatus(w);
      }
    };
    const begin = () => {
      if (instance.exited) return;
      void tick();
      c.probeTimer = setInterval(() => void tick(), period);
    };
    const delay = (probe.initialDelaySeconds ?? 0) * 1000;
    if (delay) c.probeTimer = setTimeout(begin, delay);
    else begin();
  }

  private async probe(w: PodWorker, c: ContainerRecord, probe: V1Probe): Promise<boolean> {
    const timeout = (probe.timeoutSeconds ?? 1) * 1000;
    const withTimeout = <T>(p: Promise<T>, onTimeout: () => void) => Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => { onTimeout(); reject(new Error('timeout')); }, timeout))]);
    if (probe.exec?.command) {
      const proc = await this.exec(w.namespace, w.name, c.name, probe.exec.command, { stdin: false, stdout: true, stderr: true, tty: false });
      proc.stdout.resume();
      proc.stderr?.resume();
      const exit = await withTimeout(proc.exited, () => proc.kill());
      return exit.exitCode === 0;
    }
    const port = probe.tcpSocket?.port ?? probe.httpGet?.port;
    if (port === undefined) return false;
    const portNumber = typeof port === 'number' ? port : Number.isInteger(Number(port)) ? Number(port)
      : (c.spec as V1Container).ports?.find((p) => p.name === port)?.containerPort;
    if (!portNumber) return false;
    const socket = await this.portForward(w.namespace, w.name, portNumber);
    if (probe.tcpSocket) {
      socket.destroy();
      return true;
    }
    const get = probe.httpGet!;
    const answer = new Promise<boolean>((resolve) => {
      let head = '';
      socket.on('data', (d: Buffer) => {
        head += d.toString('latin1');
        const m = /^HTTP\/\d\.\d (\d{3})/.exec(head);
        if (m) { resolve(Number(m[1]) >= 200 && Number(m[1]) < 400); socket.destroy(); }
      });
      socket.on('end', () => resolve(false));
      socket.on('error', () => resolve(false));
    });
    const headers = (get.httpHeaders ?? []).map((h) => `${h.name}: ${h.value}\r\n`).join('');
    socket.write(`GET ${get.path ?? '/'} HTTP/1.1\r\nHost: ${get.host ?? POD_IP}:${portNumber}\r\nUser-Agent: kube-probe/1.34\r\nAccept: */*\r\n${headers}Connection: close\r\n\r\n`);
    return withTimeout(answer, () => socket.destroy());
  }

  // ---------------------------------------------------------------- deletion

  private async terminate(w: PodWorker, graceSeconds: number, removeWhenDone: boolean): Promise<void> {
    if (w.terminating) {
      // A second, shorter delete: only shortens the wait.
      if (graceSeconds === 0) this.killAll(w, 'SIGKILL');
      return w.done;
    }
    w.terminating = true;
    w.abort.abort();
    for (const c of w.containers.values()) clearInterval(c.probeTimer);
    const running = [...w.containers.values()].filter((c) => c.instance && !c.instance.exited && c.instance.shim);
    this.killAll(w, graceSeconds > 0 ? 'SIGTERM' : 'SIGKILL');
    const exits = Promise.all(running.map((c) => c.instance!.shim!.exited));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exits, new Promise<void>((resolve) => { timer = setTimeout(resolve, graceSeconds * 1000); })]);
    clearTimeout(timer);
    this.killAll(w, 'SIGKILL');
    await exits;
    killPid(w.sandboxPid, 'SIGKILL');
    if (w.sandbox) await w.sandbox.exited;
    // Running containers were cut short: report them the way the real kubelet does before removal.
    for (const c of w.containers.values()) {
      if (c.state.waiting) c.state = { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' } };
    }
    this.workers.delete(w.uid || `${w.namespace}/${w.name}`);
    if (removeWhenDone && !this.stopped) {
      this.pushStatus(w);
      this.store.removePod(w.namespace, w.name, w.uid);
    }
    for (const c of w.containers.values()) c.instance?.log.close();
    fs.rmSync(w.dir, { recursive: true, force: true });
    w.markDone();
  }

  private killAll(w: PodWorker, signal: NodeJS.Signals): void {
    for (const c of w.containers.values()) {
      if (c.instance && !c.instance.exited) killPid(c.instance.hostPid, signal);
    }
  }

  private removeInstanceDirs(instance: Instance): void {
    fs.rmSync(instance.dir, { recursive: true, force: true });
  }

  // ---------------------------------------------------------------- status

  private pushStatus(w: PodWorker): void {
    if (this.stopped) return;
    const status = (c: ContainerRecord): V1ContainerStatus => ({
      name: c.name,
      state: c.state,
      lastState: c.lastState,
      ready: c.ready,
      restartCount: c.restartCount,
      image: c.image?.reference ?? c.spec.image ?? '',
      imageID: c.image?.imageID ?? '',
      ...(c.instance ? { containerID: `containerd://${c.instance.containerID}` } : {}),
      ...(c.kind !== 'ephemeral' ? { started: !!c.state.running } : {}),
      // The identity the process runs as, as kubelet 1.33+ reports it from a runtime that tells (containerd 2.x).
      ...(c.run && c.state.running ? { user: { linux: { uid: c.run.uid, gid: c.run.gid, supplementalGroups: c.run.groups } } } : {}),
    });
    const all = [...w.containers.values()];
    const init = all.filter((c) => c.kind === 'init');
    const regular = all.filter((c) => c.kind === 'regular');
    const ephemeral = all.filter((c) => c.kind === 'ephemeral');
    const phase = this.phase(w, init, regular);
    const unready = regular.filter((c) => !c.ready).map((c) => c.name);
    const uninitialized = init.filter((c) => !(c.state.terminated?.exitCode === 0)).map((c) => c.name);
    const finished = phase === 'Succeeded' || phase === 'Failed';
    const condition = (type: string, ok: boolean, reason?: string, message?: string): V1PodCondition => {
      const status = ok ? 'True' : 'False';
      const previous = w.conditionTimes.get(type);
      const time = previous && previous.status === status ? previous.time : k8sTime();
      w.conditionTimes.set(type, { status, time });
      return { type, status, lastProbeTime: null as unknown as Date, lastTransitionTime: time, ...(ok ? {} : { reason, message }) };
    };
    const initialized = uninitialized.length === 0 || w.initialized;
    const conditions = [
      condition('PodReadyToStartContainers', !!w.sandboxPid || this.isolation === 'plain'),
      condition('Initialized', initialized, 'ContainersNotInitialized', `containers with incomplete status: [${uninitialized.join(' ')}]`),
      condition('Ready', unready.length === 0 && !finished, finished ? 'PodCompleted' : 'ContainersNotReady', finished ? undefined : `containers with unready status: [${unready.join(' ')}]`),
      condition('ContainersReady', unready.length === 0 && !finished, finished ? 'PodCompleted' : 'ContainersNotReady', finished ? undefined : `containers with unready status: [${unready.join(' ')}]`),
      condition('PodScheduled', true),
    ];
    this.store.updatePodStatus(w.namespace, w.name, (pod) => {
      pod.status = {
        ...pod.status,
        phase,
        conditions,
        hostIP: POD_IP,
        hostIPs: [{ ip: POD_IP }],
        podIP: POD_IP,
        podIPs: [{ ip: POD_IP }],
        startTime: w.startTime,
        qosClass: qosClass(w.pod),
        containerStatuses: regular.map(status),
        ...(init.length ? { initContainerStatuses: init.map(status) } : {}),
        ...(ephemeral.length ? { ephemeralContainerStatuses: ephemeral.map(status) } : {}),
      };
    }, w.uid);
  }

  /** The real kubelet's getPhase, simplified to the cases a loopback node meets. */
  private phase(w: PodWorker, init: ContainerRecord[], regular: ContainerRecord[]): string {
    const policy = w.pod.spec?.restartPolicy ?? 'Always';
    if (!w.initialized) {
      const failedInit = init.some((c) => c.state.terminated && c.state.terminated.exitCode !== 0);
      return failedInit && policy === 'Never' ? 'Failed' : 'Pending';
    }
    let waiting = 0, running = 0, stopped = 0, succeeded = 0;
    for (const c of regular) {
      if (c.state.running) running++;
      else if (c.state.terminated) { stopped++; if (c.state.terminated.exitCode === 0) succeeded++; }
      else if (c.lastState.terminated) stopped++;
      else waiting++;
    }
    if (waiting > 0) return 'Pending';
    if (running > 0) return 'Running';
    if (stopped === regular.length && stopped > 0) {
      if (policy === 'Always') return 'Running';
      if (policy === 'OnFailure') return succeeded === stopped ? 'Succeeded' : 'Running';
      return succeeded === stopped ? 'Succeeded' : 'Failed';
    }
    return 'Pending';
  }

  // ---------------------------------------------------------------- streams

  private findContainer(namespace: string, podName: string, container: string): { w: PodWorker; c: ContainerRecord } {
    const w = [...this.workers.values()].find((x) => x.namespace === namespace && x.name === podName && !x.terminating);
    if (!w) throw new KubeletError(404, `pods "${podName}" not found`);
    const c = w.containers.get(container);
    if (!c) throw new KubeletError(400, `container ${container} is not valid for pod ${podName}`);
    return { w, c };
  }

  private runningContainer(namespace: string, podName: string, container: string) {
    const found = this.findContainer(namespace, podName, container);
    const { c } = found;
    if (!c.state.running || !c.instance?.hostPid || c.instance.exited) {
      throw new KubeletError(400, `unable to upgrade connection: container not found ("${container}")`);
    }
    return { ...found, instance: c.instance };
  }

  async exec(namespace: string, pod: string, container: string, command: string[],
    options: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }): Promise<ExecProcess> {
    const { c, instance } = this.runningContainer(namespace, pod, container);
    if (!command.length) throw new KubeletError(400, 'you must specify at least one command for the container');
    const run = c.run!;
    const args = ['run'];
    if (this.isolation === 'namespaces') {
      args.push('--join', String(instance.hostPid), ...this.identityArgs({ ...run, env: options.tty ? withTerm(run.env) : run.env }));
    } else {
      args.push('--workdir', path.join(c.image!.rootfs, run.workingDir));
      for (const e of plainEnv(run.env, c.image!.rootfs)) args.push('--env', e);
    }
    if (options.tty) args.push('--tty');
    args.push('--', ...command);
    const shim = this.track(spawnShim(this.shimPath, args, { stdin: options.stdin, tty: options.tty }));
    try {
      await shim.started;
    } catch (e) {
      await shim.exited;
      const execId = randomBytes(32).toString('hex');
      throw new KubeletError(500, `error executing command in container: failed to exec in container: failed to start exec "${execId}": OCI runtime exec failed: exec failed: unable to start container process: ${(e as Error).message}: unknown`, 'InternalError');
    }
    const stdout = options.stdout ? shim.stdout : drain(shim.stdout);
    const stderr = options.tty ? null : options.stderr ? shim.stderr : drain(shim.stderr);
    return {
      stdin: shim.stdin,
      stdout,
      stderr,
      resize: (cols, rows) => { if (options.tty) shim.control.write(`${cols} ${rows}\n`); },
      kill: (signal = 'SIGKILL') => {
        void shim.pid.then((pid) => killPid(pid, signal));
        shim.child.kill(signal);
      },
      exited: shim.exited,
    };
  }

  async attach(namespace: string, pod: string, container: string,
    options: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }): Promise<AttachSession> {
    const { c, instance } = this.runningContainer(namespace, pod, container);
    const shim = instance.shim!;
    const output = new PassThrough();
    if (options.stdout || options.stderr) instance.attached.add(output);
    else output.end();
    let stdin: Writable | null = null;
    if (options.stdin && c.spec.stdin && shim.stdin) {
      const target = shim.stdin;
      stdin = new Writable({
        write(chunk, _enc, cb) {
          if (!target.writable) return cb();
          target.write(chunk, () => cb());
        },
        final(cb) {
          // stdinOnce: the container's stdin closes after the first attach ends, as on a real node.
          if (c.spec.stdinOnce) target.end();
          cb();
        },
      });
    }
    const ended = shim.exited.then((exit) => exit);
    return {
      stdin,
      stdout: output,
      stderr: null,
      resize: (cols, rows) => { if (c.spec.tty) shim.control.write(`${cols} ${rows}\n`); },
      detach: () => {
        instance.attached.delete(output);
        output.end();
      },
      ended,
    };
  }

  async portForward(namespace: string, pod: string, port: number): Promise<Duplex> {
    const w = [...this.workers.values()].find((x) => x.namespace === namespace && x.name === pod && !x.terminating);
    if (!w) throw new KubeletError(404, `pods "${pod}" not found`);
    if (this.isolation === 'plain') {
      return await new Promise<Duplex>((resolve, reject) => {
        const socket = net.connect(port, POD_IP, () => resolve(socket));
        socket.once('error', (e) => reject(new KubeletError(500, `error forwarding port ${port} to pod ${pod}: ${e.message}`)));
      });
    }
    if (!w.sandboxPid) throw new KubeletError(400, `pod ${pod} has no sandbox yet`);
    const shim = this.track(spawnShim(this.shimPath, ['connect', `/proc/${w.sandboxPid}/ns/net`, String(port)], { stdin: true, tty: false }));
    shim.stderr?.resume();
    try {
      await shim.started;
    } catch (e) {
      await shim.exited;
      throw new KubeletError(500, `error forwarding port ${port} to pod ${w.uid}: failed to connect to localhost:${port} inside namespace of pod ${pod}: ${(e as Error).message}`);
    }
    return relayDuplex(shim);
  }

  async logs(namespace: string, pod: string, container: string, options: LogOptions): Promise<Readable> {
    const { c } = this.findContainer(namespace, pod, container);
    const instance = options.previous ? c.previous : c.instance;
    if (options.previous && !instance) {
      throw new KubeletError(400, `previous terminated container "${container}" in pod "${pod}" not found`);
    }
    if (!instance) {
      const reason = c.state.waiting?.reason ?? 'ContainerCreating';
      throw new KubeletError(400, `container "${container}" in pod "${pod}" is waiting to start: ${reason === 'ErrImagePull' || reason === 'ImagePullBackOff' ? 'trying and failing to pull image' : reason}`);
    }
    return readLogs(instance.log.path, options, options.previous ? undefined : instance.log);
  }

  // ---------------------------------------------------------------- helpers

  private track(shim: ShimHandle): ShimHandle {
    this.shims.add(shim);
    void shim.exited.then(() => this.shims.delete(shim));
    return shim;
  }

  private endAttached(instance: Instance, _exit: ExitStatus): void {
    for (const a of instance.attached) a.end();
    instance.attached.clear();
  }

  /** Host pids of every live process the kubelet started (for tests checking cleanup). */
  livePids(): number[] {
    return [...this.shims].map((s) => s.child.pid).filter((p): p is number => p !== undefined);
  }

  /** Where this kubelet keeps upper/work dirs and logs (removed by stop()). */
  get runDirectory(): string {
    return this.runDir;
  }
}

/** The caller's end of a port-forward connection; destroying it ends the relay process. */
function relayDuplex(shim: ShimHandle): Duplex {
  const output = shim.stdout;
  const input = shim.stdin!;
  const duplex = new Duplex({
    read() {
      output.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (!input.writable) return callback();
      input.write(chunk, () => callback()); // a closed peer is reported as end of the readable side
    },
    final(callback) {
      input.end();
      callback();
    },
    destroy(error, callback) {
      shim.child.kill('SIGKILL');
      output.destroy();
      input.destroy();
      callback(error);
    },
  });
  output.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) output.pause();
  });
  output.on('end', () => duplex.push(null));
  output.on('error', () => duplex.push(null));
  return duplex;
}

function killPid(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function drain(stream: Readable | null): Readable {
  const empty = new PassThrough();
  empty.end();
  stream?.resume();
  return empty;
}

function withTerm(env: string[]): string[] {
  return env.some((e) => e.startsWith('TERM=')) ? env : [...env, 'TERM=xterm'];
}

/** Plain mode: the image's PATH entries inside its rootfs come first, then the host's. */
function plainEnv(env: string[], rootfs: string): string[] {
  return env.map((e) => e.startsWith('PATH=')
    ? `PATH=${e.slice(5).split(':').map((p) => path.join(rootfs, p)).join(':')}:${process.env.PATH ?? ''}`
    : e);
}

/** Kubernetes' $(VAR) expansion in env values, command and args; $$ escapes. */
function expand(text: string, env: Map<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return env.has(name!) ? env.get(name!)! : m;
  });
}

function fieldRef(pod: V1Pod, fieldPath: string): string | undefined {
  const meta = pod.metadata ?? {};
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (labelOrAnnotation) return (labelOrAnnotation[1] === 'labels' ? meta.labels : meta.annotations)?.[labelOrAnnotation[2]] ?? '';
  switch (fieldPath) {
    case 'metadata.name': return meta.name ?? '';
    case 'metadata.namespace': return meta.namespace ?? 'default';
    case 'metadata.uid': return meta.uid ?? '';
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP': case 'status.hostIP': return POD_IP;
    case 'status.podIPs': case 'status.hostIPs': return POD_IP;
    default: return undefined;
  }
}

/** The user's primary group from the image's /etc/passwd, as containerd looks it up (0 when absent). */
function primaryGroup(rootfs: string, uid: number): number {
  try {
    for (const line of fs.readFileSync(path.join(rootfs, 'etc/passwd'), 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length > 3 && Number(f[2]) === uid) return Number(f[3]);
    }
  } catch {
    // distroless-like images may lack /etc/passwd
  }
  return 0;
}

function qosClass(pod: V1Pod): string {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (lim[r] === undefined || (req[r] !== undefined && String(req[r]) !== String(lim[r]))) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** What of the host a pod asks for: host namespaces and hostPath volumes (the loopback refuses them). */
export function hostAccessOf(pod: V1Pod): string[] {
  const spec = pod.spec;
  return [
    ...(['hostPID', 'hostNetwork', 'hostIPC'] as const).filter((k) => spec?.[k] === true),
    ...(spec?.volumes ?? []).filter((v) => v.hostPath !== undefined).map((v) => `hostPath ${v.hostPath!.path}`),
  ];
}
