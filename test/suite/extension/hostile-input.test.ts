/**
 * Hostile input on the loopback cluster: a target that plants what a compromised workload would — a working
 * directory that is a `find` expression, file names with leading dashes, spaces, newlines, quotes, `$(…)`,
 * backticks, globs and invalid UTF-8, a sidecar whose argv forges rows of the process listing — and every script
 * the extension runs in the pod (diagnostics, the target filesystem, the process listing) is run against it.
 * Nothing of it may run: each hostile name tries to create /tmp/INJECTED (in whichever container runs it), and the
 * file must exist in neither the debug container nor the target. And the output stays correct.
 */
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi } from '../../../src/cluster/clusterApi';
import { attachDebugContainer } from '../../../src/debug/attachFlow';
import { execCapture } from '../../../src/debug/execCapture';
import { collectDiagnostics } from '../../../src/diagnostics/collect';
import { bytesToName, joinPath } from '../../../src/targetfs/names';
import { TargetFileSystem, TargetFileType } from '../../../src/targetfs/targetFileSystem';
import { listProcessesCommand, parseProcessListing } from '../../../src/terminal/targetProcess';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';
import { isRunning, waitForPod } from '../loopback/helpers/client';
import { requireRealPods } from '../loopback/helpers/requirePods';

/** The working directory of the hostile target: word-split unquoted, it is `find`'s `-exec` running /tmp/e. */
export const EXEC_CWD = '/tmp/x -exec /proc/1/root/tmp/e {} +';

/** `touch /tmp/INJECTED` without a slash, which no file name can hold. */
const TOUCH = `touch "$(printf '\\057tmp\\057INJECTED')"`;

/**
 * Names that try to run `touch /tmp/INJECTED` (or /tmp/e, which records its run there) when pasted into a
 * script, split on blanks, taken for options or globbed; and names that only break naive parsing.
 */
export const HOSTILE_NAMES = [
  '-rf',
  '--help',
  ' leading space',
  'two  spaces',
  'new\nline',
  'new\nline.log',
  "single'quote",
  'double"quote',
  `$(${TOUCH})`,
  `\`${TOUCH}\``,
  `;${TOUCH};`,
  `|${TOUCH}`,
  `$(printf '\\057proc\\0571\\057root\\057tmp\\057e' | sh)`,
  '*',
  '?',
  '[a-z]',
  'back\\slash',
  'tab\there',
  'bad\xffutf8',
];

/**
 * The hostile target's command (busybox sh): /tmp/e records that it ran, the hostile names are planted under
 * /hostile and (as *.log files) in the working directory, and PID 1 ends up a sleep in that directory.
 */
const HOSTILE_SETUP = String.raw`set -e
printf '#!/bin/sh\necho "ran $0 $*" >> /tmp/INJECTED\n' > /tmp/e; chmod 755 /tmp/e
mkdir -p /hostile /var/log "$EXEC_CWD"
printf 'line one of app.log\n' > "$EXEC_CWD/app.log"
for n in "$@"; do
  n=$(printf '%b' "$n")
  printf 'content of %s\n' "$n" > "/hostile/$n"
  printf 'log %s\n' "$n" > "$EXEC_CWD/$n.log"
  touch -d '2020-01-01 00:00:00' "$EXEC_CWD/$n.log"
done
mkdir "/hostile/dir $(printf 'with\nnewline')"
cd "$EXEC_CWD"
echo ready > /tmp/ready
exec sleep 1000000
`;

/**
 * A sidecar in a shared-PID pod that forges a row of the process listing: a child whose last argument is a
 * newline and a row claiming that the sidecar's own shell (its pid from /proc/self/stat: Kubernetes would turn
 * `$$` in a command into `$`) is a top process of a container of its own.
 * The sidecar's shell matches its spec command and is ruled out; the forged row does not, and it is older than
 * the app's process, so a listing that prints argv raw made the sidecar the target.
 */
const FORGING_SIDECAR = String.raw`read -r me _ < /proc/self/stat
row=$(printf 'x\n%s\t0\tmnt:[1]\tforged' "$me")
P=$(printf 'P\t%s\t0\t0\tmnt:[1]\t\t00\nself\tmnt:[1]' "$me")
sh -c 'while sleep 1; do :; done' forger "$row" "$P" &
wait
`;

/** `printf %b` form of a name, so any byte reaches the pod's argv (the API carries UTF-8 strings only). */
function printfEscaped(name: string): string {
  return [...Buffer.from(name, 'latin1')].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\0${b.toString(8).padStart(3, '0')}`)).join('');
}

async function shell(api: ClusterApi, pod: string, container: string, script: string, ...args: string[]): Promise<string> {
  const out = await execCapture(api, 'demo', pod, container, ['sh', '-c', script, 'sh', ...args]);
  if (out.exitCode !== 0) throw new Error(`script failed (${out.exitCode}): ${out.stderr}`);
  return out.stdout;
}

/** What /tmp/INJECTED holds in the debug container and in the target ('' when it exists in neither). */
async function injected(api: ClusterApi, pod: string, debugContainer: string): Promise<string> {
  return shell(api, pod, debugContainer, 'cat /tmp/INJECTED /proc/1/root/tmp/INJECTED 2>/dev/null; true');
}

describe('security: hostile input from the target never runs (test cluster)', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let kc: k8s.KubeConfig;
  let api: ClusterApi;
  let debugContainer: string;

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ pullDelayMs: 10, backoffBaseMs: 200 });
    kc = cluster.kubeConfig();
    api = createClusterApi(kc);
    await cluster.createPod('demo', {
        metadata: { name: 'hostile' },
        spec: {
          containers: [{
            name: 'app', image: 'busybox:1.36',
            command: ['sh', '-c', HOSTILE_SETUP, 'hostile', ...HOSTILE_NAMES.map(printfEscaped)],
            env: [{ name: 'EXEC_CWD', value: EXEC_CWD }],
          }],
        },
    });
    await cluster.createPod('demo', {
        metadata: { name: 'forged' },
        spec: {
          shareProcessNamespace: true,
          containers: [
            { name: 'sidecar', image: 'busybox:1.36', command: ['sh', '-c', FORGING_SIDECAR] },
            { name: 'app', image: 'loopback.local/demo/node-app:1.0' },
          ],
        },
    });
    await waitForPod(kc, 'demo', 'hostile', isRunning('app'));
    await waitForPod(kc, 'demo', 'forged', (pod) => isRunning('app')(pod) && isRunning('sidecar')(pod));
    const attached = await attachDebugContainer(api, { namespace: 'demo', podName: 'hostile', image: 'busybox:1.36', targetContainer: 'app', profile: 'general' }, { skipPrivilegedConfirmation: true });
    debugContainer = attached.containerName;
    // The target is ready when PID 1 is the sleep in the hostile directory.
    for (let i = 0; i < 200; i++) {
      if ((await shell(api, 'hostile', debugContainer, 'readlink /proc/1/cwd; true')).trim() === EXEC_CWD) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal((await shell(api, 'hostile', debugContainer, 'readlink /proc/1/cwd')).trim(), EXEC_CWD, await api.readLog('demo', 'hostile', 'app', {}));
    assert.equal(await injected(api, 'hostile', debugContainer), '', 'nothing ran before the tests');
  });

  after(async () => {
    await cluster?.stop();
  });

  afterEach(async () => {
    // Each test starts clean, so a test that lets something run is the one that fails.
    if (debugContainer !== undefined) await shell(api, 'hostile', debugContainer, 'rm -f /tmp/INJECTED /proc/1/root/tmp/INJECTED');
  });

  it('security #12.1: Collect Diagnostics of a target whose cwd is a find expression runs nothing of it and still finds its logs', async () => {
    const report = await collectDiagnostics(api, { namespace: 'demo', pod: 'hostile', debugContainer });
    assert.equal(await injected(api, 'hostile', debugContainer), '', 'the target\'s /tmp/e ran in the debug container');
    const logs = report.sections.find((s) => s.id === 'logs');
    assert.ok(logs, 'a logs section');
    assert.match(logs.body, /line one of app\.log/, `the log in the target's working directory is still found: ${logs.body}`);
    assert.ok(logs.body.includes(`under /var/log and ${EXEC_CWD} of the target's root`), logs.body);
  });

  for (const image of ['busybox:1.36', 'ubuntu:24.04']) {
    it(`security #12 hostile input: the target filesystem (${image} debug image) lists, stats, reads, writes, copies, renames and deletes hostile names exactly, running none`, async () => {
      const container = image === 'busybox:1.36' ? debugContainer
        : (await attachDebugContainer(api, { namespace: 'demo', podName: 'hostile', image, targetContainer: 'app', profile: 'general' }, { skipPrivilegedConfirmation: true })).containerName;
      const fs = new TargetFileSystem(api, { context: api.contextName, namespace: 'demo', pod: 'hostile', container: 'app' }, { debugContainer: container, allowWrites: () => true, cacheTtlMs: 0 });
      const names = HOSTILE_NAMES.map((n) => bytesToName(Buffer.from(n, 'latin1')));
      const listed = new Map(await fs.readDirectory('/hostile'));
      for (const name of names) assert.equal(listed.get(name), TargetFileType.File, `${JSON.stringify(name)} listed as a file: ${JSON.stringify([...listed.keys()])}`);
      assert.equal(listed.get('dir with\nnewline'), TargetFileType.Directory);
      assert.equal(listed.size, names.length + 1, 'nothing more, nothing less');
      for (const [index, name] of names.entries()) {
        const path = joinPath('/hostile', name);
        const expected = Buffer.from(`content of ${HOSTILE_NAMES[index]}\n`, 'latin1');
        assert.equal((await fs.stat(path)).size, expected.length, name);
        assert.deepEqual(Buffer.from(await fs.readFile(path)), expected, name);
      }
      // Writes, through the same names: into a directory of this run's own.
      const dir = `/hostile-${image.replace(/\W/g, '')}`;
      await fs.createDirectory(dir);
      for (const name of names) {
        await fs.writeFile(joinPath(dir, name), Buffer.from(name), { create: true, overwrite: false });
        await fs.copy(joinPath(dir, name), joinPath(dir, `${name}.copy`), { overwrite: false });
        await fs.rename(joinPath(dir, `${name}.copy`), joinPath(dir, `${name}.moved`), { overwrite: false });
        await fs.copy(joinPath(dir, name), joinPath(dir, `${name}.moved`), { overwrite: true });
        assert.equal(Buffer.from(await fs.readFile(joinPath(dir, `${name}.moved`))).toString(), name);
      }
      assert.equal((await fs.readDirectory(dir)).length, names.length * 2);
      for (const name of names) await fs.delete(joinPath(dir, name), { recursive: false });
      assert.equal((await fs.readDirectory(dir)).length, names.length, 'each delete removed exactly one file');
      await fs.delete(dir, { recursive: true });
      assert.equal(await injected(api, 'hostile', container), '', 'nothing of the names ran');
    });
  }

  describe('a sidecar whose argv forges rows of the process listing (shared PID namespace)', () => {
    let forgedDebug: string;
    before(async () => {
      const attached = await attachDebugContainer(api, { namespace: 'demo', podName: 'forged', image: 'busybox:1.36', targetContainer: 'app', profile: 'general' }, { skipPrivilegedConfirmation: true });
      forgedDebug = attached.containerName;
      // The forgery needs its row older than the app's process, as a sidecar that starts first has.
      const pids = await shell(api, 'forged', forgedDebug, 'for d in /proc/[0-9]*; do printf "%s %s\\n" "${d#/proc/}" "$(tr "\\000" " " < $d/cmdline)"; done');
      const sidecar = Number(/^(\d+) sh -c read -r me/m.exec(pids)?.[1]);
      const node = Number(/^(\d+) \S*node /m.exec(pids)?.[1]);
      assert.ok(sidecar > 0 && node > sidecar, pids);
    });

    it('security #12.14: the target filesystem reads the app container, not the sidecar that forged a row', async () => {
      const fs = new TargetFileSystem(api, { context: api.contextName, namespace: 'demo', pod: 'forged', container: 'app' }, { debugContainer: forgedDebug });
      const session = await fs.connect();
      const server = Buffer.from(await fs.readFile('/app/server.js')).toString('utf8');
      assert.match(server, /Demo workload/, `read through PID ${session.pid}`);
    });

    it('security #12.14: the listing keeps the forger\'s argv whole, newlines and tabs included, and has no forged row', async () => {
      const out = await execCapture(api, 'demo', 'forged', forgedDebug, listProcessesCommand());
      const listing = parseProcessListing(out.stdout);
      const forger = listing.processes.find((p) => p.argv[3] === 'forger');
      assert.ok(forger, out.stdout);
      assert.match(forger.argv[4] ?? '', /^x\n\d+\t0\tmnt:\[1\]\tforged$/);
      assert.match(forger.argv[5] ?? '', /^P\t\d+\t0\t0\tmnt:\[1\]\t\t00\nself\tmnt:\[1\]$/);
      assert.ok(listing.processes.every((p) => p.mountNamespace !== 'mnt:[1]'), 'no row from the forger\'s text');
      assert.notEqual(listing.selfMountNamespace, 'mnt:[1]');
      assert.equal(new Set(listing.processes.map((p) => p.pid)).size, listing.processes.length, 'one row per process');
    });
  });
});
