/**
 * `npm run demo`: the loopback cluster with its demo workloads, and VS Code with this extension loaded and
 * pointed at it — the local `code` (`--extensionDevelopmentPath`) when it is on PATH, otherwise code-server
 * (installed by test/setup/code-server.mjs into .cache/code-server/) on 127.0.0.1, whose URL is printed.
 * Ctrl-C (SIGINT/SIGTERM) ends everything started here (code-server by its process group, the cluster's
 * processes) and removes the temp dir and the kubeconfig.
 *
 * Usage: tsx test/demo/main.ts [--real] [--kubeconfig PATH] [--code-server | --no-editor] [--port N] [--verbose]
 *   --real         the real node (test/realnode: real kube-apiserver, kubelet, containerd) instead of the loopback
 *   --code-server  use code-server even where `code` is on PATH
 *   --no-editor    the cluster and the workspace only (what the clean-up test starts)
 *   --port N       code-server's port on 127.0.0.1 (default: a free one)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LoopbackCluster } from '../cluster/cluster';
import { ensureBuilt, RealNode } from '../realnode/realNode';
import { codeServerEnv, endProcessGroup, ensureCodeServer, isGroupAlive, remoteUri, repoRoot, seedSettings, startCodeServer, workbenchUrl } from '../host/codeServer';

const say = (line: string): void => console.log(`demo: ${line}`);

/** Everything to undo, in reverse order of creation. */
const cleanups: { what: string; run: () => Promise<void> | void }[] = [];
let cleaningUp: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    for (const { what, run } of cleanups.splice(0).reverse()) {
      try {
        await run();
      } catch (error) {
        console.error(`demo: clean-up of ${what} failed: ${String(error)}`);
      }
    }
  })();
  return cleaningUp;
}

let exiting = false;
function shutdown(reason: string, code: number): void {
  if (exiting) return;
  exiting = true;
  say(`${reason}: stopping everything the demo started…`);
  void cleanup().finally(() => {
    say('stopped.');
    process.exit(code);
  });
}

/** `code` on PATH (an executable file), if any. */
function findCode(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'code');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A workspace with node-app's source and a launch configuration attaching to it. */
function makeWorkspace(dir: string): void {
  mkdirSync(join(dir, '.vscode'), { recursive: true });
  cpSync(join(repoRoot, 'test', 'cluster', 'demo', 'node-app', 'server.js'), join(dir, 'server.js'));
  const launch = {
    version: '0.2.0',
    configurations: [
      {
        type: 'kubernetes-ephemeral',
        request: 'attach',
        name: 'Kubernetes: Attach to demo/node-app',
        namespace: 'demo',
        pod: 'node-app',
        runtime: 'node',
        localRoot: '${workspaceFolder}',
        remoteRoot: '/app',
      },
    ],
  };
  writeFileSync(join(dir, '.vscode', 'launch.json'), JSON.stringify(launch, null, 2) + '\n');
}

async function startLoopback(kubeconfigPath: string, verbose: boolean): Promise<void> {
  say('starting the loopback cluster with the demo workloads (its runtime was set up by `npm run demo` before this)');
  const cluster = await LoopbackCluster.start({ demo: true, kubeconfigPath, log: verbose ? (line) => console.log(`cluster: ${line}`) : undefined });
  cleanups.push({
    what: 'loopback cluster',
    run: async () => {
      await cluster.stop();
      rmSync(kubeconfigPath, { force: true });
      const alive = cluster.kubelet.livePids();
      say(alive.length === 0 ? 'cluster stopped: every process, namespace and mount it made is gone.' : `cluster stopped, but processes ${alive.join(', ')} are still alive.`);
    },
  });
  say(`cluster at ${cluster.url}; kubeconfig ${kubeconfigPath} (contexts loopback-admin, loopback-viewer, loopback-debugger)`);
}

async function startRealNode(kubeconfigPath: string): Promise<void> {
  say('starting the real node (kube-apiserver, kubelet, containerd; the first start builds them, once per machine)');
  ensureBuilt();
  const node = RealNode.create({ log: (line) => say(line) });
  cleanups.push({
    what: 'real node',
    run: async () => {
      const left = await node.stop();
      rmSync(kubeconfigPath, { force: true });
      say(left.length === 0 ? 'real node stopped: every process, mount, cgroup, namespace and file it made is gone.'
        : `real node stopped, but left behind: ${left.join(', ')}`);
    },
  });
  await node.start();
  copyFileSync(node.layout.kubeconfig, kubeconfigPath);
  say(`real node: Kubernetes ${node.version} at ${node.url}; kubeconfig ${kubeconfigPath} (contexts realnode-admin, realnode-viewer, realnode-debugger)`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string', default: join(repoRoot, '.cache', 'demo', 'kubeconfig') },
      'code-server': { type: 'boolean', default: false },
      'no-editor': { type: 'boolean', default: false },
      port: { type: 'string', default: '0' },
      verbose: { type: 'boolean', default: false },
      real: { type: 'boolean', default: false },
    },
  });
  const kubeconfigPath = resolve(values.kubeconfig);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be 0..65535');
  const noEditor = values['no-editor'];
  const code = values['code-server'] || noEditor ? undefined : findCode();
  if (code === undefined && !noEditor) {
    say('checking code-server in .cache/code-server/ (the first start installs it: about 600 MB, a few minutes)');
    ensureCodeServer();
  }

  const temp = mkdtempSync(join(tmpdir(), 'ephemeral-debug-demo-'));
  cleanups.push({ what: `temp dir ${temp}`, run: () => rmSync(temp, { recursive: true, force: true }) });
  const dirs = {
    userData: join(temp, 'user-data'),
    extensions: join(temp, 'extensions'),
    workspace: join(temp, 'workspace'),
    config: join(temp, 'code-server.yaml'),
    home: temp,
  };
  for (const dir of [dirs.userData, dirs.extensions, dirs.workspace]) mkdirSync(dir, { recursive: true });
  makeWorkspace(dirs.workspace);

  mkdirSync(dirname(kubeconfigPath), { recursive: true });
  if (values.real) await startRealNode(kubeconfigPath);
  else await startLoopback(kubeconfigPath, values.verbose);
  say(`try: KUBECONFIG=${kubeconfigPath} kubectl get pods -A`);

  seedSettings(dirs.userData, kubeconfigPath, { quietExtension: false });
  if (noEditor) {
    say(`no editor (--no-editor); workspace ${dirs.workspace}. Ctrl-C stops the cluster and removes what the demo made.`);
    say('ready');
    return;
  }
  let editor: ChildProcess;
  if (code !== undefined) {
    // The local VS Code, in its own user-data dir (seeded settings) so it is a separate instance we can wait for.
    const args = ['--new-window', '--wait', '--user-data-dir', dirs.userData, `--extensionDevelopmentPath=${repoRoot}`, dirs.workspace];
    editor = spawn(code, args, { env: { ...process.env, KUBECONFIG: kubeconfigPath }, detached: true, stdio: values.verbose ? 'inherit' : 'ignore' });
    const pid = editor.pid;
    cleanups.push({ what: `code (pid ${pid})`, run: () => (pid !== undefined && isGroupAlive(pid) ? endProcessGroup(pid) : undefined) });
    say(`opened VS Code (${code}) with the extension under development and KUBECONFIG=${kubeconfigPath}.`);
    say('Closing that window, or Ctrl-C here, stops the demo.');
  } else {
    const log: string[] = [];
    say('starting code-server (VS Code in the browser)…');
    const started = await startCodeServer(dirs, codeServerEnv(dirs.home, kubeconfigPath), log, {
      verbose: values.verbose,
      bindAddr: `127.0.0.1:${port}`,
      onSpawn: (child) => {
        const pid = child.pid;
        cleanups.push({ what: `code-server (pid ${pid})`, run: () => (pid !== undefined ? endProcessGroup(pid) : undefined) });
      },
    });
    editor = started.child;
    // skipWelcome: no onboarding dialog over the workbench (as in VS Code's own browser tests).
    const url = workbenchUrl(started.url, dirs.workspace, [
      ['extensionDevelopmentPath', remoteUri(started.url, repoRoot)],
      ['skipWelcome', 'true'],
      ['skipReleaseNotes', 'true'],
    ]);
    say(`code-server (pid ${editor.pid}) with the extension under development and KUBECONFIG=${kubeconfigPath}`);
    console.log(`\nOpen VS Code in your browser:\n\n  ${url}\n`);
    say('then the Kubernetes Ephemeral Debug view in the Activity Bar: loopback-admin → demo → node-app.');
  }
  say('Ctrl-C stops the editor and the cluster and removes what the demo made.');
  editor.on('exit', (exitCode, signal) => {
    if (!exiting) shutdown(`the editor exited (${exitCode ?? signal})`, code !== undefined && exitCode === 0 ? 0 : 1);
  });
}

// Ctrl-C in a terminal sends SIGINT to the whole process group (npm, tsx, this process, the cluster's
// processes); closing the terminal sends SIGHUP. Each ends in the same clean-up.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal, 0));

main().catch((error: unknown) => {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  shutdown('error', 1);
});
