/**
 * `auto` is the least privilege that works, measured: for each demo target, the profile auto picks reads the
 * target's files through /proc/<pid>/root, and the next lower identity or profile is refused by the kernel.
 *
 * It runs on the test cluster: on the real node (kubelet + containerd 2.x + runc) the kernel decides each read;
 * on the loopback kubelet every container is a real process in its own namespaces with containerd's default
 * capability set (plus add, minus drop), its uid/gid and no_new_privs, so Linux's ptrace access rules (same uid
 * and gid, and every capability the target holds, or CAP_SYS_PTRACE) decide each read there as on a node.
 *
 *   demo/node-app          root (status reports uid 0)      auto → baseline    lower: non-root (restricted) fails
 *   demo/shared-pid (app)  root, /pause at PID 1            auto → baseline    lower: non-root (restricted) fails
 *   demo/go-app            uid 65532 chosen by its image    auto → restricted as 65532; root without SYS_PTRACE fails
 *   restricted/secure-app  uid 1000 (restricted namespace)  auto → restricted as 1000; another uid fails
 */
import assert from 'node:assert/strict';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi } from '../../../src/cluster/clusterApi';
import { attachDebugContainer, type AttachRequest, type AttachResult } from '../../../src/debug/attachFlow';
import { execCapture } from '../../../src/debug/execCapture';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';
import { isRunning, waitForPod } from '../loopback/helpers/client';
import { requireRealPods } from '../loopback/helpers/requirePods';

/** The PID of the target's program as the debug container sees it (PID 1 unless processes are shared). */
const FIND_PID = (comm: string): string => `for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = ${comm} ] && { echo \${p#/proc/}; break; }; done`;

describe('auto profile: the least privilege that reads each demo target, measured', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let admin: ClusterApi;

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ pullDelayMs: 20, backoffBaseMs: 200 });
    const kc = cluster.kubeConfig();
    admin = createClusterApi(kc);
    for (const [ns, pod] of [['demo', 'node-app'], ['demo', 'shared-pid'], ['demo', 'go-app'], ['restricted', 'secure-app']] as const) {
      await waitForPod(kc, ns, pod, isRunning('app'));
    }
  });

  after(async () => {
    await cluster?.stop();
  });

  /** Adds a debug container (never reattaching), with no privilege question allowed unless `allowAsk`. */
  async function add(request: Omit<AttachRequest, 'image'>, asked: string[][] = []): Promise<AttachResult> {
    return attachDebugContainer(admin, { image: 'busybox:1.36', command: ['sh'], ...request }, {}, {
      chooseReattach: async () => 'add-new',
      acknowledgePermanent: async () => true,
      confirmPrivileged: async (info) => {
        asked.push([...info.grants]);
        return true;
      },
    });
  }

  /** Reads a file of the target's root from the debug container: the content, or the shell's error. */
  async function readThroughProc(result: AttachResult, comm: string, path: string): Promise<{ ok: boolean; text: string }> {
    const script = `pid=$(${FIND_PID(comm)}); [ -n "$pid" ] || { echo "no ${comm} process" >&2; exit 3; }; cat /proc/$pid/root${path}`;
    const out = await execCapture(admin, result.namespace, result.podName, result.containerName, ['sh', '-c', script]);
    return { ok: out.exitCode === 0, text: out.exitCode === 0 ? out.stdout : out.stderr };
  }

  for (const { pod, comm } of [{ pod: 'node-app', comm: 'node' }, { pod: 'shared-pid', comm: 'node' }]) {
    it(`demo/${pod} (root target): auto picks baseline without a question, it reads the target; a non-root debug container cannot`, async () => {
      const asked: string[][] = [];
      const auto = await add({ namespace: 'demo', podName: pod, targetContainer: 'app', profile: 'auto' }, asked);
      assert.equal(auto.profile, 'baseline', auto.profileReason);
      assert.deepEqual(asked, [], 'no privilege question');
      const read = await readThroughProc(auto, comm, '/app/server.js');
      assert.ok(read.ok, `baseline reads the root target: ${read.text}`);
      assert.match(read.text, /createServer/);

      const lower = await add({ namespace: 'demo', podName: pod, targetContainer: 'app', profile: 'restricted', custom: { securityContext: { runAsUser: 65534, runAsGroup: 65534 } } });
      const refused = await readThroughProc(lower, comm, '/app/server.js');
      assert.equal(refused.ok, false, 'restricted (uid 65534, no capabilities) must not read a root target');
      assert.match(refused.text, /Permission denied/i);
    });
  }

  it('demo/go-app (uid 65532 from its image, reported in its status): auto picks restricted as 65532; root without SYS_PTRACE cannot read it', async () => {
    const auto = await add({ namespace: 'demo', podName: 'go-app', targetContainer: 'app', profile: 'auto' });
    assert.equal(auto.profile, 'restricted', auto.profileReason);
    const spec = auto.pod.spec?.ephemeralContainers?.find((c) => c.name === auto.containerName);
    assert.equal(spec?.securityContext?.runAsUser, 65532);
    const read = await readThroughProc(auto, 'server', '/app/server');
    assert.ok(read.ok, `the same uid reads it: ${read.text.slice(0, 200)}`);

    const root = await add({ namespace: 'demo', podName: 'go-app', targetContainer: 'app', profile: 'baseline' });
    const refused = await readThroughProc(root, 'server', '/app/server');
    assert.equal(refused.ok, false, 'root with default capabilities but another uid needs SYS_PTRACE');
    assert.match(refused.text, /Permission denied/i);
  });

  it('restricted/secure-app (uid 1000, Pod Security restricted): auto picks restricted as uid 1000 and reads it; another uid cannot', async () => {
    const auto = await add({ namespace: 'restricted', podName: 'secure-app', targetContainer: 'app', profile: 'auto' });
    assert.equal(auto.profile, 'restricted', auto.profileReason);
    const read = await readThroughProc(auto, 'python3', '/app/app.py');
    assert.ok(read.ok, `uid 1000 reads uid 1000's files: ${read.text}`);

    const other = await add({ namespace: 'restricted', podName: 'secure-app', targetContainer: 'app', profile: 'restricted', custom: { securityContext: { runAsUser: 1001, runAsGroup: 1001 } } });
    const refused = await readThroughProc(other, 'python3', '/app/app.py');
    assert.equal(refused.ok, false, 'another uid without capabilities must not read it');
    assert.match(refused.text, /Permission denied/i);
  });
});
