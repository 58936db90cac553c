/**
 * Who ran a session, for the journal: the server's own answer (SelfSubjectReview) when it has one, since
 * that is the name the cluster's audit log uses; else the kubeconfig user's name, which may differ from
 * what the server sees (e.g. exec plugins, OIDC). Only names and groups are kept, never credentials.
 */
import type { ClusterApi } from '../cluster/clusterApi';

export type IdentitySource = 'SelfSubjectReview' | 'kubeconfig';

export interface SessionIdentity {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly source: IdentitySource;
  /** Why the server's answer was not used, when `source` is 'kubeconfig'. */
  readonly fallbackReason?: string;
}

/** What to record when neither the server nor the kubeconfig names the user. */
export const UNKNOWN_USER = '(unknown user)';

export async function resolveIdentity(api: Pick<ClusterApi, 'whoAmI'>, kubeconfigUser: string | undefined): Promise<SessionIdentity> {
  let reason: string;
  try {
    const user = await api.whoAmI();
    if (user) {
      return { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: [...user.groups], source: 'SelfSubjectReview' };
    }
    reason = 'the server does not offer SelfSubjectReview (authentication.k8s.io/v1, Kubernetes 1.28+)';
  } catch (error) {
    reason = `SelfSubjectReview failed: ${oneLine(error instanceof Error ? error.message : String(error))}`;
  }
  return { username: kubeconfigUser || UNKNOWN_USER, groups: [], source: 'kubeconfig', fallbackReason: reason };
}

/** Error text goes into a file users share: one line, and anything shaped like a credential masked. */
function oneLine(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/(bearer|basic)\s+\S+/gi, '$1 <redacted>')
    .replace(/((?:token|password|secret)["']?\s*[:=]\s*)["']?[^\s"',}]+/gi, '$1<redacted>')
    .slice(0, 300)
    .trim();
}
