/**
 * The one gate: the ClusterApi calls that add a debug container (pods/ephemeralcontainers) or create a debug
 * pod (a copy, or a node debug pod) take only these types, and only the spec builders
 * (src/debug/debugContainerSpec.ts, node debug pods included, and src/debug/podCopy.ts) mint them, after applying the policy. A plain V1EphemeralContainer or V1Pod, or a copy of a checked one with
 * a field changed, does not compile (the `#checked` field makes the classes nominal, and a spread drops it); a
 * cast does not get past the runtime check in client.ts; and ESLint allows `mint` only in the builders.
 */
import type { V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** An ephemeral debug container spec that the spec builder produced after applying the policy. */
export class PolicyCheckedContainer {
  readonly #checked = true;
  /** A frozen copy: later changes to the builder's result cannot reach what is sent. */
  readonly container: Readonly<V1EphemeralContainer>;

  private constructor(container: V1EphemeralContainer) {
    this.container = deepFreeze(structuredClone(container));
  }

  /** For the spec builder only (ESLint enforces it): the policy has been applied to `container`. */
  static mint(container: V1EphemeralContainer): PolicyCheckedContainer {
    return new PolicyCheckedContainer(container);
  }

  /** True only for instances `mint` made (a cast of a plain object fails). */
  static isChecked(value: unknown): value is PolicyCheckedContainer {
    return typeof value === 'object' && value !== null && #checked in value;
  }
}

/** A debug pod (a copy, or a node debug pod) that its builder produced after applying the policy. */
export class PolicyCheckedPod {
  readonly #checked = true;
  /** A frozen copy: later changes to the builder's result cannot reach what is sent. */
  readonly pod: Readonly<V1Pod>;

  private constructor(pod: V1Pod) {
    this.pod = deepFreeze(structuredClone(pod));
  }

  /** For the copy builder only (ESLint enforces it): the policy has been applied to `pod`. */
  static mint(pod: V1Pod): PolicyCheckedPod {
    return new PolicyCheckedPod(pod);
  }

  /** True only for instances `mint` made (a cast of a plain object fails). */
  static isChecked(value: unknown): value is PolicyCheckedPod {
    return typeof value === 'object' && value !== null && #checked in value;
  }
}
