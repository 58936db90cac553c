/** Turns each raw script section into the text shown in the report. Pure; no I/O. */
import { findPart, partsStartingWith, type RawPart, type RawSection, type SectionStatus } from './parse';
import { decodeCapabilities, formatBytes, formatRoute, parseProcNetRoute, parseProcNetSockets, parseProcStat, type SocketEntry } from './procfs';
import { decodeEnvironHex, redactCommandLine, redactEnvValue, type EnvEntry } from './redact';

export interface RenderedSection {
  readonly status: SectionStatus;
  readonly body: string;
  readonly note?: string;
}

export interface RenderContext {
  readonly targetPid: number;
  readonly showEnvValues: boolean;
  /** pid → command line, for naming socket owners. */
  readonly commands: ReadonlyMap<number, string>;
  /** Lines per list in the rendered text. */
  readonly maxLines: number;
}

const RANK: Readonly<Record<SectionStatus, number>> = { ok: 0, 'missing-tool': 1, unavailable: 2 };

/** The worst status the script reported for the section, with every explanation as the note. */
export function scriptVerdict(section: RawSection): { status: SectionStatus; note?: string } {
  let status: SectionStatus = 'ok';
  for (const s of section.statuses) if (RANK[s.status] > RANK[status]) status = s.status;
  const notes = section.statuses.filter((s) => s.status !== 'ok').map((s) => (s.status === 'missing-tool' ? `missing tool ${s.detail.replace(/^(\S+) /, '$1: ')}` : s.detail));
  return notes.length > 0 ? { status, note: notes.join('; ') } : { status };
}

function lines(part: RawPart | undefined): string[] {
  return part === undefined ? [] : part.truncated ? [...part.lines, '… (cut at the line limit)'] : part.lines;
}

function text(part: RawPart | undefined): string {
  return lines(part).join('\n');
}

function capped(list: readonly string[], max: number): string[] {
  return list.length > max ? [...list.slice(0, max), `… ${list.length - max} more`] : [...list];
}

function osName(part: RawPart | undefined): string | undefined {
  const line = part?.lines.find((l) => l.startsWith('PRETTY_NAME='));
  return line?.slice('PRETTY_NAME='.length).replace(/^"|"$/g, '');
}

const CHECKED_TOOLS = ['ps', 'top', 'ss', 'netstat', 'ip', 'ifconfig', 'nslookup', 'getent', 'df', 'find', 'stat', 'timeout', 'od', 'tail', 'sort', 'cut'];

function formatDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return `${d > 0 ? `${d}d ` : ''}${h}h ${m}m`;
}

export function renderSystem(raw: RawSection): RenderedSection {
  const present = new Set(findPart(raw, 'tools')?.lines ?? []);
  const uptime = Number(findPart(raw, 'uptime')?.lines[0]?.split(' ')[0]);
  const out = [
    `kernel:          ${text(findPart(raw, 'kernel'))}`,
    `hostname:        ${text(findPart(raw, 'hostname'))}`,
    `node uptime:     ${Number.isFinite(uptime) ? formatDuration(uptime) : '?'}`,
    `load average:    ${findPart(raw, 'loadavg')?.lines[0]?.split(' ').slice(0, 3).join(' ') ?? '?'}`,
    `CPUs (node):     ${findPart(raw, 'cpus')?.lines[0] ?? '?'}`,
    ...lines(findPart(raw, 'memory')).map((l) => `${(l.split(':')[0] + ':').padEnd(17)}${l.split(':')[1]?.trim() ?? ''}`),
    `target OS:       ${findPart(raw, 'os-release-target') === undefined ? '(root not readable)' : osName(findPart(raw, 'os-release-target')) ?? 'no /etc/os-release (distroless or scratch image)'}`,
    `debug image OS:  ${osName(findPart(raw, 'os-release-debug')) ?? 'no /etc/os-release'}`,
    `debug tools:     ${CHECKED_TOOLS.filter((t) => present.has(t)).join(' ') || '(none)'}`,
    `not in image:    ${CHECKED_TOOLS.filter((t) => !present.has(t)).join(' ') || '(none)'}`,
  ];
  return { ...scriptVerdict(raw), body: out.join('\n') };
}

/** Container runtime as the cgroup path names it (cri-containerd-…, crio-…, docker-…). */
export function runtimeFromCgroup(cgroupLines: readonly string[]): string | undefined {
  const joined = cgroupLines.join('\n');
  if (/cri-containerd|containerd/.test(joined)) return 'containerd';
  if (/crio-|crio\b/.test(joined)) return 'CRI-O';
  if (/docker[-/]/.test(joined)) return 'docker';
  return undefined;
}

export interface PodFacts {
  /** From the container status's containerID, e.g. containerd. */
  readonly runtime?: string;
  readonly image?: string;
  readonly imageID?: string;
  readonly node?: string;
  readonly qosClass?: string;
  readonly restartCount?: number;
  readonly requests?: string;
  readonly limits?: string;
  readonly sharesPodPidNamespace: boolean;
}

export function renderRuntime(raw: RawSection, pod: PodFacts): RenderedSection {
  const cgroup = findPart(raw, 'cgroup')?.lines ?? [];
  const security = findPart(raw, 'security')?.lines ?? [];
  const capEff = security.find((l) => l.startsWith('CapEff:'))?.split(/\s+/)[1];
  const out = [
    `runtime (pod status):   ${pod.runtime ?? '?'}`,
    `runtime (cgroup path):  ${runtimeFromCgroup(cgroup) ?? 'not named in the cgroup path'}`,
    `node:                   ${pod.node ?? '?'}`,
    `image:                  ${pod.image ?? '?'}`,
    `image ID:               ${pod.imageID ?? '?'}`,
    `QoS class:              ${pod.qosClass ?? '?'}`,
    `restarts:               ${pod.restartCount ?? '?'}`,
    `requests:               ${pod.requests ?? 'none'}`,
    `limits:                 ${pod.limits ?? 'none'}`,
    `PID namespace:          ${pod.sharesPodPidNamespace ? 'shared by the whole pod (shareProcessNamespace)' : 'the target\'s, joined by the debug container'}`,
    `PID 1:                  ${redactCommandLine(findPart(raw, 'pid1')?.lines[0]?.trim() ?? '') || '?'}`,
    `container markers:      ${findPart(raw, 'markers') === undefined ? '(root not readable)' : findPart(raw, 'markers')!.lines.join(' ') || 'none'}`,
    `target capabilities:    ${capEff === undefined ? '?' : decodeCapabilities(capEff).join(' ') || 'none'}`,
    ...security.filter((l) => !l.startsWith('Cap')).map((l) => `${(l.split(':')[0] + ':').padEnd(24)}${l.split(':')[1]?.trim() ?? ''}`),
    'cgroup membership:',
    ...cgroup.map((l) => `  ${l}`),
  ];
  return { ...scriptVerdict(raw), body: out.join('\n') };
}

export function renderTarget(raw: RawSection, pid: number, how: string): RenderedSection {
  const verdict = scriptVerdict(raw);
  const out = [
    `PID ${pid} (${how})`,
    `command:  ${redactCommandLine(findPart(raw, 'cmdline')?.lines[0]?.trim() ?? '?')}`,
    `cwd:      ${findPart(raw, 'cwd')?.lines[0] ?? '(not readable)'}`,
    `exe:      ${findPart(raw, 'exe')?.lines[0] ?? '(not readable)'}`,
    ...lines(findPart(raw, 'status')),
  ];
  return { ...verdict, body: out.join('\n') };
}

const CLOCK_TICKS_PER_SECOND = 100;

export function processCommands(raw: RawSection | undefined): Map<number, string> {
  const commands = new Map<number, string>();
  for (const line of findPart(raw, 'cmdline')?.lines ?? []) {
    const m = /^(\d+) (.*)$/.exec(line);
    if (m && m[2].trim() !== '') commands.set(Number(m[1]), redactCommandLine(m[2].trim()).slice(0, 160));
  }
  for (const line of findPart(raw, 'stat1')?.lines ?? []) {
    const s = parseProcStat(line);
    if (s && !commands.has(s.pid)) commands.set(s.pid, `[${s.comm}]`);
  }
  return commands;
}

export function renderProcesses(raw: RawSection, ctx: RenderContext): RenderedSection {
  const before = new Map((findPart(raw, 'stat0')?.lines ?? []).map(parseProcStat).filter((s) => s !== undefined).map((s) => [s.pid, s]));
  const after = (findPart(raw, 'stat1')?.lines ?? []).map(parseProcStat).filter((s) => s !== undefined);
  const elapsed = Number(findPart(raw, 'uptime1')?.lines[0]?.split(' ')[0]) - Number(findPart(raw, 'uptime0')?.lines[0]?.split(' ')[0]);
  const rssKb = new Map<number, number>();
  for (const line of findPart(raw, 'rss')?.lines ?? []) {
    const m = /^\/proc\/(\d+)\/status:VmRSS:\s*(\d+)/.exec(line);
    if (m) rssKb.set(Number(m[1]), Number(m[2]));
  }
  const commands = ctx.commands;
  const rows = after.map((s) => {
    const prev = before.get(s.pid);
    const cpu = prev !== undefined && elapsed > 0 ? ((s.cpuTicks - prev.cpuTicks) / CLOCK_TICKS_PER_SECOND / elapsed) * 100 : undefined;
    return { ...s, cpu, rss: rssKb.get(s.pid), command: commands.get(s.pid) ?? `[${s.comm}]` };
  });
  if (rows.length === 0) {
    return { status: 'unavailable', body: '', note: 'no /proc/<pid>/stat was readable in the debug container' };
  }
  const pids = new Set(rows.map((r) => r.pid));
  const children = new Map<number, typeof rows>();
  for (const r of rows) {
    const parent = pids.has(r.ppid) && r.ppid !== r.pid ? r.ppid : 0;
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  const tree: string[] = [];
  const walk = (parent: number, indent: string): void => {
    for (const r of (children.get(parent) ?? []).sort((a, b) => a.pid - b.pid)) {
      const mark = r.pid === ctx.targetPid ? '  ← target' : '';
      tree.push(`${indent}${r.pid} ${r.command}${mark}`);
      if (indent.length < 40) walk(r.pid, `${indent}  `);
    }
  };
  walk(0, '');
  const table = (sorted: typeof rows): string[] => [
    '  PID  %CPU       RSS  STATE  COMMAND',
    ...sorted.slice(0, 10).map((r) => `${String(r.pid).padStart(5)} ${(r.cpu === undefined ? '-' : r.cpu.toFixed(1)).padStart(5)} ${(r.rss === undefined ? '-' : formatBytes(r.rss * 1024)).padStart(9)}  ${r.state.padEnd(5)}  ${r.command.slice(0, 120)}`),
  ];
  const byCpu = [...rows].sort((a, b) => (b.cpu ?? -1) - (a.cpu ?? -1) || a.pid - b.pid);
  const byRss = [...rows].sort((a, b) => (b.rss ?? -1) - (a.rss ?? -1) || a.pid - b.pid);
  const out = [
    `${rows.length} processes visible in the debug container's PID namespace (the debug container's own included).`,
    '',
    'Process tree:',
    ...capped(tree, ctx.maxLines),
    '',
    `Top by CPU (sampled over ${Number.isFinite(elapsed) ? elapsed.toFixed(2) : '?'} s):`,
    ...table(byCpu),
    '',
    'Top by memory (RSS):',
    ...table(byRss),
  ];
  return { ...scriptVerdict(raw), body: out.join('\n') };
}

export function renderNetwork(raw: RawSection): RenderedSection {
  const interfaces = findPart(raw, 'interfaces');
  const dev = (findPart(raw, 'dev')?.lines ?? []).slice(2).map((l) => {
    const [name, counters] = l.split(':');
    const c = (counters ?? '').trim().split(/\s+/).map(Number);
    return `  ${name.trim().padEnd(12)} rx ${formatBytes(c[0]).padStart(10)} (${c[1]} packets, ${c[2]} errors)  tx ${formatBytes(c[8]).padStart(10)} (${c[9]} packets, ${c[10]} errors)`;
  });
  const routes = parseProcNetRoute(findPart(raw, 'route')?.lines ?? []).map((r) => `  ${formatRoute(r)}`);
  const out = [
    'Interfaces:',
    ...(interfaces !== undefined && interfaces.lines.length > 0 ? lines(interfaces).map((l) => `  ${l}`) : ['  (addresses need ip or ifconfig)']),
    '',
    'Counters (/proc/net/dev):',
    ...dev,
    '',
    'IPv4 routes (/proc/net/route):',
    ...(routes.length > 0 ? routes : ['  none']),
    ...(findPart(raw, 'route6') !== undefined ? ['', 'IPv6 routes:', ...lines(findPart(raw, 'route6')).map((l) => `  ${l}`)] : []),
  ];
  return { ...scriptVerdict(raw), body: out.join('\n') };
}

export function decodeSockets(raw: RawSection | undefined): SocketEntry[] {
  return (['tcp', 'tcp6', 'udp', 'udp6'] as const).flatMap((p) => parseProcNetSockets(p, findPart(raw, p)?.lines ?? []));
}

export function renderSockets(raw: RawSection, ctx: RenderContext): RenderedSection {
  const sockets = decodeSockets(raw);
  const owners = new Map<number, number[]>();
  for (const line of findPart(raw, 'inodes')?.lines ?? []) {
    const [pid, inode] = line.split(' ').map(Number);
    owners.set(inode, [...(owners.get(inode) ?? []), pid]);
  }
  const owner = (s: SocketEntry): string => {
    const pids = owners.get(s.inode);
    return pids === undefined ? '' : pids.map((p) => `${p} ${(ctx.commands.get(p) ?? '').slice(0, 60)}`).join(', ');
  };
  const row = (s: SocketEntry): string => `  ${s.protocol.padEnd(5)} ${s.local.padEnd(28)} ${s.remote.padEnd(28)} ${owner(s)}`;
  const listening = sockets.filter((s) => (s.protocol.startsWith('tcp') ? s.state === 'LISTEN' : s.state === 'CLOSE'));
  const established = sockets.filter((s) => s.protocol.startsWith('tcp') && s.state === 'ESTABLISHED');
  const counts = new Map<string, number>();
  for (const s of sockets.filter((x) => x.protocol.startsWith('tcp'))) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
  if (sockets.length === 0 && raw.parts.every((p) => p.name === 'inodes')) {
    return { status: 'unavailable', body: '', note: 'no /proc/net/tcp* or udp* was readable' };
  }
  const out = [
    'Listening (TCP LISTEN, unconnected UDP):',
    '  proto local                        remote                       process',
    ...capped(listening.map(row), ctx.maxLines),
    '',
    'Established TCP:',
    ...(established.length > 0 ? capped(established.map(row), ctx.maxLines) : ['  none']),
    '',
    `TCP states: ${[...counts].map(([state, n]) => `${state} ${n}`).join(', ') || 'none'}`,
    owners.size === 0 ? 'Owning processes unknown: no process\'s fds were readable.' : 'Owning process from /proc/<pid>/fd (blank: another user\'s fd, not readable).',
  ];
  return { ...scriptVerdict(raw), body: out.join('\n') };
}

export function renderDns(raw: RawSection): RenderedSection {
  const resolv = findPart(raw, 'resolv.conf') ?? findPart(raw, 'resolv.conf-debug');
  const lookups = partsStartingWith(raw, 'lookup ');
  const out = [
    `resolv.conf (${findPart(raw, 'resolv.conf') !== undefined ? 'the target\'s' : 'the debug container\'s'}):`,
    ...(resolv !== undefined && resolv.lines.length > 0 ? lines(resolv).map((l) => `  ${l}`) : ['  (empty or missing)']),
    ...(findPart(raw, 'hosts') !== undefined ? ['', '/etc/hosts (the target\'s):', ...lines(findPart(raw, 'hosts')).map((l) => `  ${l}`)] : []),
    '',
    ...lookups.flatMap((p) => [
      `lookup ${p.name.slice('lookup '.length)}: ${p.exitCode === undefined ? 'not looked up' : p.exitCode === 0 ? 'resolved' : `failed (exit ${p.exitCode}${p.exitCode === 124 || p.exitCode === 143 ? ', timed out' : ''})`}`,
      ...lines(p).filter((l) => l.trim() !== '').map((l) => `  ${l}`),
    ]),
  ];
  return { ...scriptVerdict(raw), body: out.join('\n') };
}

export function renderMounts(raw: RawSection): RenderedSection {
  const rows = (findPart(raw, 'mounts')?.lines ?? []).map((l) => {
    const [source, mountPoint, type, options] = l.split(' ');
    return `${(mountPoint ?? '').padEnd(30)} ${(type ?? '').padEnd(10)} ${(source ?? '').padEnd(14)} ${options ?? ''}`;
  });
  const truncated = findPart(raw, 'mounts')?.truncated === true;
  return { ...scriptVerdict(raw), body: [...rows, ...(truncated ? ['… (cut at the line limit)'] : [])].join('\n') };
}

export function renderDisk(raw: RawSection): RenderedSection {
  const rows = (findPart(raw, 'statfs')?.lines ?? []).map((l) => {
    const [type, mountPoint, ...rest] = l.split(' ');
    const [bsize, blocks, free, avail, files, filesFree] = rest.map(Number);
    if (rest.length < 6 || !Number.isFinite(bsize)) return `${(mountPoint ?? '').padEnd(30)} ${rest.join(' ')}`;
    const used = blocks - free;
    const pct = used + avail > 0 ? Math.round((used / (used + avail)) * 100) : 0;
    const inodes = files > 0 ? `${Math.round(((files - filesFree) / files) * 100)}%` : '-';
    return `${mountPoint.padEnd(30)} ${type.padEnd(10)} ${formatBytes(blocks * bsize).padStart(10)} ${formatBytes(used * bsize).padStart(10)} ${formatBytes(avail * bsize).padStart(10)} ${`${pct}%`.padStart(5)} ${inodes.padStart(7)}`;
  });
  const header = `${'mount'.padEnd(30)} ${'type'.padEnd(10)} ${'size'.padStart(10)} ${'used'.padStart(10)} ${'avail'.padStart(10)} ${'use%'.padStart(5)} ${'inodes%'.padStart(7)}`;
  return { ...scriptVerdict(raw), body: rows.length > 0 ? [header, ...rows].join('\n') : '' };
}

/** cgroup v1 prints "no limit" as a page-rounded 2^63-1. */
const V1_UNLIMITED = 2n ** 62n;

function limitText(value: string | undefined): string {
  if (value === undefined) return '?';
  const v = value.trim();
  if (v === 'max' || v === '-1' || (/^\d+$/.test(v) && BigInt(v) >= V1_UNLIMITED)) return 'unlimited';
  return /^\d+$/.test(v) ? formatBytes(Number(v)) : v;
}

export function renderCgroup(raw: RawSection): RenderedSection {
  const [version, ...dir] = (findPart(raw, 'source')?.lines[0] ?? '').split(' ');
  const file = (name: string): string[] | undefined => findPart(raw, `file ${name}`)?.lines;
  const first = (name: string): string | undefined => file(name)?.[0];
  const kv = (name: string, key: string): string | undefined => file(name)?.find((l) => l.startsWith(`${key} `))?.split(' ')[1];
  const out: string[] = [];
  if (version === 'v2') {
    const cpuMax = first('cpu.max')?.split(' ');
    out.push(
      `cgroup v2 at ${dir.join(' ')}`,
      `memory limit:    ${limitText(first('memory.max'))}${first('memory.high') !== undefined && first('memory.high') !== 'max' ? ` (high ${limitText(first('memory.high'))})` : ''}`,
      `memory usage:    ${limitText(first('memory.current'))}${first('memory.peak') !== undefined ? ` (peak ${limitText(first('memory.peak'))})` : ''}`,
      `OOM kills:       ${kv('memory.events', 'oom_kill') ?? '?'}`,
      `CPU limit:       ${cpuMax === undefined ? '?' : cpuMax[0] === 'max' ? 'unlimited' : `${(Number(cpuMax[0]) / Number(cpuMax[1])).toFixed(2)} CPUs (${cpuMax.join('/')} µs)`}`,
      `CPU used:        ${kv('cpu.stat', 'usage_usec') !== undefined ? `${(Number(kv('cpu.stat', 'usage_usec')) / 1e6).toFixed(1)} s` : '?'}`,
      `throttled:       ${kv('cpu.stat', 'nr_throttled') ?? '?'} of ${kv('cpu.stat', 'nr_periods') ?? '?'} periods, ${kv('cpu.stat', 'throttled_usec') !== undefined ? `${(Number(kv('cpu.stat', 'throttled_usec')) / 1e6).toFixed(1)} s` : '?'}`,
      `pids:            ${first('pids.current') ?? '?'} of ${first('pids.max') ?? '?'}`,
    );
  } else if (version === 'v1') {
    const quota = Number(first('cpu/cpu.cfs_quota_us'));
    const period = Number(first('cpu/cpu.cfs_period_us'));
    out.push(
      `cgroup v1 at ${dir.join(' ')}`,
      `memory limit:    ${limitText(first('memory/memory.limit_in_bytes'))}`,
      `memory usage:    ${limitText(first('memory/memory.usage_in_bytes'))} (max ${limitText(first('memory/memory.max_usage_in_bytes'))}, failcnt ${first('memory/memory.failcnt') ?? '?'})`,
      `CPU limit:       ${!Number.isFinite(quota) ? '?' : quota < 0 ? 'unlimited' : `${(quota / period).toFixed(2)} CPUs`}`,
      `CPU used:        ${first('cpuacct/cpuacct.usage') !== undefined ? `${(Number(first('cpuacct/cpuacct.usage')) / 1e9).toFixed(1)} s` : '?'}`,
      `throttled:       ${kv('cpu/cpu.stat', 'nr_throttled') ?? '?'} of ${kv('cpu/cpu.stat', 'nr_periods') ?? '?'} periods`,
      `pids:            ${first('pids/pids.current') ?? '?'} of ${first('pids/pids.max') ?? '?'}`,
    );
  }
  out.push('membership (/proc/<pid>/cgroup):', ...lines(findPart(raw, 'membership')).map((l) => `  ${l}`));
  return { ...scriptVerdict(raw), body: out.join('\n') };
}

export function renderFds(raw: RawSection): RenderedSection {
  const count = findPart(raw, 'count')?.lines[0]?.trim();
  const limit = findPart(raw, 'limits')?.lines.find((l) => l.startsWith('Max open files'));
  const [soft, hard] = limit?.slice('Max open files'.length).trim().split(/\s+/) ?? [];
  const out = [
    `open file descriptors: ${count ?? '(not readable)'}`,
    `limit (Max open files): soft ${soft ?? '?'}, hard ${hard ?? '?'}`,
    ...(count !== undefined && Number(soft) > 0 ? [`usage: ${((Number(count) / Number(soft)) * 100).toFixed(2)}% of the soft limit`] : []),
    '',
    'limits (/proc/<pid>/limits):',
    ...lines(findPart(raw, 'limits')).map((l) => `  ${l}`),
  ];
  return { ...scriptVerdict(raw), body: out.join('\n') };
}

export function renderRecentFiles(raw: RawSection): RenderedSection {
  const [minutes, now, ...timeout] = (findPart(raw, 'window')?.lines[0] ?? '').split(' ');
  const files = findPart(raw, 'files');
  const rows = (files?.lines ?? []).map((l) => {
    const m = /^(\d+) (\d+) \.(.*)$/.exec(l);
    if (!m) return l;
    const age = Number(now) - Number(m[1]);
    return `${new Date(Number(m[1]) * 1000).toISOString()}  ${`${Math.max(0, Math.round(age / 60))} min ago`.padStart(12)}  ${formatBytes(Number(m[2])).padStart(10)}  ${m[3]}`;
  });
  const verdict = scriptVerdict(raw);
  if (files === undefined) return { ...verdict, body: '' };
  const out = [
    `Regular files under the target's root changed in the last ${minutes} minutes, newest first (/proc, /sys, /dev excluded${timeout.join(' ').trim() !== '' ? '; search limited to 20 s' : ''}):`,
    ...(rows.length > 0 ? rows : ['  none']),
    ...(files.truncated ? ['… (cut at the line limit)'] : []),
  ];
  return { ...verdict, body: out.join('\n') };
}

export function renderLogs(raw: RawSection): RenderedSection {
  const logs = partsStartingWith(raw, 'log ');
  // One directory a line: a working directory's name may hold spaces.
  const searched = (findPart(raw, 'searched')?.lines ?? []).filter((d) => d !== '');
  const verdict = scriptVerdict(raw);
  if (findPart(raw, 'searched') === undefined) return { ...verdict, body: '' };
  const out = [
    `*.log files (3 levels deep, newest 8) under ${searched.join(' and ')} of the target's root:`,
    ...(logs.length > 0 ? [] : ['  none found']),
    ...logs.flatMap((p) => ['', `--- ${p.name.slice('log '.length)} (last ${p.lines.length} lines) ---`, ...lines(p)]),
  ];
  return { ...verdict, body: out.join('\n'), note: verdict.note ?? (logs.length === 0 ? 'no *.log files; the container\'s stdout/stderr is in the container log section' : undefined) };
}

export function environmentEntries(raw: RawSection, showValues: boolean): EnvEntry[] {
  const hex = findPart(raw, 'hex');
  if (hex !== undefined) {
    const entries = decodeEnvironHex(hex.lines);
    return showValues ? entries.map((e) => ({ name: e.name, value: redactEnvValue(e.name, e.value ?? '') })) : entries.map((e) => ({ name: e.name }));
  }
  return (findPart(raw, 'names')?.lines ?? []).filter((n) => n !== '').map((name) => ({ name }));
}

export function renderEnvironment(raw: RawSection, ctx: RenderContext): RenderedSection {
  const entries = environmentEntries(raw, ctx.showEnvValues).sort((a, b) => a.name.localeCompare(b.name));
  const verdict = scriptVerdict(raw);
  if (entries.length === 0 && verdict.status !== 'ok') return { ...verdict, body: '' };
  const withValues = ctx.showEnvValues && entries.some((e) => e.value !== undefined);
  const out = entries.map((e) => (withValues ? `${e.name}=${e.value ?? ''}` : e.name));
  return {
    ...verdict,
    body: [`${entries.length} variables in /proc/${ctx.targetPid}/environ (as the process started):`, ...out].join('\n'),
    note: verdict.note ?? (withValues ? 'values shown because the setting allows it; secret-looking names and values are <redacted>' : 'names only; values are shown when the showEnvValues setting is on'),
  };
}
