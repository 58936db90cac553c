/**
 * Which kubeconfig files to read, and who named them.
 *
 * Precedence, highest first: our own setting (`ephemeralDebug.kubeconfig`), the Kubernetes extension's
 * `vs-kubernetes.kubeconfig`, `KUBECONFIG`, `~/.kube/config`. Why: a setting is a choice the user made
 * inside VS Code for this purpose and must win; the Kubernetes extension's setting is what its Cluster
 * Explorer (next to ours) shows, so following it keeps both views on the same clusters; `KUBECONFIG` is the
 * environment VS Code happened to inherit (often stale or absent when launched from a desktop launcher);
 * `~/.kube/config` is kubectl's default. Only the first source that is set is used, as kubectl uses only
 * `--kubeconfig` when given; within one source a path list is merged the kubectl way.
 */
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

export type KubeconfigSourceKind = 'setting' | 'vs-kubernetes' | 'KUBECONFIG' | 'default' | 'in-cluster';

export interface KubeconfigSourceOptions {
  /** Our setting's value (one path, or a path list like KUBECONFIG). */
  setting?: string;
  /** `vs-kubernetes.kubeconfig`. */
  vsKubernetes?: string;
  /** Defaults to process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Defaults to os.homedir(). */
  homeDir?: string;
}

export interface KubeconfigSource {
  kind: KubeconfigSourceKind;
  /** How a message names the source: `the setting ephemeralDebug.kubeconfig`, `KUBECONFIG`, … */
  label: string;
  /** Absolute paths in precedence order. */
  paths: string[];
  /** Missing files are skipped (kubectl does so for KUBECONFIG lists) instead of failing. */
  missingAllowed: boolean;
}

export function chooseKubeconfigSource(options: KubeconfigSourceOptions): KubeconfigSource {
  const env = options.env ?? process.env;
  const home = options.homeDir ?? homedir();
  const setting = options.setting?.trim();
  if (setting) return { kind: 'setting', label: 'the setting ephemeralDebug.kubeconfig', paths: splitPaths(setting, home), missingAllowed: false };
  const vsKubernetes = options.vsKubernetes?.trim();
  if (vsKubernetes) return { kind: 'vs-kubernetes', label: 'the setting vs-kubernetes.kubeconfig', paths: splitPaths(vsKubernetes, home), missingAllowed: false };
  const fromEnv = env.KUBECONFIG?.trim();
  if (fromEnv) return { kind: 'KUBECONFIG', label: 'KUBECONFIG', paths: splitPaths(fromEnv, home), missingAllowed: true };
  return { kind: 'default', label: 'the default location', paths: [join(home, '.kube', 'config')], missingAllowed: true };
}

/** Splits on the platform's path delimiter, drops empty entries and duplicates, expands `~`. */
export function splitPaths(list: string, home: string): string[] {
  const seen = new Set<string>();
  for (const entry of list.split(delimiter)) {
    const trimmed = entry.trim();
    if (!trimmed) continue;
    const expanded = trimmed === '~' ? home : trimmed.startsWith('~/') ? join(home, trimmed.slice(2)) : trimmed;
    seen.add(isAbsolute(expanded) ? expanded : resolve(expanded));
  }
  return [...seen];
}
