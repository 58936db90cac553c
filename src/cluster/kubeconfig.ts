/**
 * Loads kubeconfig the way kubectl does, not the way client-node's loadFromDefault does: files of a path list
 * are merged with the FIRST file winning for duplicate cluster/user/context names and for current-context
 * (client-node throws on duplicates and lets the last current-context win), relative file references and
 * exec plugin commands are resolved against the folder of the file that holds them, and without any
 * kubeconfig the in-cluster service account is used. Choosing a context is in memory; only
 * writeCurrentContext touches the user's files.
 */
import { existsSync } from 'node:fs';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { KubeConfig } from '@kubernetes/client-node';
import { chooseKubeconfigSource, type KubeconfigSource, type KubeconfigSourceOptions } from './kubeconfigSources';

export class KubeconfigError extends Error {
  constructor(message: string, readonly path?: string) {
    super(message);
    this.name = 'KubeconfigError';
  }
}

export interface KubeconfigLoadOptions extends KubeconfigSourceOptions {
  /** Use this context instead of the files' current-context (in memory only). */
  currentContext?: string;
  /** Prefix of the service-account paths for in-cluster config ('' in production; a temp dir in tests). */
  inClusterRoot?: string;
}

export interface LoadedKubeconfig {
  kubeConfig: KubeConfig;
  source: KubeconfigSource;
  /** The files read, in precedence order (empty for in-cluster). */
  files: string[];
  /** current-context as the files set it, before any override. */
  fileCurrentContext: string;
  /** Where writeCurrentContext should write, as kubectl chooses: the first file setting current-context, else the first. */
  currentContextFile?: string;
}

export interface ContextSummary {
  name: string;
  cluster: string;
  user: string;
  namespace: string;
  server: string;
  current: boolean;
}

type Entry = { name?: unknown; [key: string]: unknown };
interface RawKubeconfig {
  clusters?: Entry[];
  users?: Entry[];
  contexts?: Entry[];
  'current-context'?: string;
  [key: string]: unknown;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export async function loadKubeconfig(options: KubeconfigLoadOptions = {}): Promise<LoadedKubeconfig> {
  const source = chooseKubeconfigSource(options);
  const files: string[] = [];
  const raws: RawKubeconfig[] = [];
  for (const path of source.paths) {
    if (!existsSync(path)) {
      if (source.missingAllowed) continue;
      throw new KubeconfigError(`kubeconfig file ${path} (named by ${source.label}) does not exist: fix the path or clear the setting`, path);
    }
    raws.push(await readKubeconfigFile(path));
    files.push(path);
  }
  if (files.length === 0) {
    const inCluster = loadInCluster(options);
    if (inCluster) return inCluster;
    throw new KubeconfigError(source.kind === 'KUBECONFIG'
      ? `none of the kubeconfig files named by KUBECONFIG exist (${source.paths.join(', ')}): fix KUBECONFIG or set ephemeralDebug.kubeconfig`
      : `no kubeconfig: ${source.paths[0]} does not exist and KUBECONFIG is not set; create one (e.g. with your cloud CLI) or set ephemeralDebug.kubeconfig`,
    source.paths[0]);
  }

  const merged = mergeKubeconfigs(raws);
  const names = files.join(', ');
  if ((merged.contexts ?? []).length === 0) {
    throw new KubeconfigError(`the kubeconfig (${names}, from ${source.label}) has no contexts: add one with kubectl config set-context`, files[0]);
  }
  const kubeConfig = new KubeConfig();
  try {
    kubeConfig.loadFromString(stringify(merged));
  } catch (error) {
    throw new KubeconfigError(`the kubeconfig (${names}) is invalid: ${(error as Error).message}`, files[0]);
  }
  const fileCurrentContext = merged['current-context'] ?? '';
  const wanted = options.currentContext || fileCurrentContext;
  if (wanted) selectContext(kubeConfig, wanted);
  const currentContextFile = files[raws.findIndex((raw) => !!raw['current-context'])] ?? files[0];
  return { kubeConfig, source, files, fileCurrentContext, currentContextFile };
}

/** In-memory context switch; throws a KubeconfigError naming the known contexts when `name` is unknown. */
export function selectContext(kubeConfig: KubeConfig, name: string): void {
  if (!kubeConfig.getContextObject(name)) {
    const known = kubeConfig.getContexts().map((c) => c.name).join(', ');
    throw new KubeconfigError(`context "${name}" is not in the kubeconfig (contexts: ${known || 'none'})`);
  }
  kubeConfig.setCurrentContext(name);
}

export function contextSummaries(kubeConfig: KubeConfig): ContextSummary[] {
  const current = kubeConfig.getCurrentContext();
  return kubeConfig.getContexts().map((context) => ({
    name: context.name,
    cluster: context.cluster,
    user: context.user,
    namespace: context.namespace || 'default',
    server: kubeConfig.getCluster(context.cluster)?.server ?? '',
    current: context.name === current,
  }));
}

/**
 * Sets current-context in one kubeconfig file, keeping its comments, layout and file mode, and replacing it
 * atomically so kubectl never reads half a file. Only when the user asks to make a choice permanent.
 */
export async function writeCurrentContext(path: string, name: string): Promise<void> {
  const text = await readFile(path, 'utf8');
  const document = parseDocument(text);
  if (document.errors.length > 0) throw malformed(path, document.errors[0]!);
  document.set('current-context', name);
  const mode = (await stat(path)).mode & 0o777;
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  await writeFile(temporary, document.toString(), { mode });
  await rename(temporary, path);
}

async function readKubeconfigFile(path: string): Promise<RawKubeconfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new KubeconfigError(`cannot read kubeconfig file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, path);
  }
  const document = parseDocument(text);
  if (document.errors.length > 0) throw malformed(path, document.errors[0]!);
  const value: unknown = document.toJS();
  if (value == null) return {}; // an empty file is an empty config, as for kubectl
  if (typeof value !== 'object' || Array.isArray(value)) throw new KubeconfigError(`kubeconfig file ${path} is not a YAML mapping`, path);
  return resolveRelativePaths(value as RawKubeconfig, dirname(path));
}

function malformed(path: string, error: { message: string; linePos?: [{ line: number; col: number }] | [{ line: number; col: number }, unknown] }): KubeconfigError {
  const line = error.linePos?.[0]?.line;
  const what = error.message.split('\n')[0] ?? 'malformed YAML';
  return new KubeconfigError(`kubeconfig file ${path} is malformed YAML${line ? ` at line ${line}` : ''}: ${what}`, path);
}

/** First occurrence of a name wins; first non-empty current-context wins (kubectl's merge rules). */
export function mergeKubeconfigs(raws: readonly RawKubeconfig[]): RawKubeconfig {
  const merged: RawKubeconfig = { apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [] };
  for (const key of ['clusters', 'users', 'contexts'] as const) {
    const seen = new Set<unknown>();
    for (const raw of raws) {
      for (const entry of Array.isArray(raw[key]) ? raw[key] : []) {
        if (!entry || typeof entry !== 'object' || seen.has(entry.name)) continue;
        seen.add(entry.name);
        merged[key]!.push(entry);
      }
    }
  }
  const current = raws.find((raw) => typeof raw['current-context'] === 'string' && raw['current-context'])?.['current-context'];
  if (current) merged['current-context'] = current;
  return merged;
}

/** client-go's ResolvePaths: file references, and exec commands that are paths rather than bare names. */
function resolveRelativePaths(raw: RawKubeconfig, folder: string): RawKubeconfig {
  const absolute = (value: unknown) => (typeof value === 'string' && value && !isAbsolute(value) ? resolve(folder, value) : value);
  for (const entry of Array.isArray(raw.clusters) ? raw.clusters : []) {
    const cluster = entry?.cluster as Record<string, unknown> | undefined;
    if (cluster && typeof cluster === 'object') cluster['certificate-authority'] = absolute(cluster['certificate-authority']);
  }
  for (const entry of Array.isArray(raw.users) ? raw.users : []) {
    const user = entry?.user as Record<string, unknown> | undefined;
    if (!user || typeof user !== 'object') continue;
    for (const key of ['client-certificate', 'client-key', 'tokenFile', 'token-file']) user[key] = absolute(user[key]);
    const exec = user.exec as { command?: unknown } | undefined;
    // A bare name (`aws`) is looked up on PATH; anything with a separator (`./bin/login`) is a path.
    if (exec && typeof exec.command === 'string' && basename(exec.command) !== exec.command) exec.command = absolute(exec.command);
  }
  return stripUndefined(raw);
}

function stripUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The pod's service account, when no kubeconfig exists and we run inside a cluster. */
function loadInCluster(options: KubeconfigLoadOptions): LoadedKubeconfig | undefined {
  const env = options.env ?? process.env;
  const root = options.inClusterRoot ?? '';
  if (!env.KUBERNETES_SERVICE_HOST || !env.KUBERNETES_SERVICE_PORT || !existsSync(`${root}${SERVICE_ACCOUNT_DIR}/token`)) return undefined;
  const kubeConfig = new KubeConfig();
  const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
  // client-node reads the service address from process.env only.
  process.env.KUBERNETES_SERVICE_HOST = env.KUBERNETES_SERVICE_HOST;
  process.env.KUBERNETES_SERVICE_PORT = env.KUBERNETES_SERVICE_PORT;
  try {
    kubeConfig.loadFromCluster(root);
  } finally {
    restoreEnv('KUBERNETES_SERVICE_HOST', saved.host);
    restoreEnv('KUBERNETES_SERVICE_PORT', saved.port);
  }
  const source: KubeconfigSource = { kind: 'in-cluster', label: 'the in-cluster service account', paths: [], missingAllowed: false };
  return { kubeConfig, source, files: [], fileCurrentContext: kubeConfig.getCurrentContext() };
}

function restoreEnv(key: string, value: string | undefined): void {
  if (value === undefined) delete process.env[key];
  else process.env[key] = value;
}
