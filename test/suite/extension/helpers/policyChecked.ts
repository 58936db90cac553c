/**
 * Tests of the ClusterApi facade itself (patch format, server errors, RBAC, admission) send specs the builder
 * would refuse, on purpose: they mint them here. ESLint allows `mint` only here and in the spec builders, so
 * no feature code can take this way around the policy.
 */
import type { V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import { PolicyCheckedContainer, PolicyCheckedPod } from '../../../../src/cluster/policyChecked';

/** An ephemeral container spec sent as-is, without the spec builder (facade tests only). */
export function uncheckedContainerForTest(container: V1EphemeralContainer): PolicyCheckedContainer {
  return PolicyCheckedContainer.mint(container);
}

/** A pod created as-is, without the copy builder (test set-up and facade tests only). */
export function uncheckedPodForTest(pod: V1Pod): PolicyCheckedPod {
  return PolicyCheckedPod.mint(pod);
}
