/**
 * "Copy kubectl Command" beyond debug containers (those are in commands.ts): on a debug copy's pod node, the
 * kubectl commands that make the same copy (src/debug/kubectlEquivalent.ts), read from the copy and its original
 * as the cluster holds them. Thin: read, build, clipboard, log.
 */
import * as vscode from 'vscode';
import type { Logger } from '../cluster/clusterApi';
import { kubectlCopyCommand } from '../debug/kubectlEquivalent';
import { COPIED_FROM_ANNOTATION } from '../debug/podCopy';
import type { ExplorerNode } from './clusterTree';
import type { Clusters } from './clusters';
import type { ErrorPresenter } from './errorPresenter';

/** Puts `command` on the clipboard, logs it, and says what it is. */
export async function copyKubectl(logger: Logger, command: string, what: string): Promise<void> {
  await vscode.env.clipboard.writeText(command);
  logger.info(`kubectl command that ${what} (env values left out):\n${command}`);
  void vscode.window.showInformationMessage(`Copied the kubectl command that ${what} (env values left out; see the log).`);
}

/** On a debug copy's node: the copy as kubectl debug --copy-to (or kubectl create) would make it. */
export async function copyKubectlForDebugCopy(deps: { clusters: Clusters; errors: ErrorPresenter; logger: Logger }, node: ExplorerNode): Promise<void> {
  const { contextName, namespace, pod } = node.descriptor;
  if (namespace === undefined || pod === undefined) return;
  try {
    const api = await deps.clusters.api(contextName);
    const copy = await api.readPod(namespace, pod);
    // The original, where it still is (else the command creates the copy as it is).
    const [sourceNamespace, sourceName] = (copy.metadata?.annotations?.[COPIED_FROM_ANNOTATION] ?? '').split('/');
    const source = sourceNamespace === namespace && sourceName ? await api.readPod(namespace, sourceName).catch(() => undefined) : undefined;
    await copyKubectl(deps.logger, kubectlCopyCommand({ context: contextName, source, copy }), `makes a copy like ${pod}`);
  } catch (error) {
    void deps.errors.show(error, `Copy kubectl Command for ${namespace}/${pod}`);
  }
}
