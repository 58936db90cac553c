/**
 * The loopback store delivers events in resourceVersion order even when a listener commits while one is being
 * delivered (the loopback kubelet does: it reacts to a MODIFIED by updating the status). Before, the nested
 * commit reached later listeners first, so a watch could see DELETED before the MODIFIED that preceded it — which
 * a real API server (etcd's revision order) never does.
 */
import assert from 'node:assert/strict';
import { ClusterStore, type StoreEvent } from '../../cluster/api/store';

describe('loopback store: watch events in resourceVersion order', () => {
  it('a commit made by a listener during delivery reaches every listener after the event being delivered', () => {
    const store = new ClusterStore();
    store.createPod({ metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } });
    // First listener: reacts to the pod's deletion mark as a kubelet would, by finishing the deletion.
    store.subscribe((event) => {
      if (event.type === 'MODIFIED' && event.object.metadata.deletionTimestamp !== undefined) store.removePod('default', 'p');
    });
    const seen: StoreEvent[] = [];
    store.subscribe((event) => seen.push(event));
    store.gracefulDeletion = true;
    store.deletePod('default', 'p', 30);
    assert.deepEqual(seen.map((e) => e.type), ['MODIFIED', 'DELETED']);
    const rvs = seen.map((e) => e.rv);
    assert.deepEqual(rvs, [...rvs].sort((a, b) => a - b), `in resourceVersion order: ${rvs.join(', ')}`);
  });
});
