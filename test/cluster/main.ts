/**
 * `npm run cluster -- --kubeconfig PATH [--port N] [--no-demo]`: runs the loopback cluster in the
 * foreground with the demo workloads until Ctrl-C, then removes everything it made.
 * `npm run cluster -- --real [--kubeconfig PATH]`: the same with the real node (test/realnode).
 */
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { copyFile, mkdir } from 'node:fs/promises';
import { ensureBuilt, RealNode } from '../realnode/realNode';
import { LoopbackCluster } from './cluster';

const usage = 'usage: npm run cluster -- [--real] --kubeconfig PATH [--port N] [--no-demo] [--verbose]';

/** Ctrl-C (SIGINT to the whole process group) or SIGTERM stops `stop` once, then exits. */
function stopOnSignal(what: string, stop: () => Promise<string>): void {
  let stopping = false;
  const onSignal = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the ${what}…`);
    console.log(await stop());
    process.exit(0);
  };
  process.on('SIGINT', () => void onSignal('SIGINT'));
  process.on('SIGTERM', () => void onSignal('SIGTERM'));
}

async function runRealNode(kubeconfigPath: string | undefined, demo: boolean): Promise<void> {
  ensureBuilt();
  const node = RealNode.create({ log: (line) => console.log(line), demo });
  stopOnSignal('real node', async () => {
    const left = await node.stop();
    return left.length === 0 ? 'stopped: every process, mount, cgroup, namespace and file it made is gone.'
      : `stopped, but left behind: ${left.join(', ')}`;
  });
  await node.start();
  if (kubeconfigPath) {
    await mkdir(dirname(kubeconfigPath), { recursive: true });
    await copyFile(node.layout.kubeconfig, kubeconfigPath);
  }
  const path = kubeconfigPath ?? node.layout.kubeconfig;
  console.log(`real node ready: Kubernetes ${node.version} at ${node.url}`);
  console.log(`kubeconfig: ${path} (contexts realnode-admin, realnode-viewer, realnode-debugger)`);
  console.log(`try: KUBECONFIG=${path} ${node.kubectl} get pods -A`);
  console.log('Ctrl-C stops the node and removes every process, mount, cgroup, namespace and file it made.');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      port: { type: 'string', default: '0' },
      'no-demo': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      'demo-instructions': { type: 'boolean', default: false },
      real: { type: 'boolean', default: false },
    },
  });
  if (values.real) return runRealNode(values.kubeconfig && resolve(values.kubeconfig), !values['no-demo']);
  const kubeconfigPath = resolve(values.kubeconfig ?? '.cache/demo/kubeconfig');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535 (${usage})`);
  // The default's folder (.cache/demo) is removed when a demo ends.
  await mkdir(dirname(kubeconfigPath), { recursive: true });

  const cluster = await LoopbackCluster.start({
    port,
    kubeconfigPath,
    demo: !values['no-demo'],
    log: values.verbose ? (line) => console.log(line) : undefined,
  });
  const isolation = cluster.kubelet.isolation === 'namespaces'
    ? 'pods are Linux namespaces'
    : `pods are plain processes: ${cluster.kubelet.isolationReason ?? 'no namespaces here'}`;
  console.log(`loopback cluster ready at ${cluster.url} (${isolation})`);
  console.log(`kubeconfig: ${kubeconfigPath} (contexts loopback-admin, loopback-viewer, loopback-debugger)`);
  console.log(`try: KUBECONFIG=${kubeconfigPath} kubectl get pods -A`);
  if (values['demo-instructions']) {
    console.log(`VS Code: run \`KUBECONFIG=${kubeconfigPath} code --extensionDevelopmentPath=${process.cwd()}\`, open the Kubernetes Ephemeral Debug view.`);
  }
  console.log('Ctrl-C stops the cluster and removes every process, namespace and mount it made.');

  stopOnSignal('loopback cluster', async () => {
    await cluster.stop();
    const alive = cluster.kubelet.livePids();
    return alive.length === 0 ? 'stopped: every process, namespace and mount it made is gone.'
      : `stopped, but processes ${alive.join(', ')} are still alive: end them with kill -9.`;
  });
}

main().catch((error: unknown) => {
  console.error(`loopback cluster: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
