/**
 * The Kubernetes extension's Cluster Explorer (`ms-kubernetes-tools.vscode-kubernetes-tools`), without a hard
 * dependency: its public API (`clusterexplorer` v1 → `resolveCommandTarget`) resolves the node a menu passed
 * to our command; when the extension or the API is missing, the node is read by shape.
 */
import * as vscode from 'vscode';
import type { Logger } from '../cluster/clusterApi';
import { clusterExplorerFromBrokerAnswer, resolveClusterExplorerPod, type ClusterExplorerPodTarget, type ClusterExplorerV1Like, type KubernetesExtensionApiBroker } from './pure/clusterExplorerTarget';

export const KUBERNETES_EXTENSION_ID = 'ms-kubernetes-tools.vscode-kubernetes-tools';

export class ClusterExplorerBridge {
  private api: Promise<ClusterExplorerV1Like | undefined> | undefined;

  constructor(private readonly logger: Logger) {}

  private clusterExplorer(): Promise<ClusterExplorerV1Like | undefined> {
    this.api ??= (async () => {
      const extension = vscode.extensions.getExtension<KubernetesExtensionApiBroker>(KUBERNETES_EXTENSION_ID);
      if (extension === undefined) {
        return undefined;
      }
      try {
        const broker = extension.isActive ? extension.exports : await extension.activate();
        const api = clusterExplorerFromBrokerAnswer(await broker?.get('clusterexplorer', 'v1'));
        if (api === undefined) {
          this.logger.warn('the Kubernetes extension does not offer clusterexplorer v1; reading Cluster Explorer nodes by shape');
        }
        return api;
      } catch (error) {
        this.logger.warn(`the Kubernetes extension's API is unavailable: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      }
    })();
    return this.api;
  }

  /** Whether `arg` looks like something the Cluster Explorer passes (a tree node object of that extension). */
  static looksLikeClusterExplorerNode(arg: unknown): boolean {
    if (typeof arg !== 'object' || arg === null || Array.isArray(arg)) {
      return false;
    }
    const record = arg as Record<string, unknown>;
    return 'nodeType' in record || 'kindName' in record || ('kind' in record && typeof record.kind === 'object');
  }

  /** {namespace, pod} of a Cluster Explorer pod node, or an error line. */
  async resolvePod(arg: unknown): Promise<{ value: ClusterExplorerPodTarget } | { error: string }> {
    const api = await this.clusterExplorer();
    let node: unknown = arg;
    if (api !== undefined) {
      try {
        node = api.resolveCommandTarget(arg) ?? arg;
      } catch (error) {
        this.logger.warn(`resolveCommandTarget failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return resolveClusterExplorerPod(node);
  }
}
