/**
 * The kubeconfig and one ClusterApi per context, for the tree and the commands. Loaded on first use (lazy
 * activation), reloaded when a kubeconfig file or a setting naming one changes. "Use Context" changes only our
 * choice (kept in globalState) unless the user asks to write it to the kubeconfig.
 */
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { createClusterApi } from '../cluster/client';
import { shutdownSafeLogger } from '../cluster/requestLog';
import type { ClusterApi, Logger } from '../cluster/clusterApi';
import { contextSummaries, loadKubeconfig, writeCurrentContext, type ContextSummary, type LoadedKubeconfig } from '../cluster/kubeconfig';
import type { SettingsReader } from './settings';

const ACTIVE_CONTEXT_KEY = 'ephemeralDebug.activeContext';

export interface KubeconfigState {
  readonly loaded?: LoadedKubeconfig;
  /** Why it could not be loaded: one line. */
  readonly error?: unknown;
}

export class Clusters implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** The kubeconfig was (re)loaded or the active context changed: everything cluster-shaped is stale. */
  readonly onDidChange = this.changed.event;
  private state: Promise<KubeconfigState> | undefined;
  private readonly apis = new Map<string, ClusterApi>();
  private watchers: vscode.Disposable[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private lastSourceKey = '';

  constructor(
    private readonly settings: SettingsReader,
    private readonly globalState: vscode.Memento,
    private readonly logger: Logger,
  ) {
    this.disposables.push(
      this.changed,
      settings.onDidChange((current) => {
        const key = `${current.kubeconfig ?? ''}\0${current.kubernetesExtensionKubeconfig ?? ''}`;
        if (key !== this.lastSourceKey && this.state !== undefined) {
          this.reload('kubeconfig setting changed');
        }
      }),
    );
  }

  /** Loads once; later calls share the result until a reload. Never rejects. */
  kubeconfig(): Promise<KubeconfigState> {
    this.state ??= this.load();
    return this.state;
  }

  reload(why: string): void {
    this.logger.info(`reloading kubeconfig: ${why}`);
    this.state = undefined;
    this.apis.clear();
    this.changed.fire();
  }

  private async load(): Promise<KubeconfigState> {
    const current = this.settings.current;
    this.lastSourceKey = `${current.kubeconfig ?? ''}\0${current.kubernetesExtensionKubeconfig ?? ''}`;
    try {
      const loaded = await loadKubeconfig({ setting: current.kubeconfig, vsKubernetes: current.kubernetesExtensionKubeconfig });
      this.logger.info(`kubeconfig from ${loaded.source.label}: ${loaded.files.join(', ') || '(in-cluster)'}; current context "${loaded.fileCurrentContext}"`);
      this.watch(loaded.files);
      return { loaded };
    } catch (error) {
      this.logger.warn(`kubeconfig: ${error instanceof Error ? error.message : String(error)}`);
      return { error };
    }
  }

  private watch(files: readonly string[]): void {
    this.watchers.forEach((w) => w.dispose());
    this.watchers = files.map((file) => {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dirname(file)), basename(file)));
      let timer: NodeJS.Timeout | undefined;
      const changed = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => this.reload(`${file} changed`), 300);
      };
      const subscriptions = [watcher, watcher.onDidChange(changed), watcher.onDidCreate(changed), watcher.onDidDelete(changed)];
      return { dispose: () => (clearTimeout(timer), subscriptions.forEach((s) => s.dispose())) };
    });
  }

  async contexts(): Promise<ContextSummary[]> {
    const { loaded } = await this.kubeconfig();
    return loaded !== undefined ? contextSummaries(loaded.kubeConfig) : [];
  }

  /** Our active context: the one chosen with "Use Context" when it still exists, else the kubeconfig's current-context. */
  async activeContext(): Promise<string | undefined> {
    const { loaded } = await this.kubeconfig();
    if (loaded === undefined) {
      return undefined;
    }
    const chosen = this.globalState.get<string>(ACTIVE_CONTEXT_KEY);
    if (chosen !== undefined && loaded.kubeConfig.getContextObject(chosen)) {
      return chosen;
    }
    return loaded.fileCurrentContext || loaded.kubeConfig.getContexts()[0]?.name;
  }

  /** The kubeconfig's own current-context (what kubectl uses). */
  async kubeconfigCurrentContext(): Promise<string | undefined> {
    return (await this.kubeconfig()).loaded?.fileCurrentContext || undefined;
  }

  /** A facade for `context` (default: the active one); throws the load error when there is no kubeconfig. */
  async api(context?: string): Promise<ClusterApi> {
    const state = await this.kubeconfig();
    if (state.loaded === undefined) {
      throw state.error;
    }
    const name = context ?? (await this.activeContext());
    const key = name ?? '';
    let api = this.apis.get(key);
    if (api === undefined) {
      api = createClusterApi(state.loaded.kubeConfig, { context: name, logger: shutdownSafeLogger(this.logger) });
      this.apis.set(key, api);
    }
    return api;
  }

  /** Makes `name` the active context; with `writeToKubeconfig` also sets current-context in the kubeconfig file. */
  async useContext(name: string, writeToKubeconfig: boolean): Promise<void> {
    const { loaded } = await this.kubeconfig();
    await this.globalState.update(ACTIVE_CONTEXT_KEY, name);
    if (writeToKubeconfig && loaded?.currentContextFile !== undefined) {
      await writeCurrentContext(loaded.currentContextFile, name);
      this.logger.info(`current-context set to "${name}" in ${loaded.currentContextFile}`);
      this.reload('current-context written');
      return;
    }
    this.changed.fire();
  }

  /** Where "Use Context" would write current-context, if it may. */
  async currentContextFile(): Promise<string | undefined> {
    return (await this.kubeconfig()).loaded?.currentContextFile;
  }

  dispose(): void {
    this.watchers.forEach((w) => w.dispose());
    this.disposables.forEach((d) => d.dispose());
    this.apis.clear();
  }
}
