/**
 * Capture When… in the real editor, with arguments as automation would call it: a rule armed on a pod whose app
 * exits after a few seconds fires when the kubelet restarts it, runs Collect Diagnostics (a debug container,
 * the report saved as an artifact), and the journal shows the 'capture' session armed, fired and completed.
 * The pod is this test's own and is deleted at the end.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { createClusterApi } from '../../../src/cluster/client';
import { uncheckedPodForTest } from '../../suite/extension/helpers/policyChecked';
import { EXTENSION_ID, clusterContext, kubeConfig, waitFor } from './support';

interface JournalLine {
  readonly type: string;
  readonly sessionId: string;
  readonly session?: { kind: string; pod: string };
  readonly description?: string;
  readonly details?: Record<string, unknown>;
  readonly outcome?: { status: string; message?: string };
}

function journal(): JournalLine[] {
  const path = join(homedir(), 'user-data', 'User', 'globalStorage', EXTENSION_ID, 'debug-sessions', 'journal.jsonl');
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalLine) : [];
}

describe('Capture When…', () => {
  const api = createClusterApi(kubeConfig(), { context: clusterContext('admin') });
  const pod = 'capture-host';

  after(async function () {
    this.timeout(60_000);
    await api.deletePod('demo', pod, { gracePeriodSeconds: 0 }).catch(() => undefined);
  });

  it('arms a rule on a pod, fires when its container restarts, and runs Collect Diagnostics once', async function () {
    this.timeout(240_000);
    await api.deletePod('demo', pod, { gracePeriodSeconds: 0 }).catch(() => undefined);
    await waitFor('no leftover pod', async () => (await api.readPod('demo', pod).then(() => undefined, () => true)), 60_000);
    await api.createPod('demo', uncheckedPodForTest({
      metadata: { name: pod },
      spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: 'busybox:1.36', command: ['sh', '-c', 'echo up; sleep 12; exit 3'] }] },
    }));
    await waitFor(`${pod} running`, async () => ((await api.readPod('demo', pod)).status?.containerStatuses?.[0]?.state?.running ? true : undefined), 90_000);

    const result = await vscode.commands.executeCommand<{ ruleId: string } | undefined>('ephemeralDebug.captureWhen', { namespace: 'demo', pod, condition: 'restart', interactive: false });
    assert.ok(result?.ruleId, 'ephemeralDebug.captureWhen returned nothing (see the extension log)');

    const captureId = await waitFor('the capture session', () => journal().find((e) => e.type === 'start' && e.session?.kind === 'capture' && e.session.pod === pod)?.sessionId);
    const ended = await waitFor('the capture session to end', () => journal().find((e) => e.type === 'end' && e.sessionId === captureId), 150_000);
    const mine = journal().filter((e) => e.sessionId === captureId);
    assert.equal(ended.outcome?.status, 'completed', JSON.stringify(mine));
    assert.match(mine.find((e) => e.description?.startsWith('armed:'))?.description ?? '', /^armed: when the container restarts, run Collect Diagnostics$/);
    assert.match(mine.find((e) => e.description?.startsWith('fired:'))?.description ?? '', /^fired: app restarted \(restart count 0 → 1; last exit 3/);
    const artifact = mine.find((e) => e.description === 'ran Collect Diagnostics')?.details?.artifact;
    assert.ok(typeof artifact === 'string' && existsSync(artifact), `the report ${String(artifact)} exists`);
    assert.match(readFileSync(artifact, 'utf8'), /capture-host/);

    // Fired once: the rule is gone, so disarming it is refused.
    assert.equal(await vscode.commands.executeCommand<boolean>('ephemeralDebug.disarmCapture', { rule: result.ruleId }), false);
  });
});
