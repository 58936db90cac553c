/**
 * The diagnostics script run in the debug container (collect.sh). One POSIX sh program that busybox ash, dash and bash all
 * run, using only what busybox and GNU coreutils/findutils/grep/sed share (no awk: the GNU debug image lacks
 * it); raw /proc data is printed as-is and decoded in TypeScript (report.ts), so it works without ps/ss/ip.
 *
 * Output grammar (parsed by report.ts): every line our code writes as structure starts with the per-run
 * boundary token ($1) and a space; every line of collected content is prefixed with '|'. Content therefore
 * can never be taken for structure, whatever the target's files contain, and stray unprefixed output is
 * ignored. Markers: `section <id>`, `part <name>`, `status <ok|missing-tool|unavailable> <detail>`,
 * `exit <code>`, `truncated`, `end`. Each marker is preceded by an empty line so that content without a final
 * newline cannot swallow it.
 *
 * Arguments: $1 boundary, $2 target PID (in the debug container's PID namespace), $3 line cap per part,
 * $4 `names` or `values` (environment), $5 window in minutes for recently changed files.
 */

import { shellScript } from '../shell/shellScript';
import collectScript from './collect.sh';

/** Names of the sections in the order the script prints them. */
export const SCRIPT_SECTION_IDS = [
  'system', 'runtime', 'target', 'processes', 'network', 'sockets', 'dns', 'mounts', 'disk', 'cgroup', 'fds',
  'recent-files', 'logs', 'environment',
] as const;
export type ScriptSectionId = (typeof SCRIPT_SECTION_IDS)[number];

export const DIAGNOSTICS_SCRIPT = shellScript(collectScript);
