import { KubeConfig, type User } from '@kubernetes/client-node';

/**
 * A copy of `kc` whose current context authenticates with `credentials` only (a wrong token, an exec plugin)
 * instead of whatever the test cluster's kubeconfig uses (tokens, client certificates); renamed to `contextName`
 * when given. Works on every test cluster, unlike editing `token:` lines of the YAML.
 */
export function withCredentials(kc: KubeConfig, credentials: Omit<User, 'name'>, contextName?: string): KubeConfig {
  const context = kc.getContextObject(kc.getCurrentContext());
  if (!context) throw new Error(`the kubeconfig has no current context ${kc.getCurrentContext()}`);
  const name = contextName ?? context.name;
  const userName = `${name}-credentials`;
  const copy = new KubeConfig();
  copy.loadFromOptions({
    clusters: kc.clusters,
    users: [...kc.users, { name: userName, ...credentials }],
    contexts: [...kc.contexts.filter((c) => c.name !== name), { ...context, name, user: userName }],
    currentContext: name,
  });
  return copy;
}
