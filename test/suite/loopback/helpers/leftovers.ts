/**
 * What the loopback cluster could leave behind on the host, read from /proc so the check does not trust
 * the kubelet's own bookkeeping: processes rooted in (or running from) the cluster's cache, mounts below
 * it, and network namespaces.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface HostSnapshot {
  /** pid → command line, of processes whose root, cwd or executable is below the cache dir. */
  processes: Map<number, string>;
  /** Mount points below the cache dir, as the host's mount namespace sees them. */
  mounts: string[];
  /** Network namespace inode ids in use by processes of this cluster (root, cwd or exe below the cache dir). */
  netns: Set<string>;
}

function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined; // the process ended, or it is a kernel thread
  }
}

export function snapshotHost(cacheDir: string): HostSnapshot {
  const processes = new Map<number, string>();
  const netns = new Set<string>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const links = ['root', 'cwd', 'exe'].map((name) => readLink(`/proc/${pid}/${name}`));
    if (links.some((target) => target?.startsWith(cacheDir))) {
      // Only the namespaces of this cluster's processes: other clusters on the machine (a real node, another
      // checkout's loopback) come and go meanwhile. A namespace the cluster made is held by one of its processes.
      const net = readLink(`/proc/${pid}/ns/net`);
      if (net) netns.add(net);
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      } catch {
        continue;
      }
      processes.set(pid, cmdline);
    }
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((mountPoint): mountPoint is string => mountPoint !== undefined && mountPoint.startsWith(cacheDir));
  return { processes, mounts, netns };
}

/** Describes what `after` has that `before` did not; empty when nothing was left behind. */
export function leftoversSince(before: HostSnapshot, after: HostSnapshot): string[] {
  const found: string[] = [];
  for (const [pid, cmdline] of after.processes) if (!before.processes.has(pid)) found.push(`process ${pid}: ${cmdline}`);
  for (const mount of after.mounts) if (!before.mounts.includes(mount)) found.push(`mount ${mount}`);
  for (const ns of after.netns) if (!before.netns.has(ns)) found.push(`network namespace ${ns}`);
  return found;
}
