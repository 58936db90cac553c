/** The kubeconfig handed to clients: one cluster, one context per user, admin current. */
import { randomBytes } from 'node:crypto';
import { chmod, rename, writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { USER_NAMES, type UserName } from './auth';

export const CLUSTER_NAME = 'loopback';
export const contextName = (user: UserName) => `loopback-${user}`;

export function buildKubeconfig(server: string, caCert: string, tokens: Record<UserName, string>): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{ name: CLUSTER_NAME, cluster: { server, 'certificate-authority-data': Buffer.from(caCert).toString('base64') } }],
    users: USER_NAMES.map((u) => ({ name: u, user: { token: tokens[u] } })),
    contexts: USER_NAMES.map((u) => ({ name: contextName(u), context: { cluster: CLUSTER_NAME, user: u, namespace: 'default' } })),
    'current-context': contextName('admin'),
  });
}

/** Written to a temporary sibling then renamed, so a reader never sees half a file; 0600 as it holds tokens. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}
