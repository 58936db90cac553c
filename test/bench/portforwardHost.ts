/**
 * The extension's side of portforward.bench.ts in a process of its own, as in VS Code (the extension host is
 * not the API server's process; kubectl is not either). Args: KUBECONFIG CONTEXT NAMESPACE POD PORT. Prints
 * `listening PORT` once the forward is up; stops the forward and exits when stdin ends.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { createClusterApi } from '../../src/cluster/client';
import { startPortForward } from '../../src/launch/portForward';

async function main(): Promise<void> {
  const [kubeconfig, context, namespace, pod, port] = process.argv.slice(2);
  if (!kubeconfig || !context || !namespace || !pod || !port) throw new Error('usage: portforwardHost.ts KUBECONFIG CONTEXT NAMESPACE POD PORT');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  kc.setCurrentContext(context);
  const forward = await startPortForward(createClusterApi(kc), { namespace, pod, remotePort: Number(port) });
  process.stdout.write(`listening ${forward.localPort}\n`);
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.once('end', resolve));
  await forward.stop();
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(`portforwardHost: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
