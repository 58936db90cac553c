/**
 * `tsx test/realnode/run.ts -- COMMAND...`: starts the real node with the demo workloads, runs
 * COMMAND against it, stops the node (whatever COMMAND did) and exits with COMMAND's code. COMMAND sees
 * EPHEMERAL_DEBUG_TEST_CLUSTER=real, EPHEMERAL_DEBUG_KUBECONFIG, EPHEMERAL_DEBUG_KUBECTL (kubectl of the same
 * release) and EPHEMERAL_DEBUG_NODE_VERSION. The binaries are built first when missing.
 */
import { spawn } from 'node:child_process';
import { ensureBuilt, RealNode } from './realNode';

async function main(): Promise<number> {
  const separator = process.argv.indexOf('--');
  const flags = process.argv.slice(2, separator < 0 ? undefined : separator);
  const command = separator < 0 ? [] : process.argv.slice(separator + 1);
  if (command.length === 0) {
    console.error('usage: tsx test/realnode/run.ts [--build] -- COMMAND [ARGS...]');
    return 2;
  }
  if (flags.length > 0) {
    console.error(`unknown option ${flags[0]}; usage: tsx test/realnode/run.ts -- COMMAND [ARGS...]`);
    return 2;
  }
  ensureBuilt();
  const started = Date.now();
  const node = RealNode.create({ log: (line) => console.log(line) });
  let child: ReturnType<typeof spawn> | undefined;
  let stopping: Promise<boolean> | undefined;
  /** True when everything the node made is gone; otherwise says what is left (and the run fails). */
  const stop = () => (stopping ??= node.stop().then((left) => {
    if (left.length === 0) console.log('realnode: stopped; every process, mount, cgroup, namespace and file it made is gone');
    else console.error(`realnode: stopped, but left behind: ${left.join(', ')}`);
    return left.length === 0;
  }));
  const onSignal = (signal: NodeJS.Signals) => {
    console.log(`\nrealnode: ${signal}: stopping`);
    child?.kill(signal);
    void stop().then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await node.start();
  console.log(`realnode: Kubernetes ${node.version} single node up in ${((Date.now() - started) / 1000).toFixed(1)} s; running: ${command.join(' ')}`);
  const code = await new Promise<number>((resolve) => {
    child = spawn(command[0], command.slice(1), {
      stdio: 'inherit',
      env: {
        ...process.env,
        EPHEMERAL_DEBUG_TEST_CLUSTER: 'real',
        EPHEMERAL_DEBUG_KUBECONFIG: node.layout.kubeconfig,
        EPHEMERAL_DEBUG_KUBECTL: node.kubectl,
        EPHEMERAL_DEBUG_NODE_VERSION: node.version,
      },
    });
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    child.on('error', (error) => {
      console.error(`realnode: could not run ${command[0]}: ${error.message}`);
      resolve(127);
    });
  });
  const clean = await stop();
  return code !== 0 ? code : clean ? 0 : 1;
}

main().then((code) => process.exit(code), (error: unknown) => {
  console.error(`realnode: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
