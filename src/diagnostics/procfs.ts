/** Decoders for the raw /proc data the script prints, so the report needs no ps, ss or ip in the image. */

export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  /** utime + stime, in clock ticks. */
  readonly cpuTicks: number;
}

/** One /proc/<pid>/stat line; comm may hold spaces and parentheses, so it ends at the last ')'. */
export function parseProcStat(line: string): ProcStat | undefined {
  const open = line.indexOf(' (');
  const close = line.lastIndexOf(') ');
  if (open < 0 || close < open) return undefined;
  const pid = Number(line.slice(0, open));
  const rest = line.slice(close + 2).split(' ');
  if (!Number.isInteger(pid) || rest.length < 13) return undefined;
  return { pid, comm: line.slice(open + 2, close), state: rest[0], ppid: Number(rest[1]), cpuTicks: Number(rest[11]) + Number(rest[12]) };
}

export const TCP_STATES: Readonly<Record<string, string>> = {
  '01': 'ESTABLISHED', '02': 'SYN_SENT', '03': 'SYN_RECV', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2', '06': 'TIME_WAIT',
  '07': 'CLOSE', '08': 'CLOSE_WAIT', '09': 'LAST_ACK', '0A': 'LISTEN', '0B': 'CLOSING',
};

export interface SocketEntry {
  readonly protocol: 'tcp' | 'tcp6' | 'udp' | 'udp6';
  readonly local: string;
  readonly remote: string;
  readonly localPort: number;
  /** TCP_STATES name. */
  readonly state: string;
  readonly inode: number;
}

/** The kernel prints each 32-bit word of an address in host byte order (little-endian here). */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => [w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2)].map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  // Compress the longest run of zero groups, as inet_ntop does.
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.length && j - i > 1) best = { start: i, length: j - i };
    i = j;
  }
  if (best.start < 0) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.length).join(':')}`;
}

function endpoint(field: string, v6: boolean): { address: string; port: number; text: string } {
  const [hex, portHex] = field.split(':');
  const address = decodeAddress(hex);
  const port = parseInt(portHex, 16);
  return { address, port, text: v6 && address.includes(':') ? `[${address}]:${port}` : `${address}:${port}` };
}

/** /proc/net/{tcp,tcp6,udp,udp6} lines (the header is skipped). */
export function parseProcNetSockets(protocol: SocketEntry['protocol'], lines: readonly string[]): SocketEntry[] {
  const out: SocketEntry[] = [];
  const v6 = protocol.endsWith('6');
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^\d+:$/.test(f[0])) continue;
    const local = endpoint(f[1], v6);
    const remote = endpoint(f[2], v6);
    out.push({ protocol, local: local.text, remote: remote.text, localPort: local.port, state: TCP_STATES[f[3].toUpperCase()] ?? f[3], inode: Number(f[9]) });
  }
  return out;
}

export interface RouteEntry {
  readonly iface: string;
  readonly destination: string;
  readonly gateway: string;
  readonly metric: number;
}

function ipv4FromHex(hex: string): string {
  return decodeAddress(hex.padStart(8, '0'));
}

function prefixLength(maskHex: string): number {
  const mask = parseInt(maskHex, 16) >>> 0;
  let n = 0;
  for (let m = mask; m !== 0; m >>>= 1) n += m & 1;
  return n;
}

/** /proc/net/route: `Iface Destination Gateway Flags RefCnt Use Metric Mask …`, addresses in little-endian hex. */
export function parseProcNetRoute(lines: readonly string[]): RouteEntry[] {
  const out: RouteEntry[] = [];
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || f[0] === 'Iface' || !/^[0-9A-Fa-f]{8}$/.test(f[1])) continue;
    const dest = ipv4FromHex(f[1]);
    const bits = prefixLength(f[7]);
    out.push({ iface: f[0], destination: dest === '0.0.0.0' && bits === 0 ? 'default' : `${dest}/${bits}`, gateway: ipv4FromHex(f[2]), metric: Number(f[6]) });
  }
  return out;
}

export function formatRoute(r: RouteEntry): string {
  return `${r.destination}${r.gateway !== '0.0.0.0' ? ` via ${r.gateway}` : ''} dev ${r.iface}${r.metric ? ` metric ${r.metric}` : ''}`;
}

/** Linux capability names by bit. */
const CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT',
  'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE',
  'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ',
  'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
];

export function decodeCapabilities(hex: string): string[] {
  const value = BigInt(`0x${hex.trim() || '0'}`);
  return CAPABILITIES.filter((_, bit) => (value >> BigInt(bit)) & 1n);
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
