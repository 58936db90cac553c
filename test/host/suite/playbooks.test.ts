/**
 * Run Playbook in the real editor, with arguments as a keybinding or another extension would call it: the
 * fd-exhaustion playbook adds a debug container to demo/node-app, its step reads the target's descriptors, the
 * steps stream into a terminal, and the session is journaled in the extension's global storage with the
 * playbook's transcript as an artifact, the debug container's DEBUG_SESSION_ID naming the same session.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import * as vscode from 'vscode';
import { kubeConfig, waitFor } from './support';

interface PlaybookResult {
  readonly playbookId: string;
  readonly ok: boolean;
  readonly containerName: string;
  readonly steps: readonly { readonly title: string; readonly status: string }[];
  readonly transcriptPath?: string;
}

describe('Run Playbook', () => {
  it('runs fd-exhaustion on demo/node-app, streams it into a terminal and journals the session with its transcript', async function () {
    this.timeout(120_000);
    const before = new Set(vscode.window.terminals);
    const result = await vscode.commands.executeCommand<PlaybookResult | undefined>('ephemeralDebug.runPlaybook', { namespace: 'demo', pod: 'node-app', playbook: 'fd-exhaustion', interactive: false });
    assert.ok(result, 'ephemeralDebug.runPlaybook returned nothing (see the extension log in the runner output)');
    assert.equal(result.playbookId, 'fd-exhaustion');
    assert.equal(result.ok, true, JSON.stringify(result.steps));
    assert.deepEqual(result.steps.map((s) => s.status), ['ok']);

    const terminal = await waitFor('the playbook terminal', () => vscode.window.terminals.find((t) => !before.has(t) && t.name.startsWith('Playbook:')));
    assert.match(terminal.name, /node-app/);

    // The transcript: an artifact of the session, with the step's real output (the target's descriptors).
    assert.ok(result.transcriptPath !== undefined && existsSync(result.transcriptPath), `no transcript at ${result.transcriptPath}`);
    const transcript = readFileSync(result.transcriptPath, 'utf8');
    assert.match(transcript, /# File-descriptor exhaustion/);
    assert.match(transcript, /Status: \*\*ok\*\*/);
    assert.match(transcript, /Max open files|limit/i);

    // The journal: a playbook session whose id is the debug container's DEBUG_SESSION_ID.
    const sessionFolder = dirname(result.transcriptPath);
    const sessionId = sessionFolder.split('/').pop()!;
    const journal = join(dirname(dirname(sessionFolder)), 'journal.jsonl');
    const events = readFileSync(journal, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string; sessionId: string; session?: { kind: string; identity: { username: string; source: string } }; outcome?: { status: string } });
    const mine = events.filter((e) => e.sessionId === sessionId);
    const start = mine.find((e) => e.type === 'start');
    assert.equal(start?.session?.kind, 'playbook');
    assert.equal(start?.session?.identity.source, 'SelfSubjectReview', 'the identity comes from the server');
    assert.equal(mine.find((e) => e.type === 'end')?.outcome?.status, 'completed');

    const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
    const pod = await core.readNamespacedPod({ namespace: 'demo', name: 'node-app' });
    const env = pod.spec?.ephemeralContainers?.find((c) => c.name === result.containerName)?.env ?? [];
    assert.equal(env.find((e) => e.name === 'DEBUG_SESSION_ID')?.value, sessionId, 'the cluster sees the same session id');
    terminal.dispose();
  });
});
