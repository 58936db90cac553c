/**
 * kubeconfig loading the kubectl way, with temporary files: precedence of sources, first-file-wins merge,
 * relative paths, in-cluster fallback, the one-line errors, and writing current-context on request only.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { contextSummaries, loadKubeconfig, writeCurrentContext, KubeconfigError } from '../../../src/cluster/kubeconfig';

function config(name: string, server: string, extra: Record<string, string> = {}): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `clusters:\n- name: ${name}\n  cluster:\n    server: ${server}\n    certificate-authority: ${extra.ca ?? 'ca.crt'}`,
    `users:\n- name: ${name}\n  user:\n    token: t-${name}`,
    `contexts:\n- name: ${name}\n  context:\n    cluster: ${name}\n    user: ${name}\n    namespace: ns-${name}`,
    extra.current === undefined ? `current-context: ${name}` : extra.current ? `current-context: ${extra.current}` : '',
    '',
  ].join('\n');
}

async function failure(promise: Promise<unknown>): Promise<KubeconfigError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof KubeconfigError, String(error));
    return error;
  }
  assert.fail('expected a KubeconfigError');
}

describe('kubeconfig loading', () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };

  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'kubeconfig-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('merges KUBECONFIG files with the first file winning names and current-context', async () => {
    const a = file('a', config('shared', 'https://a.example:6443', { current: 'shared' }));
    const b = file('b', config('shared', 'https://b.example:6443', { current: 'other' })
      .replace('contexts:', 'contexts:\n- name: only-b\n  context:\n    cluster: shared\n    user: shared'));
    const loaded = await loadKubeconfig({ env: { KUBECONFIG: [a, join(dir, 'missing'), b].join(delimiter) }, homeDir: dir });
    assert.equal(loaded.source.kind, 'KUBECONFIG');
    assert.deepEqual(loaded.files, [a, b]);
    assert.equal(loaded.kubeConfig.getCurrentContext(), 'shared');
    assert.equal(loaded.kubeConfig.getCluster('shared')?.server, 'https://a.example:6443');
    assert.deepEqual(contextSummaries(loaded.kubeConfig).map((c) => `${c.name}${c.current ? '*' : ''}`), ['shared*', 'only-b']);
    assert.equal(loaded.currentContextFile, a);
  });

  it('prefers our setting, then vs-kubernetes.kubeconfig, then KUBECONFIG, then ~/.kube/config', async () => {
    const ours = file('ours', config('ours', 'https://ours:1'));
    const theirs = file('theirs', config('theirs', 'https://theirs:1'));
    const env = file('env', config('env', 'https://env:1'));
    mkdirSync(join(dir, '.kube'));
    file('.kube/config', config('home', 'https://home:1'));
    const current = async (options: Parameters<typeof loadKubeconfig>[0]) => (await loadKubeconfig({ homeDir: dir, ...options })).kubeConfig.getCurrentContext();
    assert.equal(await current({ setting: ours, vsKubernetes: theirs, env: { KUBECONFIG: env } }), 'ours');
    assert.equal(await current({ vsKubernetes: theirs, env: { KUBECONFIG: env } }), 'theirs');
    assert.equal(await current({ env: { KUBECONFIG: env } }), 'env');
    assert.equal(await current({ env: {} }), 'home');
    assert.equal(await current({ setting: '~/ours', env: {} }), 'ours');
  });

  it('resolves relative file references and exec commands against the file\'s folder', async () => {
    mkdirSync(join(dir, 'sub'));
    const path = file('sub/config', config('rel', 'https://rel:1').replace('    token: t-rel',
      '    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: ./bin/login\n      args: [token]\n  ')
      .replace('users:', 'users:\n- name: bare\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: aws'));
    const { kubeConfig } = await loadKubeconfig({ setting: path, env: {}, homeDir: dir });
    assert.equal(kubeConfig.getCluster('rel')?.caFile, join(dir, 'sub', 'ca.crt'));
    assert.equal(kubeConfig.getUser('rel')?.exec?.command, join(dir, 'sub', 'bin', 'login'));
    assert.equal(kubeConfig.getUser('bare')?.exec?.command, 'aws', 'bare names stay on PATH');
  });

  it('overrides current-context in memory only, and writes it only when asked', async () => {
    const path = file('config', `# my clusters\n${config('one', 'https://one:1')}`.replace('contexts:', 'contexts:\n- name: two\n  context:\n    cluster: one\n    user: one'));
    const before = readFileSync(path, 'utf8');
    const loaded = await loadKubeconfig({ setting: path, currentContext: 'two', env: {} });
    assert.equal(loaded.kubeConfig.getCurrentContext(), 'two');
    assert.equal(loaded.fileCurrentContext, 'one');
    assert.equal(readFileSync(path, 'utf8'), before);
    await writeCurrentContext(path, 'two');
    const after = readFileSync(path, 'utf8');
    assert.match(after, /^# my clusters/);
    assert.match(after, /current-context: two/);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal((await loadKubeconfig({ setting: path, env: {} })).kubeConfig.getCurrentContext(), 'two');
    await assert.rejects(loadKubeconfig({ setting: path, currentContext: 'nope', env: {} }), /context "nope" is not in the kubeconfig \(contexts: two, one\)/);
  });

  it('uses the in-cluster service account when there is no kubeconfig', async () => {
    const sa = join(dir, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), 'sa-token');
    writeFileSync(join(sa, 'ca.crt'), 'ca');
    writeFileSync(join(sa, 'namespace'), 'team-a');
    const loaded = await loadKubeconfig({ env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, homeDir: dir, inClusterRoot: dir });
    assert.equal(loaded.source.kind, 'in-cluster');
    assert.equal(loaded.kubeConfig.getCurrentCluster()?.server, 'https://10.0.0.1:443');
    assert.equal(contextSummaries(loaded.kubeConfig)[0]?.namespace, 'team-a');
  });

  it('fails with one line naming the path and its source', async () => {
    const missing = await failure(loadKubeconfig({ setting: join(dir, 'nope'), env: {} }));
    assert.equal(missing.message, `kubeconfig file ${join(dir, 'nope')} (named by the setting ephemeralDebug.kubeconfig) does not exist: fix the path or clear the setting`);
    const theirs = await failure(loadKubeconfig({ vsKubernetes: join(dir, 'nope'), env: {} }));
    assert.match(theirs.message, /named by the setting vs-kubernetes\.kubeconfig/);
    const none = await failure(loadKubeconfig({ env: { KUBECONFIG: join(dir, 'x') }, homeDir: dir }));
    assert.match(none.message, /^none of the kubeconfig files named by KUBECONFIG exist/);
    const home = await failure(loadKubeconfig({ env: {}, homeDir: dir }));
    assert.match(home.message, /^no kubeconfig: .*\.kube\/config does not exist and KUBECONFIG is not set/);

    const bad = file('bad', 'apiVersion: v1\nclusters:\n  - name: x\n   cluster: {server: "https://x}\n');
    const malformed = await failure(loadKubeconfig({ setting: bad, env: {} }));
    assert.match(malformed.message, new RegExp(`^kubeconfig file ${bad} is malformed YAML at line \\d+: `));
    assert.ok(!malformed.message.includes('\n'));

    const empty = file('empty', 'apiVersion: v1\nkind: Config\nclusters: []\n');
    const noContexts = await failure(loadKubeconfig({ setting: empty, env: {} }));
    assert.match(noContexts.message, /has no contexts: add one with kubectl config set-context/);
  });
});
