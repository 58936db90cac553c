/**
 * Playbooks for real on the test cluster: each run adds its debug container through the attach flow,
 * finds the target's PID and runs the steps with exec. The loopback kubelet writes no resolv.conf and runs no
 * DNS server, has no memory cgroups, and kernel stacks need CAP_SYS_ADMIN: the tests check these are reported
 * as such rather than hidden.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi } from '../../../src/cluster/clusterApi';
import { DebugFlowError } from '../../../src/debug/debugFlowError';
import { execCapture } from '../../../src/debug/execCapture';
import { BUILT_IN_PLAYBOOKS } from '../../../src/playbooks/catalog';
import { defaultInputs } from '../../../src/playbooks/inputs';
import { runPlaybook, type PlaybookRun } from '../../../src/playbooks/runner';
import { suggestPlaybooks } from '../../../src/playbooks/suggest';
import type { Playbook } from '../../../src/playbooks/types';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';
import { isRunning, waitForPod } from '../loopback/helpers/client';
import { requireRealPods } from '../loopback/helpers/requirePods';

const playbook = (id: string): Playbook => BUILT_IN_PLAYBOOKS.find((p) => p.id === id)!;
const stepOf = (run: PlaybookRun, title: string) => {
  const step = run.steps.find((s) => s.title === title);
  assert.ok(step, `no step "${title}" in ${run.steps.map((s) => s.title).join(', ')}`);
  return step;
};
const describeRun = (run: PlaybookRun): string => run.steps.map((s) => `## ${s.title}: ${s.status} (${s.exitCode})\n${s.output}`).join('\n');

describe('playbooks on the test cluster', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let api: ClusterApi;
  let artifactDir: string;

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ pullDelayMs: 20, backoffBaseMs: 200 });
    const kc = cluster.kubeConfig();
    api = createClusterApi(kc);
    artifactDir = await mkdtemp(join(tmpdir(), 'playbook-artifacts-'));
    for (const name of ['node-app', 'java-app', 'python-app']) {
      await waitForPod(kc, 'demo', name, isRunning('app'));
    }
    // Ready, so that the suggestion is the runtime's and not "failing readiness".
    await waitForPod(kc, 'demo', 'node-app', (p) => p.status?.containerStatuses?.[0]?.ready === true);
    await waitForPod(kc, 'demo', 'crashloop', (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
  });

  after(async () => {
    await cluster?.stop();
    if (artifactDir) await rm(artifactDir, { recursive: true, force: true });
  });

  const run = async (id: string, pod: string, overrides: Partial<Playbook> = {}, inputs?: Record<string, string>): Promise<PlaybookRun> => {
    const chosen = { ...playbook(id), ...overrides };
    const target = await api.readPod('demo', pod);
    const streamed: string[] = [];
    const result = await runPlaybook(api, chosen, { namespace: 'demo', pod, container: 'app' }, {
      inputs: inputs ?? defaultInputs(chosen, target, 'app'),
      onStepOutput: (_i, chunk) => streamed.push(chunk),
      writeArtifact: async (name, content) => {
        const path = join(artifactDir, `${pod}-${name}`);
        await writeFile(path, content);
        return path;
      },
    });
    assert.ok(streamed.join('').length > 0, 'output was streamed while the steps ran');
    return result;
  };

  it('suggests from the real demo pods: crashloop → debug a copy, node-app → its heap, java-app → its threads', async () => {
    // A shared cluster's demo reset recreates crashloop: wait until it has crashed once and sits between restarts.
    const crashed = await waitForPod(cluster.kubeConfig(), 'demo', 'crashloop', (p) => {
      const status = p.status?.containerStatuses?.[0];
      return (status?.restartCount ?? 0) >= 1 && status?.state?.running === undefined;
    }, 90_000);
    const crash = suggestPlaybooks(crashed);
    assert.equal(crash.first.kind, 'debug-copy', JSON.stringify(crash.first));
    assert.match(crash.first.reason, /keeps exiting .*last exit 1/);
    const node = suggestPlaybooks(await api.readPod('demo', 'node-app'));
    assert.deepEqual(node.first.kind === 'playbook' ? node.first.playbookId : node.first.kind, 'node-heap');
    const java = suggestPlaybooks(await api.readPod('demo', 'java-app'));
    assert.deepEqual(java.first.kind === 'playbook' ? java.first.playbookId : java.first.kind, 'jvm-threads');
  });

  it('network and DNS on node-app: :8080 listens, no resolv.conf and a failing lookup are reported, the TCP connect works', async () => {
    const result = await run('network-dns', 'node-app');
    const all = describeRun(result);
    assert.equal(result.targetPid, 1, result.targetNote);
    assert.equal(result.ok, true, all);
    assert.match(stepOf(result, 'Listening sockets').output, /LISTEN.*[*:]8080\b|[*:]8080\b.*LISTEN/, all);
    // The loopback gives pods no resolv.conf; the real node gives them a cluster's, naming a DNS Service nobody serves.
    assert.match(stepOf(result, 'DNS configuration').output, cluster.kind === 'loopback'
      ? /no \/etc\/resolv\.conf in the debug container nor in the target/ : /nameserver 10\.96\.0\.10/);
    const dns = stepOf(result, 'DNS lookup');
    assert.equal(dns.status, 'failed');
    assert.match(dns.output, /DNS lookup of kubernetes\.default\.svc\.cluster\.local FAILED/);
    const tcp = stepOf(result, 'TCP connect');
    assert.equal(tcp.status, 'ok', tcp.output);
    assert.match(tcp.output, /TCP connect to 127\.0\.0\.1:8080: connected/);
  });

  it('issue #14: the network playbook without a target container: its debug container has none, and it still sees the pod\'s :8080', async () => {
    const chosen = playbook('network-dns');
    assert.equal(chosen.needsTarget, false);
    const target = await api.readPod('demo', 'node-app');
    const before = new Set((target.spec?.ephemeralContainers ?? []).map((c) => c.name));
    const result = await runPlaybook(api, chosen, { namespace: 'demo', pod: 'node-app', container: null }, {
      inputs: defaultInputs(chosen, target, 'app'),
    });
    const all = describeRun(result);
    const spec = (await api.readPod('demo', 'node-app')).spec?.ephemeralContainers?.find((c) => !before.has(c.name));
    assert.ok(spec, 'the playbook added a debug container');
    assert.equal(spec.name, result.containerName);
    assert.equal(spec.targetContainerName, undefined, 'the debug container has no target');
    assert.equal(result.targetPid, undefined);
    assert.match(result.targetNote, /no target container/);
    assert.match(stepOf(result, 'Listening sockets').output, /LISTEN.*[*:]8080\b|[*:]8080\b.*LISTEN/, all);
    assert.equal(stepOf(result, 'TCP connect').status, 'ok', all);
  });

  it('an input with quotes and $(…) is passed literally: nothing runs in the debug container', async () => {
    const evil = `127.0.0.1:1'"; touch /tmp/pwned-a; $(touch /tmp/pwned-b) \`touch /tmp/pwned-c\``;
    const result = await run('network-dns', 'node-app', {}, { DNS_NAME: 'x', ENDPOINT: evil });
    const tcp = stepOf(result, 'TCP connect');
    assert.equal(tcp.status, 'failed');
    assert.match(tcp.output, /is not host:port/, tcp.output);
    const check = await execCapture(api, 'demo', 'node-app', result.containerName, ['sh', '-c', 'ls /tmp/pwned-* 2>/dev/null | wc -l']);
    assert.equal(check.stdout.trim(), '0');
  });

  it('fd exhaustion on node-app: the count and limits come from the target', async () => {
    const result = await run('fd-exhaustion', 'node-app');
    const out = stepOf(result, 'Open file descriptors').output;
    const m = /open file descriptors: (\d+) \(soft limit (\d+|unlimited), hard limit (\d+|unlimited)\)/.exec(out);
    assert.ok(m, out);
    const direct = await execCapture(api, 'demo', 'node-app', result.containerName, ['sh', '-c', 'ls /proc/1/fd | wc -l; grep "^Max open files" /proc/1/limits']);
    const [count, limits] = direct.stdout.split('\n');
    assert.ok(Math.abs(Number(m[1]) - Number(count)) <= 3, `${m[1]} vs ${count}`);
    assert.ok(limits!.includes(m[2]!), `${limits} vs ${m[2]}`);
    assert.match(out, /\d+ socket/);
  });

  it('JVM threads on java-app: a thread dump with the HTTP server thread, and the heap summary, over the attach socket', async () => {
    const result = await run('jvm-threads', 'java-app');
    const all = describeRun(result);
    assert.equal(result.ok, true, all);
    assert.match(stepOf(result, 'Attach to the JVM').output, /attach socket: \/proc\/\d+\/root\/tmp\/\.java_pid\d+/);
    const dump = stepOf(result, 'Thread dump').output;
    assert.match(dump, /Full thread dump/);
    assert.match(dump, /"HTTP-Dispatcher"|"main"/);
    assert.match(stepOf(result, 'Heap summary').output, /heap\s+total \d+K, used \d+K/);
    assert.match(stepOf(result, 'Class histogram (top 25)').output, /num\s+#instances\s+#bytes\s+class name/);
  });

  it('JVM threads without the attach socket fall back to kill -3 and read the dump from the container log', async () => {
    const jvm = playbook('jvm-threads');
    const result = await run('jvm-threads', 'java-app', { steps: [jvm.steps[1]!] });
    const out = stepOf(result, 'Thread dump').output;
    assert.equal(result.ok, true, out);
    assert.match(out, /falling back to kill -3/);
    assert.match(out, /--- from app's log ---\n(.*\n)?Full thread dump/);
    assert.match(out, /"HTTP-Dispatcher"/);
  });

  it('Node heap snapshot on node-app: a parseable .heapsnapshot artifact, the handles summary, and the inspector closed again', async () => {
    const result = await run('node-heap', 'node-app');
    const all = describeRun(result).slice(0, 4000);
    assert.equal(result.ok, true, all);
    assert.match(stepOf(result, 'Active handles and memory').output, /"activeHandles": \{[^}]*"Server": 2/); // node-app serves on :8080 and answers probes on :8081
    const snapshot = stepOf(result, 'Heap snapshot');
    assert.equal(snapshot.artifacts.length, 1);
    const artifact = snapshot.artifacts[0]!;
    assert.equal(artifact.name, 'node-heap.heapsnapshot');
    const parsed = JSON.parse(await readFile(artifact.location!, 'utf8')) as { snapshot: { meta: { node_fields: string[] }; node_count: number } };
    assert.ok(parsed.snapshot.meta.node_fields.includes('self_size'));
    assert.ok(parsed.snapshot.node_count > 1000);
    assert.equal((await readFile(artifact.location!)).length, artifact.size);
    assert.match(snapshot.output, /closed the inspector again/);
    const listening = await execCapture(api, 'demo', 'node-app', result.containerName, ['sh', '-c', 'grep -hE ":2405 [0-9A-F]+:0000 0A" /proc/net/tcp /proc/net/tcp6 | wc -l']);
    assert.equal(listening.stdout.trim(), '0', 'the inspector opened by SIGUSR1 still listens on 9229');
  });

  it('stuck process on node-app: thread states; kernel stacks need sysadmin, and with it they are shown', async () => {
    const general = await run('stuck-process', 'node-app');
    const states = stepOf(general, 'Thread states').output;
    assert.match(states, /^1\s+node\s+S \(sleeping\)\s+\S+\s+\d+/m, states);
    assert.match(states, /threads in uninterruptible sleep \(D\): 0/);
    const stacks = stepOf(general, 'Kernel stacks');
    assert.equal(stacks.status, 'failed');
    assert.match(stacks.output, /need root with CAP_SYS_ADMIN: run this playbook with profile sysadmin/);
    assert.match(stepOf(general, 'System calls (strace, 3 s)').output, /strace: Process 1 attached/);

    const sysadmin = await run('stuck-process', 'node-app', { profile: 'sysadmin' });
    const shown = stepOf(sysadmin, 'Kernel stacks');
    assert.equal(shown.status, 'ok', shown.output);
    assert.match(shown.output, /-- thread 1 \(node\)\n\[<0>\] \w+/);
  });

  it('Python stack dump on python-app: every thread\'s stack from inside the interpreter', async () => {
    const result = await run('python-stack', 'python-app');
    const out = stepOf(result, 'Python stacks of all threads').output;
    assert.equal(result.ok, true, out);
    assert.match(out, /Thread \d+ \(MainThread\)/);
    assert.match(out, /serve_forever/);
  });

  it('the policy applies: a maximum profile below the playbook\'s refuses to add its container', async () => {
    await assert.rejects(
      runPlaybook(api, playbook('fd-exhaustion'), { namespace: 'demo', pod: 'node-app', container: 'app' }, { policy: { maxProfile: 'baseline' } }),
      (error: unknown) => error instanceof DebugFlowError && /general/.test(error.message),
    );
  });
});
