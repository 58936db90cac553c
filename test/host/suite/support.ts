/**
 * What the extension-host tests share: the run's configuration (baked in by test/host/run.ts when it bundles
 * the suite), the workbench's DOM as the runner's browser sees it, and small waiting helpers.
 */
import * as k8s from '@kubernetes/client-node';
import * as vscode from 'vscode';

export interface HostTestConfig {
  /** The checkout; mocha is loaded from its node_modules. */
  readonly repoRoot: string;
  /** The extension under development: this checkout, or a prebuilt folder (--extension-path). */
  readonly extensionPath: string;
  /** test/host/run.ts's HTTP endpoint: POST /event (results), POST /ui (questions about the workbench DOM). */
  readonly reportUrl: string;
  /** The test cluster's kubeconfig (also the ephemeralDebug.kubeconfig setting and KUBECONFIG). */
  readonly kubeconfigPath: string;
  /** Its contexts: loopback-admin, realnode-admin, … (see test/cluster/testCluster.ts). */
  readonly adminContext: string;
  readonly viewerContext: string;
  readonly debuggerContext: string;
  readonly grep: string;
}

declare const __HOST_TEST_CONFIG__: HostTestConfig;

export function hostTestConfig(): HostTestConfig {
  return __HOST_TEST_CONFIG__;
}

export const EXTENSION_ID = 'ephemeral-debug.kubernetes-ephemeral-debug';

/** A row of a tree or list in the workbench, as rendered. */
export interface UiRow {
  readonly label: string;
  readonly description: string;
  readonly ariaLabel: string;
  readonly expanded: boolean | undefined;
  readonly level: number;
}

/** Asks the runner, which drives the browser showing this workbench, about or to act on the DOM. */
export async function ui<T>(request: { action: 'viewRows'; viewId: string } | { action: 'clickRow'; viewId: string; label: string } | { action: 'terminalText' } | { action: 'debugConsoleText' } | { action: 'runningExtensions' } | { action: 'screenshot'; name: string }): Promise<T> {
  const response = await fetch(`${hostTestConfig().reportUrl}/ui`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  const body = (await response.json()) as { ok: boolean; value?: T; error?: string };
  if (!body.ok) {
    throw new Error(`runner could not ${request.action}: ${body.error}`);
  }
  return body.value as T;
}

/** A figure a test measured, printed by the runner as it comes (not a result). */
export async function note(text: string): Promise<void> {
  await fetch(`${hostTestConfig().reportUrl}/event`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'note', title: text }) });
}

/** Polls `probe` until it returns a value other than undefined; rejects with `what` and the last state. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) {
        return value;
      }
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError !== undefined ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The test cluster's context of this user. */
export function clusterContext(user: 'admin' | 'viewer' | 'debugger'): string {
  return hostTestConfig()[`${user}Context`];
}

export function kubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(hostTestConfig().kubeconfigPath);
  kc.setCurrentContext(clusterContext('admin'));
  return kc;
}

/**
 * Terminal output as written to the terminal, through the proposed API `window.onDidWriteTerminalData`
 * (this bundle lives in the host-test harness extension, whose manifest enables that proposal; code-server
 * allows proposed APIs).
 */
export interface TerminalDataEvent {
  readonly terminal: vscode.Terminal;
  readonly data: string;
}

export function onDidWriteTerminalData(): vscode.Event<TerminalDataEvent> {
  const event = (vscode.window as unknown as { onDidWriteTerminalData?: vscode.Event<TerminalDataEvent> }).onDidWriteTerminalData;
  if (event === undefined) {
    throw new Error('window.onDidWriteTerminalData (proposed API terminalDataWriteEvent) is not available to the test bundle');
  }
  return event;
}

/** Strips ANSI escape sequences, for matching what a terminal shows. */
export function plain(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, '');
}

/** Runs "Copy kubectl Command" on a container node and returns what it put on the clipboard. */
export async function copiedKubectlCommand(node: unknown): Promise<string> {
  await vscode.env.clipboard.writeText('');
  await vscode.commands.executeCommand('ephemeralDebug.copyKubectlCommand', node);
  return waitFor('the kubectl command on the clipboard', async () => {
    const text = await vscode.env.clipboard.readText();
    return text.includes('kubectl') ? text : undefined;
  }, 10_000);
}
