import { createHash } from 'node:crypto';
import { createClusterApi } from '../../src/cluster/client';
import { attachDebugContainer } from '../../src/debug/attachFlow';
import { execCapture } from '../../src/debug/execCapture';
import { runExec } from '../../src/targetfs/execRunner';
import { TargetFileSystem } from '../../src/targetfs/targetFileSystem';
import { operationCommand } from '../../src/targetfs/protocol';
import { createNodeAppLike, withBenchCluster } from './benchCluster';
import { runBenchmark } from './stats';
const FILE = '/fixture/random.bin';
const image = process.env.IMG ?? 'busybox:1.36';
runBenchmark(async () => withBenchCluster({ demo: true }, async ({ cluster }) => {
  const api = createClusterApi(cluster.kubeConfig());
  await createNodeAppLike(cluster, 'demo', 'bench-scratch');
  const { containerName } = await attachDebugContainer(api, { namespace: 'demo', podName: 'bench-scratch', image, targetContainer: 'app', profile: 'general' }, { skipPrivilegedConfirmation: true });
  const made = await execCapture(api, 'demo', 'bench-scratch', containerName, ['sh', '-c', `mkdir -p /proc/1/root/fixture; dd if=/dev/urandom of=/proc/1/root${FILE} bs=1048576 count=64 2>/dev/null`]);
  if (made.exitCode !== 0) throw new Error(made.stderr);
  const fs = new TargetFileSystem(api, { context: api.contextName, namespace: 'demo', pod: 'bench-scratch', container: 'app' }, { debugContainer: containerName, cacheTtlMs: 0 });
  const s = await fs.connect();
  const t = { api, namespace: 'demo', pod: 'bench-scratch', container: containerName };
  const variants: Record<string, () => Promise<unknown>> = {
    cat: () => runExec(t, { argv: ['cat', `/proc/1/root${FILE}`], onStdout: () => undefined }),
    catMd5Local: () => { const h = createHash('md5'); return runExec(t, { argv: ['cat', `/proc/1/root${FILE}`], onStdout: (c) => h.update(c) }); },
    catMd5Remote2nd: () => runExec(t, { argv: ['sh', '-c', `(md5sum < /proc/1/root${FILE} >&2) & cat /proc/1/root${FILE}; wait`], onStdout: () => undefined }),
    readScriptNoop: () => runExec(t, { argv: operationCommand('read', s.pid, s.probe.tools, [`${FILE}`]), onStdout: () => undefined }),
    readFile: () => fs.readFile(FILE),
    catSha256Local: () => { const h = createHash('sha256'); return runExec(t, { argv: ['cat', `/proc/1/root${FILE}`], onStdout: (c) => h.update(c) }); },
    remoteTimes: async () => { const r = await execCapture(api, 'demo', 'bench-scratch', containerName, ['sh', '-c', `F=/proc/1/root${FILE}; for c in 'cat' 'md5sum' 'sha256sum' 'sha1sum' 'cksum'; do s=$(date +%s%N); $c < $F > /dev/null; e=$(date +%s%N); echo "$c $(( (e-s)/1000000 ))"; done`]); console.log(r.stdout.replace(/\n/g, ' | ')); },
  };
  const only = process.env.ONLY?.split(',');
  for (let round = 0; round < Number(process.env.ROUNDS ?? 3); round++) {
    for (const [name, run] of Object.entries(variants)) {
      if (only && !only.includes(name)) continue;
      const started = performance.now();
      const cpu = process.cpuUsage();
      await run();
      const used = process.cpuUsage(cpu);
      console.log(`${round} ${name} ${(performance.now() - started).toFixed(0)} ms, cpu ${((used.user + used.system) / 1000).toFixed(0)} ms`);
    }
  }
}));
