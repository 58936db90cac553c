/**
 * Hostile input on the loopback cluster: a target that plants what a compromised workload would — a working
 * directory that is a `find` expression, file names with leading dashes, spaces, newlines, quotes, `$(…)`,
 * backticks, globs and invalid UTF-8, a sidecar whose argv forges rows of the process listing — and every script
 * the extension runs in the pod (diagnostics, the target filesystem, the process listing, the playbook steps) is run
 * against it; the playbook target also names its threads and itself, opens files and plants links in its /tmp.
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
import { BUILT_IN_PLAYBOOKS } from '../../../src/playbooks/catalog';
import { defaultInputs } from '../../../src/playbooks/inputs';
import { runPlaybook, type PlaybookRun, type PlaybookStepResult } from '../../../src/playbooks/runner';
import { startDebugAttachSession } from '../../../src/launch/debugAttachSession';
import type { Playbook } from '../../../src/playbooks/types';
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

/**
 * The hostile Python target of the playbook tests: PID 1 is python3 in the find-expression working directory,
 * holding every hostile name of /hostile open, with a core file per hostile name beside it. Its threads name
 * themselves (the kernel's comm, at most 15 bytes) and, in Python, `…\nThread 1 (MainThread):`; its own name has a
 * newline and `$(…)`. It plants links to /tmp/INJECTED at every name the Python stack dump once wrote in its /tmp
 * (.playbook-pystack-<pid>.py/.txt): written through, such a link creates /tmp/INJECTED in the debug container.
 */
const HOSTILE_PYTHON_SETUP = String.raw`set -e
printf '#!/bin/sh\necho "ran $0 $*" >> /tmp/INJECTED\n' > /tmp/e; chmod 755 /tmp/e
mkdir -p /hostile "$EXEC_CWD"
for n in "$@"; do
  n=$(printf '%b' "$n")
  printf 'content of %s\n' "$n" > "/hostile/$n"
  printf 'core of %s\n' "$n" > "$EXEC_CWD/core.$n"
done
cd "$EXEC_CWD"
exec python3 -c "$HOSTILE_PY"
`;

/** The kernel names (comm) the hostile target's threads give themselves. */
export const HOSTILE_THREAD_NAMES = ['x\nforged 1 row', '$(/*/1/*/t*/e)', '`/*/1/*/t*/e`', '-rf', 'a\tb*', 'bad\xffutf8', `q'"`, '\\c\\n'];
/** The hostile target's own name: what pid 1's comm holds. */
const HOSTILE_PROCESS_NAME = 'python\n`e`$(e)';

const HOSTILE_PY = String.raw`import os, threading, time
held = [open(b'/hostile/' + n, 'rb') for n in sorted(os.listdir(b'/hostile'))]
for i in range(1, 5000):
    for ext in ('py', 'txt'):
        try:
            os.symlink('/tmp/INJECTED', '/tmp/.playbook-pystack-%d.%s' % (i, ext))
        except OSError:
            pass
def hold(comm):
    with open('/proc/thread-self/comm', 'wb') as f:
        f.write(comm)
    time.sleep(1e6)
for i, comm in enumerate(os.environ['THREAD_NAMES'].encode('latin-1').split(b'/')):
    threading.Thread(target=hold, args=(bytes.fromhex(comm.decode()),), name='t%d\nThread 1 (MainThread):' % i, daemon=True).start()
with open('/proc/self/comm', 'wb') as f:
    f.write(bytes.fromhex(os.environ['PROCESS_NAME']))
open('/tmp/ready', 'w').close()
time.sleep(1e6)
`;

/** A Java target (with the JDWP options in $JDWP) that planted a link to /tmp/INJECTED where jcmd's protocol makes its .attach_pid file (it is PID 1). */
const HOSTILE_JAVA_SETUP = String.raw`ln -s /tmp/INJECTED /tmp/.attach_pid1
exec java $JDWP -cp /app Main
`;

/** How a playbook step prints a pod-controlled name: control characters as ?, invalid UTF-8 as U+FFFD once decoded. */
function printable(name: string): string {
  return Buffer.from(name.replace(/[\u0000-\u001f\u007f]/g, '?'), 'latin1').toString('utf8');
}

/** The hex of a name's bytes (latin1: one byte per character), so any byte reaches the pod's env. */
const hex = (name: string): string => Buffer.from(name, 'latin1').toString('hex');

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

  describe('playbook steps on a hostile target: names, paths, links in its /tmp, values from its spec', () => {
    const playbook = (id: string): Playbook => BUILT_IN_PLAYBOOKS.find((p) => p.id === id)!;
    const stepOf = (run: PlaybookRun, title: string): PlaybookStepResult => {
      const step = run.steps.find((s) => s.title === title);
      assert.ok(step, `no step "${title}" in ${run.steps.map((s) => s.title).join(', ')}`);
      return step;
    };
    const runOn = async (pod: string, id: string, overrides: Partial<Playbook> = {}): Promise<PlaybookRun> => {
      const chosen = { ...playbook(id), ...overrides };
      return runPlaybook(api, chosen, { namespace: 'demo', pod, container: 'app' }, { inputs: defaultInputs(chosen, await api.readPod('demo', pod), 'app') });
    };
    /** Nothing ran and nothing was made through a link: /tmp/INJECTED exists (even empty) neither in the run's debug container nor in the target. */
    const assertNothingRan = async (pod: string, container: string): Promise<void> => {
      const found = await shell(api, pod, container, 'for f in /tmp/INJECTED /proc/1/root/tmp/INJECTED; do [ -e "$f" ] && echo "$f: $(cat "$f")"; done; true');
      // Each test starts clean, so a test that lets something run is the one that fails.
      await shell(api, pod, container, 'rm -f /tmp/INJECTED /proc/1/root/tmp/INJECTED');
      assert.equal(found, '', `something of the target ran or was made through its link in ${container}`);
    };

    before(async function () {
      this.timeout(180_000);
      await cluster.createPod('demo', {
        metadata: { name: 'hostile-python' },
        spec: {
          containers: [{
            name: 'app', image: 'python:3.12',
            command: ['sh', '-c', HOSTILE_PYTHON_SETUP, 'hostile', ...HOSTILE_NAMES.map(printfEscaped)],
            env: [
              { name: 'EXEC_CWD', value: EXEC_CWD },
              { name: 'HOSTILE_PY', value: HOSTILE_PY },
              { name: 'THREAD_NAMES', value: HOSTILE_THREAD_NAMES.map(hex).join('/') },
              { name: 'PROCESS_NAME', value: hex(HOSTILE_PROCESS_NAME) },
              // Where the database playbook's default endpoint comes from: an option for nc, were it one.
              { name: 'DATABASE_HOST', value: '-e/proc/1/root/tmp/e' },
              { name: 'DATABASE_PORT', value: '5432' },
            ],
            ports: [{ containerPort: 8080 }],
            // Where the HTTP health playbook's default URL comes from.
            readinessProbe: { httpGet: { port: 8080 as never, path: `/$(${TOUCH})\`${TOUCH}\`` }, periodSeconds: 3600 },
          }],
        },
      });
      // One JVM for the playbook and one, with a JDWP agent started on request (onjcmd), for the debugger: the first
      // attach leaves the socket open, and the second must make its own .attach_pid file.
      for (const [name, jdwp] of [['hostile-java', ''], ['hostile-jdwp', ' -agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:5006,onjcmd=y']]) {
        await cluster.createPod('demo', {
          metadata: { name },
          spec: { containers: [{ name: 'app', image: 'loopback.local/demo/java-app:1.0', command: ['sh', '-c', HOSTILE_JAVA_SETUP], env: [{ name: 'JDWP', value: jdwp }] }] },
        });
      }
      await waitForPod(kc, 'demo', 'hostile-python', isRunning('app'));
      for (const name of ['hostile-java', 'hostile-jdwp']) {
        await waitForPod(kc, 'demo', name, isRunning('app'));
        // SIGQUIT before the JVM handles it would end it: wait until it serves.
        for (let i = 0; i < 600 && !(await api.readLog('demo', name, 'app', {})).includes('listening on :8080'); i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      // Ready when PID 1 has named itself and its threads (it writes /tmp/ready last).
      const probe = (await attachDebugContainer(api, { namespace: 'demo', podName: 'hostile-python', image: 'busybox:1.36', targetContainer: 'app', profile: 'general' }, { skipPrivilegedConfirmation: true })).containerName;
      for (let i = 0; i < 400 && (await shell(api, 'hostile-python', probe, 'test -e /proc/1/root/tmp/ready && echo ready; true')) !== 'ready\n'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(await shell(api, 'hostile-python', probe, 'test -e /proc/1/root/tmp/ready && echo ready'), 'ready\n', await api.readLog('demo', 'hostile-python', 'app', {}));
      assert.equal(await injected(api, 'hostile-python', probe), '', 'nothing ran before the tests');
    });

    it('security #12 hostile input: stuck-process (thread states, kernel stacks, strace) keeps one row per thread whatever the threads call themselves, and runs none of the names; the target line is one line', async () => {
      const run = await runOn('hostile-python', 'stuck-process', { profile: 'sysadmin' });
      await assertNothingRan('hostile-python', run.containerName);
      const tasks = Number((await shell(api, 'hostile-python', run.containerName, 'ls /proc/1/task | wc -l')).trim());
      assert.equal(tasks, HOSTILE_THREAD_NAMES.length + 1);

      const states = stepOf(run, 'Thread states');
      assert.equal(states.status, 'ok', states.output);
      const lines = states.output.trimEnd().split('\n');
      assert.equal(lines[0], `process 1: ${printable(HOSTILE_PROCESS_NAME)}`);
      assert.match(lines[1]!, /^TID\s+NAME\s+STATE/);
      const rows = lines.slice(2, -1);
      assert.equal(rows.length, tasks, `one row per thread, no forged one:\n${states.output}`);
      for (const row of rows) assert.match(row, /^\d+\s/, `a row that is not a thread's: ${JSON.stringify(row)}`);
      for (const name of HOSTILE_THREAD_NAMES) assert.ok(rows.some((row) => row.includes(` ${printable(name)} `)), `${JSON.stringify(name)} shown as ${JSON.stringify(printable(name))}:\n${states.output}`);
      assert.match(lines.at(-1)!, /^threads in uninterruptible sleep \(D\): 0$/);

      const stacks = stepOf(run, 'Kernel stacks');
      assert.equal(stacks.status, 'ok', stacks.output);
      const headers = stacks.output.split('\n').filter((line) => line.startsWith('-- thread '));
      assert.equal(headers.length, tasks, stacks.output);
      for (const name of HOSTILE_THREAD_NAMES) assert.ok(headers.some((h) => h.endsWith(` (${printable(name)})`)), `${JSON.stringify(name)}: ${headers.join('\n')}`);
      for (const line of stacks.output.split('\n').filter((l) => l !== '')) assert.match(line, /^(-- thread \d+ \(.*\)|\[<[0-9a-f]+>\] .*)$/, 'every line a header or a stack frame');
      assert.equal(stepOf(run, 'System calls (strace, 3 s)').status, 'ok');
      assert.doesNotMatch(run.targetNote, /\n/, 'the target line (the target\'s argv, redacted) is one line');
      assert.match(run.targetNote, /^PID 1 \(python3 -c import os, threading, time\?held = /);
    });

    it('security #12 hostile input: fd-exhaustion counts the target\'s open files by kind with their names on one line each', async () => {
      const run = await runOn('hostile-python', 'fd-exhaustion');
      await assertNothingRan('hostile-python', run.containerName);
      const out = stepOf(run, 'Open file descriptors').output;
      const byKind = out.slice(out.indexOf('== by kind\n') + '== by kind\n'.length, out.indexOf('== most opened files'));
      for (const line of byKind.trimEnd().split('\n')) assert.match(line, /^\s*\d+ (socket|pipe|file|anon_inode:\w*)$/, `a kind that is a piece of a file name: ${JSON.stringify(line)}\n${out}`);
      const files = Number(/^\s*(\d+) file$/m.exec(byKind)?.[1]);
      assert.ok(files >= HOSTILE_NAMES.length, `${files} files: the ${HOSTILE_NAMES.length} hostile ones at least\n${out}`);
      const most = out.slice(out.indexOf('== most opened files\n') + '== most opened files\n'.length, out.indexOf('== system-wide'));
      const listed = most.trimEnd().split('\n');
      assert.equal(listed.length, 10, out);
      const hostile = listed.filter((line) => /^\s*\d+ \/hostile\//.test(line));
      for (const line of listed) assert.match(line, /^\s*\d+ \//, `a whole name per line: ${JSON.stringify(line)}\n${out}`);
      assert.ok(hostile.length > 0, out);
      for (const line of hostile) {
        const name = line.replace(/^\s*1 /, '');
        assert.ok(HOSTILE_NAMES.some((n) => `/hostile/${printable(n)}` === name), `${JSON.stringify(line)}: each hostile file once, under its whole name`);
      }
    });

    it('security #12 hostile input: core-dumps lists each core file in the target\'s hostile working directory once, on one line, and runs none of them', async () => {
      const run = await runOn('hostile-python', 'core-dumps');
      await assertNothingRan('hostile-python', run.containerName);
      const settings = stepOf(run, 'Core dump settings');
      assert.equal(settings.status, 'ok', settings.output);
      const cores = stepOf(run, 'Existing core files');
      assert.equal(cores.status, 'ok', cores.output);
      const rows = cores.output.trimEnd().split('\n');
      for (const row of rows) assert.ok(row.includes(': /') || row.includes(' /'), `a piece of a file name on a line of its own: ${JSON.stringify(row)}\n${cores.output}`);
      for (const row of rows) assert.match(row, /^\d+ bytes, modified .+: \//, `a row that is not a core file: ${JSON.stringify(row)}\n${cores.output}`);
      const inCwd = rows.filter((row) => row.includes(`: ${EXEC_CWD}/core.`)).map((row) => row.slice(row.indexOf(`: ${EXEC_CWD}/core.`) + 2));
      assert.deepEqual(inCwd.sort(), HOSTILE_NAMES.map((n) => `${EXEC_CWD}/core.${printable(n)}`).sort());
      for (const name of HOSTILE_NAMES) {
        const row = rows.find((r) => r.endsWith(`: ${EXEC_CWD}/core.${printable(name)}`));
        assert.match(row ?? '', new RegExp(`^${Buffer.byteLength(`core of ${name}\n`, 'latin1')} bytes`), `the size of core.${JSON.stringify(name)}`);
      }
    });

    it('security #12 hostile input: memory shows the target\'s name as the kernel escapes it, one row per process', async () => {
      const run = await runOn('hostile-python', 'memory');
      await assertNothingRan('hostile-python', run.containerName);
      const out = stepOf(run, 'Process memory').output;
      assert.match(out, /^Name:\s+python\\n`e`\$\(e\)$/m, out);
      const largest = out.slice(out.indexOf('(RSS kB)\n') + '(RSS kB)\n'.length).trimEnd().split('\n');
      for (const row of largest) assert.match(row, /^\d+ \S/, `${JSON.stringify(row)}\n${out}`);
    });

    it('security #12 hostile input: the Python stack dump writes nothing through the links the target planted in its /tmp, and each thread\'s name stays on its line', async () => {
      const run = await runOn('hostile-python', 'python-stack');
      await assertNothingRan('hostile-python', run.containerName);
      const planted = await shell(api, 'hostile-python', run.containerName, 'ls -A /proc/1/root/tmp | grep -c "^.playbook-pystack-"; true');
      assert.equal(planted.trim(), String(2 * 4999), 'the target\'s links are all still there, untouched');
      const out = stepOf(run, 'Python stacks of all threads').output;
      assert.equal(run.ok, true, out);
      const threads = out.split('\n').filter((line) => line.startsWith('Thread '));
      assert.equal(threads.length, HOSTILE_THREAD_NAMES.length + 1, out);
      for (const line of threads) assert.match(line, /^Thread \d+ \((MainThread|t\d\?Thread 1 \(MainThread\):)\)( \[interrupted here by gdb\])?:$/, JSON.stringify(line));
      assert.match(out, /Thread \d+ \(MainThread\) \[interrupted here by gdb\]:\n {2}File "<string>", line \d+, in <module>\n/);
    });

    it('security #12 hostile input: the Node inspector step names a non-node target on one line', async () => {
      const run = await runOn('hostile-python', 'node-heap', { steps: [playbook('node-heap').steps[0]!] });
      await assertNothingRan('hostile-python', run.containerName);
      const open = stepOf(run, 'Open the inspector');
      assert.equal(open.status, 'failed');
      assert.equal(open.output, `PID 1 is "${printable(HOSTILE_PROCESS_NAME)}", not node\n`);
    });

    it('security #12 hostile input: values from the target\'s spec (a database host that is an nc option, a readiness path with $(…) and backticks) run nothing', async () => {
      const db = await runOn('hostile-python', 'database-connectivity');
      await assertNothingRan('hostile-python', db.containerName);
      const connect = stepOf(db, 'Connect to the database');
      assert.equal(connect.status, 'failed');
      assert.equal(connect.output, '"-e/proc/1/root/tmp/e" is not a host name or address\n');
      const http = await runOn('hostile-python', 'http-health');
      await assertNothingRan('hostile-python', http.containerName);
      const get = stepOf(http, 'HTTP GET');
      assert.equal(get.status, 'failed');
      assert.ok(get.output.startsWith(`== GET http://127.0.0.1:8080/$(${TOUCH})\`${TOUCH}\`\n`), get.output);
    });

    it('security #12 hostile input: the JVM attach never creates its .attach_pid file through a link the target planted, and still gets the thread dump', async () => {
      const jvm = playbook('jvm-threads');
      const run = await runOn('hostile-java', 'jvm-threads', { steps: jvm.steps.slice(0, 2) });
      await assertNothingRan('hostile-java', run.containerName);
      const attach = stepOf(run, 'Attach to the JVM');
      assert.match(attach.output, /^attach socket: \/proc\/1\/root\/tmp\/\.java_pid1$/m, attach.output);
      assert.match(stepOf(run, 'Thread dump').output, /Full thread dump/);
    });

    it('security #12 hostile input: Attach Debugger (Java, onjcmd) never creates the .attach_pid file through a link the target planted, and JDWP starts', async () => {
      let failure: unknown;
      const session = await startDebugAttachSession(api, { namespace: 'demo', pod: 'hostile-jdwp', runtime: 'java' }, { settings: { skipPrivilegedConfirmation: true }, listenTimeoutMs: 20_000 })
        .catch((error: unknown) => { failure = error; return undefined; });
      try {
        const pod = await api.readPod('demo', 'hostile-jdwp');
        const debugContainers = (pod.status?.ephemeralContainerStatuses ?? []).filter((c) => c.state?.running !== undefined).map((c) => c.name);
        assert.ok(debugContainers.length > 0, 'a debug container was added');
        for (const container of debugContainers) await assertNothingRan('hostile-jdwp', container);
        assert.equal(failure, undefined, String(failure));
        assert.equal(session?.forward.remotePort, 5006);
        assert.ok(session?.notes.some((n) => n.includes('jcmd')), session?.notes.join(' | '));
      } finally {
        await session?.dispose();
      }
    });
  });

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
