import { testClusterKind } from '../../../cluster/testCluster';

/**
 * Tests of faults only the loopback cluster can produce (the 404 switch, pull delays, forced 410 Gone, store
 * writes behind admission's back, stopping its API server, its audit hook). Their titles end in "(loopback
 * only)"; on any other test cluster they are not registered at all, since CI counts a skipped test as a failure.
 */
const onLoopback = testClusterKind() === 'loopback';
const title = (name: string) => `${name} (loopback only)`;

export const loopbackOnly = {
  it(name: string, fn: Mocha.Func | Mocha.AsyncFunc): void {
    if (onLoopback) it(title(name), fn);
  },
  describe(name: string, fn: (this: Mocha.Suite) => void): void {
    if (onLoopback) describe(title(name), fn);
  },
};
