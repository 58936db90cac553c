/**
 * What the real node changes on the machine outside its own folder — the network namespace and its veth,
 * the cgroup root in every hierarchy, kernel settings the kubelet tunes, mounts, symlinks in
 * /var/log/containers, folders the daemons make machine-wide — made and undone here. Undo is idempotent and also runs before a start, so a start
 * after a killed run cleans up first.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CGROUP_ROOT, HOST_LINK, NETNS, NODE_LINK } from './config';

const run = promisify(execFile);
export const NETNS_PATH = `/run/netns/${NETNS}`;

/** Kernel settings the kubelet sets when protectKernelDefaults is false; restored on stop. */
const KUBELET_SYSCTLS = ['vm/overcommit_memory', 'vm/panic_on_oom', 'kernel/panic', 'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys', 'kernel/keys/root_maxbytes'];

export function readSysctls(): Record<string, string> {
  const values: Record<string, string> = {};
  for (const key of KUBELET_SYSCTLS) {
    try {
      values[key] = readFileSync(`/proc/sys/${key}`, 'utf8').trim();
    } catch {
      // not on this kernel
    }
  }
  return values;
}

export function restoreSysctls(values: Record<string, string>): void {
  for (const [key, value] of Object.entries(values)) {
    try {
      writeFileSync(`/proc/sys/${key}`, value);
    } catch {
      // read-only here: nothing we changed
    }
  }
}

export async function createNetwork(): Promise<void> {
  await run('ip', ['netns', 'add', NETNS]);
  await run('ip', ['link', 'add', HOST_LINK.device, 'type', 'veth', 'peer', 'name', NODE_LINK.device, 'netns', NETNS]);
  await run('ip', ['addr', 'add', `${HOST_LINK.address}/${HOST_LINK.prefix}`, 'dev', HOST_LINK.device]);
  await run('ip', ['link', 'set', HOST_LINK.device, 'up']);
  const inNode = (...args: string[]) => run('ip', ['-netns', NETNS, ...args]);
  await inNode('link', 'set', 'lo', 'up');
  await inNode('addr', 'add', `${NODE_LINK.address}/${NODE_LINK.prefix}`, 'dev', NODE_LINK.device);
  await inNode('link', 'set', NODE_LINK.device, 'up');
}

export async function deleteNetwork(): Promise<void> {
  if (existsSync(NETNS_PATH)) await run('ip', ['netns', 'delete', NETNS]).catch(() => undefined);
  // Deleting the namespace deletes the veth pair; this covers a half-made network.
  await run('ip', ['link', 'delete', HOST_LINK.device]).catch(() => undefined);
}

/** The cgroup v1 hierarchies (and a v2 mount, if any) in which our cgroup root is made. */
export function cgroupMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f.length > 8 && (f[f.indexOf('-') + 1] === 'cgroup' || f[f.indexOf('-') + 1] === 'cgroup2'))
    .map((f) => f[4]);
}

export function createCgroupRoot(): void {
  for (const mount of cgroupMounts()) {
    try {
      mkdirSync(join(mount, CGROUP_ROOT), { recursive: true });
    } catch {
      // a read-only or foreign hierarchy: the kubelet says so if it needs it
    }
  }
}

/**
 * Moves a daemon into `<cgroup root>/<name>` of every hierarchy. containerd goes there before it starts any
 * shim, so its shims (which outlive it) are in our subtree too and the clean-up finds them by pid.
 */
export function joinCgroup(pid: number, name: string): void {
  for (const mount of cgroupMounts()) {
    const dir = join(mount, CGROUP_ROOT, name);
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    } catch {
      // a hierarchy that refuses us: the others still hold it
    }
  }
}

/** `dir` and every directory below it, children before their parent (the order rmdir needs). */
function directoriesBottomUp(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const below: string[] = [];
  for (const entry of entries) {
    const child = join(dir, entry);
    try {
      if (statSync(child).isDirectory()) below.push(...directoriesBottomUp(child));
    } catch {
      // raced with removal
    }
  }
  return [...below, dir];
}

/** Every pid in our cgroup subtree (any hierarchy): processes the node started, directly or through runc. */
export function cgroupPids(): number[] {
  const pids = new Set<number>();
  for (const mount of cgroupMounts()) {
    for (const dir of directoriesBottomUp(join(mount, CGROUP_ROOT))) {
      try {
        for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (pid) pids.add(Number(pid));
      } catch {
        // no procs file
      }
    }
  }
  return [...pids];
}

/** Removes our cgroup subtree, deepest first (a cgroup directory goes only once its processes are gone). */
export function removeCgroupRoot(): string[] {
  const left: string[] = [];
  for (const mount of cgroupMounts()) {
    for (const dir of directoriesBottomUp(join(mount, CGROUP_ROOT))) {
      try {
        rmdirSync(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') left.push(dir);
      }
    }
  }
  return left;
}

/** Mount points at or below `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  const decode = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((line) => decode(line.split(' ')[4] ?? ''))
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

export async function unmountAll(dir: string): Promise<string[]> {
  for (let round = 0; round < 3; round++) {
    const points = mountsUnder(dir);
    if (points.length === 0) return [];
    for (const point of points) await run('umount', ['--lazy', point]).catch(() => undefined);
  }
  return mountsUnder(dir);
}

/** The kubelet links /var/log/containers/* to the pod logs; remove the links that point into ours. */
export function removeContainerLogLinks(podLogsDir: string): void {
  const dir = '/var/log/containers';
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    try {
      if (readlinkSync(join(dir, entry)).startsWith(`${podLogsDir}/`)) unlinkSync(join(dir, entry));
    } catch {
      // not a link, or gone
    }
  }
}

/**
 * Machine-wide folders the node's daemons write into whatever their configuration says (deepest first): the
 * kubelet's log links and device-plugin folder, the CNI result cache (libcni's default; containerd has no
 * setting for it), containerd's shim sockets (a path compiled into containerd), `ip netns`'s folder (a bind
 * mount). Those missing before a start are removed again once empty.
 */
const MACHINE_FOLDERS = ['/var/log/containers', '/var/lib/kubelet/device-plugins', '/var/lib/kubelet', '/var/lib/cni/results',
  '/var/lib/cni', '/run/containerd/s', '/run/containerd', '/run/netns'];
/** What the kubelet leaves in a folder it made: its device-plugin registration socket (a path compiled in). */
const KUBELET_ENTRIES: Record<string, string[]> = { '/var/lib/kubelet/device-plugins': ['kubelet.sock'] };
const SHIM_SOCKETS = '/run/containerd/s';
const CNI_RESULTS = '/var/lib/cni/results';

export function missingMachineFolders(): string[] {
  return MACHINE_FOLDERS.filter((folder) => !existsSync(folder));
}

/**
 * The entries our containers left in the machine-wide folders when their shims were killed: a shim's socket is
 * /run/containerd/s/<sha256 of "<containerd address>/<namespace>/<id>">, a CNI result is named
 * "<network>-<sandbox id>-<interface>". Only ours match: the address is our own socket.
 */
export function removeRuntimeEntries(containerdSocket: string, ids: readonly string[]): void {
  const sockets = new Set(ids.flatMap((id) => [join(containerdSocket, 'k8s.io', id), join(containerdSocket, 'k8s.io', id, 'debug')])
    .map((path) => createHash('sha256').update(path).digest('hex')));
  for (const entry of listFolder(SHIM_SOCKETS)) {
    if (sockets.has(entry)) unlinkQuietly(join(SHIM_SOCKETS, entry));
  }
  for (const entry of listFolder(CNI_RESULTS)) {
    if (ids.some((id) => entry.includes(`-${id}-`))) unlinkQuietly(join(CNI_RESULTS, entry));
  }
}

/** Removes the folders of `made` (from missingMachineFolders) that are empty now; returns those left. */
export async function removeMachineFolders(made: readonly string[]): Promise<string[]> {
  const left: string[] = [];
  for (const folder of MACHINE_FOLDERS.filter((f) => made.includes(f))) {
    if (!existsSync(folder)) continue;
    for (const entry of KUBELET_ENTRIES[folder] ?? []) unlinkQuietly(join(folder, entry));
    if (listFolder(folder).length > 0) {
      left.push(folder);
      continue;
    }
    if (folder === '/run/netns') await run('umount', [folder]).catch(() => undefined);
    try {
      rmdirSync(folder);
    } catch {
      left.push(folder);
    }
  }
  return left;
}

function listFolder(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone meanwhile
  }
}
