/** What the journal records about a debug container once it runs: its resolved imageID and securityContext. */
import type { V1Pod } from '@kubernetes/client-node';
import { ephemeralContainerSpec, ephemeralContainerStatus } from '../debug/debugContainers';
import type { JsonValue, SessionRecord } from '../session';
import type { DebugSessions } from './debugSessions';

/** The container (ephemeral or regular) as the pod reports it: image, imageID, securityContext. */
export function containerFacts(pod: V1Pod, containerName: string): { image?: string; imageID?: string; securityContext?: { [key: string]: JsonValue } } {
  const spec = ephemeralContainerSpec(pod, containerName) ?? pod.spec?.containers?.find((c) => c.name === containerName);
  const status = ephemeralContainerStatus(pod, containerName) ?? pod.status?.containerStatuses?.find((s) => s.name === containerName);
  return {
    ...(spec?.image !== undefined ? { image: spec.image } : {}),
    ...(status?.imageID !== undefined && status.imageID !== '' ? { imageID: status.imageID } : {}),
    // JSON round trip: the journal stores plain data (client-node models may carry undefined fields).
    ...(spec?.securityContext !== undefined ? { securityContext: JSON.parse(JSON.stringify(spec.securityContext)) as { [key: string]: JsonValue } } : {}),
  };
}

export async function journalDebugContainer(sessions: DebugSessions, record: SessionRecord | undefined, pod: V1Pod, containerName: string, action: string): Promise<void> {
  await sessions.note(record, async (r) => {
    await r.update({ container: containerName, ...containerFacts(pod, containerName) });
    await r.action(action, { container: containerName });
  });
}
