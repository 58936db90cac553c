/**
 * Reads `ephemeralDebug.*` (and the Kubernetes extension's kubeconfig setting) with workspace trust applied:
 * in an untrusted workspace, settings that pick kubeconfig files, images, commands or profiles take only user
 * values. Normalisation lives in ./pure/settingsModel.
 */
import * as vscode from 'vscode';
import type { Logger } from '../cluster/clusterApi';
import {
  KUBERNETES_EXTENSION_KUBECONFIG_KEY,
  KUBERNETES_EXTENSION_SECTION,
  RESTRICTED_SETTINGS,
  USER_ONLY_SETTINGS,
  SETTING,
  SETTINGS_SECTION,
  effectiveSettingValue,
  normalizeSettings,
  type EphemeralDebugSettings,
  type SettingKey,
} from './pure/settingsModel';
import { GOVERNANCE_SETTING, mergeGovernance, type GovernanceSettingKey } from './pure/governanceSettings';

export class SettingsReader implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<EphemeralDebugSettings>();
  /** Fires after our settings, the Kubernetes extension's kubeconfig setting, or workspace trust changed. */
  readonly onDidChange = this.changed.event;
  private cached: EphemeralDebugSettings | undefined;
  private lastProblems = '';
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly logger: Logger) {
    this.disposables.push(
      this.changed,
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(SETTINGS_SECTION) || event.affectsConfiguration(KUBERNETES_EXTENSION_SECTION)) {
          this.invalidate();
        }
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.invalidate()),
    );
  }

  get current(): EphemeralDebugSettings {
    if (this.cached === undefined) {
      this.cached = this.read();
      const problems = this.cached.problems.join('\n');
      if (problems !== '' && problems !== this.lastProblems) {
        this.cached.problems.forEach((problem) => this.logger.warn(`settings: ${problem}`));
      }
      this.lastProblems = problems;
    }
    return this.cached;
  }

  private invalidate(): void {
    this.cached = undefined;
    this.changed.fire(this.current);
  }

  private read(): EphemeralDebugSettings {
    const trusted = vscode.workspace.isTrusted;
    const configuration = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    const raw: Partial<Record<SettingKey, unknown>> & { kubernetesExtensionKubeconfig?: unknown } = {};
    for (const key of Object.values(SETTING)) {
      raw[key] = effectiveSettingValue(configuration.inspect(key), { trusted, restricted: RESTRICTED_SETTINGS.includes(key), userOnly: USER_ONLY_SETTINGS.includes(key) });
    }
    // `vs-kubernetes` is one object setting whose keys contain dots; it names a kubeconfig file (exec plugins
    // run programs), so it is restricted like ours.
    const kubernetesExtension = effectiveSettingValue(vscode.workspace.getConfiguration().inspect<Record<string, unknown>>(KUBERNETES_EXTENSION_SECTION), {
      trusted,
      restricted: true,
    });
    raw.kubernetesExtensionKubeconfig = kubernetesExtension?.[KUBERNETES_EXTENSION_KUBECONFIG_KEY];
    const restrictedInEffect = !trusted && RESTRICTED_SETTINGS.some((key) => hasWorkspaceValue(configuration.inspect(key)));
    // Governance is merged layer by layer (a workspace may tighten, never loosen), not taken as one value.
    const governance: Partial<Record<GovernanceSettingKey, ReturnType<typeof configuration.inspect>>> = {};
    for (const key of Object.values(GOVERNANCE_SETTING)) {
      governance[key] = configuration.inspect(key);
    }
    return normalizeSettings(raw, restrictedInEffect, mergeGovernance(governance, trusted));
  }

  /**
   * Writes a view preference (filters) where the user keeps it: the workspace when it has a value there,
   * else the user settings.
   */
  async update(key: typeof SETTING.namespaceFilter | typeof SETTING.labelSelector, value: unknown): Promise<void> {
    const configuration = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    const inspected = configuration.inspect(key);
    const target =
      inspected?.workspaceFolderValue !== undefined
        ? vscode.ConfigurationTarget.WorkspaceFolder
        : inspected?.workspaceValue !== undefined
          ? vscode.ConfigurationTarget.Workspace
          : vscode.ConfigurationTarget.Global;
    await configuration.update(key, value, target);
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

function hasWorkspaceValue(inspected: { workspaceValue?: unknown; workspaceFolderValue?: unknown } | undefined): boolean {
  return inspected?.workspaceValue !== undefined || inspected?.workspaceFolderValue !== undefined;
}
