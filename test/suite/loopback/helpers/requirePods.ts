import { cacheDir } from '../../../cluster/cluster';
import { Kubelet } from '../../../cluster/kubelet/kubelet';
import { testClusterKind } from '../../../cluster/testCluster';

/**
 * Skips the suite, saying why, where the loopback cluster cannot make real pods (not root, not Linux, no
 * shim); under CI=true it fails instead, as CI must run every test. On this project's machines (root on Linux)
 * it never skips. A real or kubeconfig test cluster has real pods of its own.
 */
export function requireRealPods(context: Mocha.Context): void {
  if (testClusterKind() !== 'loopback') return;
  const reason = Kubelet.whyNoNamespaces(cacheDir);
  if (reason === undefined) return;
  unavailable(context, `this suite needs real pods, and ${reason}`);
}

/** Skips with the reason outside CI; under CI=true throws it, so that nothing is silently left out. */
export function unavailable(context: Mocha.Context, reason: string): never {
  if (process.env.CI === 'true') throw new Error(`${reason}; CI runs every test: fix the machine's set-up`);
  console.log(`      skipped: ${reason}`);
  context.skip();
}
