/**
 * The body kubectl sends to `PATCH pods/{name}/ephemeralcontainers`: a strategic-merge patch computed as the
 * two-way merge of the pod before and after appending the debug container (apimachinery
 * `strategicpatch.CreateTwoWayMergePatch`). `spec.ephemeralContainers` merges by `name`, so the patch lists only
 * the new container, plus a `$setElementOrder` directive naming every container in order when the pod already
 * had some (the directive is omitted when the original list is empty, as apimachinery does).
 */
import type { V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';

/**
 * Content-Type for the patch. client-node 2.x sends JSON-patch by default, so pass
 * `setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)` when calling
 * `patchNamespacedPodEphemeralcontainers`.
 */
export const STRATEGIC_MERGE_PATCH_CONTENT_TYPE = 'application/strategic-merge-patch+json';

export interface EphemeralContainersPatch {
  spec: {
    '$setElementOrder/ephemeralContainers'?: { name: string }[];
    ephemeralContainers: V1EphemeralContainer[];
  };
}

export function buildEphemeralContainerPatch(pod: V1Pod, container: V1EphemeralContainer): EphemeralContainersPatch {
  const existing = pod.spec?.ephemeralContainers ?? [];
  if (existing.some((c) => c.name === container.name)) {
    // A same-named entry would merge into (i.e. try to modify) an existing container, which the API rejects.
    throw new Error(`pod already has an ephemeral container named "${container.name}"`);
  }
  const body = withoutUndefined(container);
  if (existing.length === 0) {
    return { spec: { ephemeralContainers: [body] } };
  }
  return {
    spec: {
      '$setElementOrder/ephemeralContainers': [...existing.map((c) => ({ name: c.name })), { name: container.name }],
      ephemeralContainers: [body],
    },
  };
}

/** JSON text of the patch, ready to send with STRATEGIC_MERGE_PATCH_CONTENT_TYPE. */
export function serializeEphemeralContainerPatch(pod: V1Pod, container: V1EphemeralContainer): string {
  return JSON.stringify(buildEphemeralContainerPatch(pod, container));
}

/** Drops undefined fields so the body carries only what was set, like Go's omitempty. */
function withoutUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
