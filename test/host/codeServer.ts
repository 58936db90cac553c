/**
 * Starting code-server (installed by test/setup/code-server.mjs into .cache/code-server/) with fresh, seeded
 * user data, shared by the extension-host test runner (test/host/run.ts) and `npm run demo`
 * (test/demo/main.ts). Every process is started detached (its own process group) and is ended by that group.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const repoRoot = join(__dirname, '..', '..');
export const codeServerEntry = join(repoRoot, '.cache', 'code-server', 'prefix', 'node_modules', 'code-server', 'out', 'node', 'entry.js');

export interface CodeServerDirs {
  userData: string;
  extensions: string;
  /** The folder the workbench opens. */
  workspace: string;
  /** code-server's config file (written here: `auth: none`). */
  config: string;
  /** HOME and the cwd of code-server. */
  home: string;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether any process of the group led by `pid` is still alive. */
export function isGroupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the process group led by `pid` (our own child, started detached), SIGKILL after a grace. */
export async function endProcessGroup(pid: number, graceMs = 5000): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isGroupAlive(pid)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  signal('SIGKILL');
}

/** Node 22: this process's Node when it is 22 or newer, else the project's (node_modules/.bin/node). */
export function node22(): string {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  const local = join(repoRoot, 'node_modules', '.bin', 'node');
  if (!existsSync(local)) throw new Error('Node 22 is missing: run `npm install`');
  return local;
}

/**
 * Installs code-server into .cache/code-server/ when it is not there yet, and the built-in git extension's native
 * dependency (idempotent, quick when done). The installer prints each step and a line every 15 s while npm runs.
 */
export function ensureCodeServer(): void {
  const result = spawnSync(node22(), [join(repoRoot, 'test', 'setup', 'code-server.mjs')], { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0 || !existsSync(codeServerEntry)) throw new Error(`node test/setup/code-server.mjs failed (exit ${result.status})`);
}

export interface SeedOptions {
  /**
   * For the test runner: no modal questions from the extension (the tests call commands with arguments).
   * The demo leaves them on, as a user would have them.
   */
  quietExtension?: boolean;
}

/**
 * User and Machine settings: no welcome page, tips, sign-in/chat onboarding, update or telemetry prompts,
 * and `ephemeralDebug.kubeconfig` pointing at the given kubeconfig.
 */
export function seedSettings(userDataDir: string, kubeconfigPath: string, options: SeedOptions = {}): void {
  const quiet = options.quietExtension ?? true;
  const user: Record<string, unknown> = {
    'workbench.startupEditor': 'none',
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'chat.disableAIFeatures': true,
    'chat.commandCenter.enabled': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'extensions.ignoreRecommendations': true,
    'security.workspace.trust.enabled': false,
    'git.enabled': false,
    // The DOM renderer, so the rendered terminal text is in .xterm-rows.
    'terminal.integrated.gpuAcceleration': 'off',
    'window.dialogStyle': 'custom',
    'ephemeralDebug.kubeconfig': kubeconfigPath,
    ...(quiet ? { 'ephemeralDebug.showEphemeralNotice': false, 'ephemeralDebug.confirmPrivilegedProfiles': false } : {}),
  };
  // Machine-scoped settings (kubeconfig, confirmPrivilegedProfiles) are read from the server's Machine settings.
  const machine: Record<string, unknown> = {
    'ephemeralDebug.kubeconfig': kubeconfigPath,
    ...(quiet ? { 'ephemeralDebug.confirmPrivilegedProfiles': false } : {}),
  };
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(join(userDataDir, 'Machine'), { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify(user, null, 2));
  writeFileSync(join(userDataDir, 'Machine', 'settings.json'), JSON.stringify(machine, null, 2));
}

/** A clean environment for code-server: KUBECONFIG, and HOME/XDG dirs inside `home`. */
export function codeServerEnv(home: string, kubeconfigPath: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KUBECONFIG: kubeconfigPath,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
  };
}

/** `code-server --install-extension VSIX --extensions-dir DIR`; returns its output. */
export function installVsix(vsixPath: string, dirs: Pick<CodeServerDirs, 'extensions' | 'userData'>, env: NodeJS.ProcessEnv): string {
  if (!existsSync(codeServerEntry)) throw new Error(`code-server is not installed: run \`node test/setup/code-server.mjs\` (${codeServerEntry} missing)`);
  return execFileSync(node22(), [codeServerEntry, '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions, '--install-extension', vsixPath], { env, encoding: 'utf8', timeout: 120_000 });
}

export interface StartOptions {
  verbose?: boolean;
  /** Called as soon as the process exists, before it listens: register its clean-up there. */
  onSpawn?: (child: ChildProcess) => void;
  /** Host and port to bind (default 127.0.0.1:0, a free port). */
  bindAddr?: string;
}

/** Starts code-server (auth none, on 127.0.0.1) and resolves with its URL once it listens. */
export async function startCodeServer(dirs: CodeServerDirs, env: NodeJS.ProcessEnv, log: string[], options: StartOptions = {}): Promise<{ child: ChildProcess; url: string }> {
  if (!existsSync(codeServerEntry)) throw new Error(`code-server is not installed: run \`node test/setup/code-server.mjs\` (${codeServerEntry} missing)`);
  writeFileSync(dirs.config, 'auth: none\n');
  const args = [
    codeServerEntry,
    '--config', dirs.config,
    '--auth', 'none',
    '--bind-addr', options.bindAddr ?? '127.0.0.1:0',
    '--user-data-dir', dirs.userData,
    '--extensions-dir', dirs.extensions,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    dirs.workspace,
  ];
  const child = spawn(node22(), args, { cwd: dirs.home, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  options.onSpawn?.(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not start in 60 s:\n${log.join('')}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      log.push(text);
      if (options.verbose) process.stdout.write(`code-server: ${text}`);
      const match = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log.join(''));
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1] });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited (${code ?? sig}) before listening:\n${log.join('')}`));
    });
  });
}

/**
 * The workbench URL opening `folder`, with payload entries (e.g. extensionDevelopmentPath as a
 * vscode-remote URI on the server's authority, as VS Code's own browser tests do).
 */
export function workbenchUrl(url: string, folder: string, payload: [string, string][]): string {
  const query = [`folder=${encodeURIComponent(folder)}`];
  if (payload.length > 0) query.push(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
  return `${url}/?${query.join('&')}`;
}

/** `vscode-remote://host:port/path` for a path on the code-server machine. */
export function remoteUri(url: string, path: string): string {
  return `vscode-remote://${new URL(url).host}${path}`;
}
