import { cacheDir } from '../../../cluster/cluster';
import { Kubelet } from '../../../cluster/kubelet/kubelet';

/**
 * Skips the suite, saying why, where the loopback cluster cannot make real pods (not root, not Linux, no
 * shim). On this project's machines (root on Linux) it never skips.
 */
export function requireRealPods(context: Mocha.Context): void {
  const reason = Kubelet.whyNoNamespaces(cacheDir);
  if (reason === undefined) return;
  console.log(`      skipped: this suite needs real pods, and ${reason}`);
  context.skip();
}
