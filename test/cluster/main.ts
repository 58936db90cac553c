/**
 * `npm run cluster -- --kubeconfig PATH [--port N] [--no-demo]`: runs the loopback cluster in the
 * foreground with the demo workloads until Ctrl-C, then removes everything it made.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LoopbackCluster } from './cluster';

const usage = 'usage: npm run cluster -- --kubeconfig PATH [--port N] [--no-demo] [--verbose]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      port: { type: 'string', default: '0' },
      'no-demo': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      'demo-instructions': { type: 'boolean', default: false },
    },
  });
  const kubeconfigPath = resolve(values.kubeconfig ?? '.cache/demo/kubeconfig');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535 (${usage})`);

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

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the loopback cluster…`);
    await cluster.stop();
    const alive = cluster.kubelet.livePids();
    console.log(alive.length === 0 ? 'stopped: every process, namespace and mount it made is gone.'
      : `stopped, but processes ${alive.join(', ')} are still alive: end them with kill -9.`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`loopback cluster: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
