/** The demo workloads (test/cluster/demo/workloads.yaml) start and serve on the loopback kubelet. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { Kubelet } from '../../cluster/kubelet/kubelet';
import { MemoryPodStore } from './helpers/memory-pod-store';
import { unavailable } from './helpers/requirePods';

const repoRoot = path.resolve(__dirname, '../../..');

describe('loopback kubelet demo workloads', function () {
  let store: MemoryPodStore;
  let kubelet: Kubelet;

  before(async function () {
    this.timeout(300_000);
    const setup = await import('../../cluster/kubelet/setup-runtime.mjs' as string) as { setupRuntime(o: object): Promise<unknown> };
    await setup.setupRuntime({ quiet: true });
    store = new MemoryPodStore();
    kubelet = new Kubelet({ store, cacheDir: path.join(repoRoot, '.cache/cluster'), backoffBaseMs: 500 });
    if (kubelet.isolation !== 'namespaces') unavailable(this, `the demo needs isolated pods, and ${kubelet.isolationReason ?? 'the kubelet runs plain processes'}`);
    await kubelet.start();
    const docs = parseAllDocuments(fs.readFileSync(path.join(repoRoot, 'test/cluster/demo/workloads.yaml'), 'utf8')).map((d) => d.toJS());
    for (const doc of docs) if (doc.kind === 'Pod') store.createPod(doc as V1Pod);
  });

  after(async () => {
    await kubelet?.stop();
  });

  async function httpGet(ns: string, name: string, port: number): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        const socket = await kubelet.portForward(ns, name, port);
        socket.write(`GET /hello HTTP/1.0\r\nHost: x\r\n\r\n`);
        let text = '';
        for await (const chunk of socket) text += chunk.toString();
        return text;
      } catch (e) {
        if (attempt > 200) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  for (const [ns, name, port, app] of [['demo', 'node-app', 8080, 'node-app'], ['demo', 'java-app', 8080, 'java-app'],
    ['demo', 'python-app', 8000, 'python-app'], ['demo', 'go-app', 8080, 'go-app'], ['restricted', 'secure-app', 8000, 'python-app']] as const) {
    it(`${ns}/${name} serves HTTP on ${port}`, async function () {
      const reply = await httpGet(ns, name, port);
      assert.match(reply, new RegExp(`"app": ?"${app}"`));
    });
  }

  it('java-app listens for JDWP on 5005', async function () {
    for (let attempt = 0; ; attempt++) {
      try {
        const socket = await kubelet.portForward('demo', 'java-app', 5005);
        socket.write('JDWP-Handshake');
        const reply = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
        socket.destroy();
        assert.equal(reply, 'JDWP-Handshake');
        return;
      } catch (e) {
        if (attempt > 200) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });

  it('crashloop goes into CrashLoopBackOff; shared-pid has /pause at PID 1', async function () {
    await store.waitFor('demo', 'crashloop', (p) => p?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff');
    await store.waitFor('demo', 'shared-pid', (p) => !!p?.status?.containerStatuses?.every((c) => c.state?.running));
    const proc = await kubelet.exec('demo', 'shared-pid', 'sidecar', ['cat', '/proc/1/cmdline'], { stdin: false, stdout: true, stderr: false, tty: false });
    let out = '';
    for await (const chunk of proc.stdout) out += chunk.toString();
    assert.equal(out, '/pause\0');
  });
});
