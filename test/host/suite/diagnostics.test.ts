/**
 * Collect Diagnostics in the real editor, with arguments as a keybinding or another extension would call it:
 * unless an earlier test left a running debug container targeting node-app's app, one is added (the default
 * image, targeting app), the diagnostics run in it, and the report is saved as an artifact of a journaled
 * 'diagnostics' session whose id the added container carries. A second run reuses the container. A container
 * this test added is stopped at the end.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { createClusterApi } from '../../../src/cluster/client';
import { stopDebugContainer } from '../../../src/debug/stopDebugContainer';
import { clusterContext, kubeConfig, waitFor } from './support';

interface DiagnosticsResult {
  readonly path?: string;
  readonly markdown: string;
  readonly sections: readonly { readonly id: string; readonly status: string }[];
  readonly debugContainer: string;
  readonly addedDebugContainer: boolean;
  readonly complete: boolean;
}

/** The body of a `## Title` section of the report, up to the next section. */
function sectionText(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `no "## ${title}" section in the report`);
  const next = markdown.indexOf('\n## ', start + 4);
  return markdown.slice(start, next < 0 ? undefined : next);
}

describe('Collect Diagnostics', () => {
  const api = createClusterApi(kubeConfig(), { context: clusterContext('admin') });
  const added: string[] = [];
  let usedByFirstRun: string | undefined;
  after(async function () {
    this.timeout(60_000);
    for (const container of added) await stopDebugContainer(api, 'demo', 'node-app', container, { timeoutMs: 30_000 });
  });

  it('adds a debug container to demo/node-app, saves the report as a session artifact and shows it', async function () {
    this.timeout(180_000);
    const pod = await api.readPod('demo', 'node-app');
    const runningBefore = (pod.spec?.ephemeralContainers ?? []).filter((c) => c.targetContainerName === 'app' && pod.status?.ephemeralContainerStatuses?.find((s) => s.name === c.name)?.state?.running !== undefined);

    const result = await vscode.commands.executeCommand<DiagnosticsResult | undefined>('ephemeralDebug.collectDiagnostics', { namespace: 'demo', pod: 'node-app', interactive: false });
    assert.ok(result, 'ephemeralDebug.collectDiagnostics returned nothing (see the extension log in the runner output)');
    if (result.addedDebugContainer) added.push(result.debugContainer);
    usedByFirstRun = result.debugContainer;
    assert.equal(result.addedDebugContainer, runningBefore.length === 0, `running debug containers before: ${runningBefore.map((c) => c.name).join(', ') || 'none'}`);
    assert.equal(result.complete, true);

    // The report: node's server process is the target, and it listens on :8080.
    assert.match(sectionText(result.markdown, 'Processes'), /\/nodejs\/bin\/node \/app\/server\.js {2}← target/);
    assert.match(sectionText(result.markdown, 'Sockets'), /:8080\s.*node \/app\/server\.js/);
    assert.match(sectionText(result.markdown, 'Network interfaces and routes'), /\blo\b/);
    const byId = new Map(result.sections.map((s) => [s.id, s.status]));
    assert.equal(byId.get('processes'), 'ok');
    assert.equal(byId.get('sockets'), 'ok');

    // The artifact on disk is the same report, in a 'diagnostics' session of the journal.
    assert.ok(result.path !== undefined && existsSync(result.path), `no report file at ${result.path}`);
    assert.equal(readFileSync(result.path, 'utf8'), result.markdown);
    assert.match(result.path, /diagnostics-demo-node-app-\d{8}T\d{6}Z\.md$/);
    const sessionFolder = dirname(result.path);
    const sessionId = sessionFolder.split('/').pop()!;
    const journal = join(dirname(dirname(sessionFolder)), 'journal.jsonl');
    const events = readFileSync(journal, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string; sessionId: string; session?: { kind: string }; artifact?: { kind: string; mediaType: string }; outcome?: { status: string } });
    const mine = events.filter((e) => e.sessionId === sessionId);
    assert.equal(mine.find((e) => e.type === 'start')?.session?.kind, 'diagnostics');
    assert.deepEqual(mine.filter((e) => e.type === 'artifact').map((e) => [e.artifact?.kind, e.artifact?.mediaType]), [['diagnostics', 'text/markdown']]);
    assert.equal(mine.find((e) => e.type === 'end')?.outcome?.status, 'completed');

    // The cluster saw the session: Started and Ended Events on the pod, the report's SHA-256 in the end's annotation.
    const report = createHash('sha256').update(readFileSync(result.path)).digest('hex');
    const clusterEvents = await waitFor('the session\'s Started and Ended Events on demo/node-app', async () => {
      const all = (await api.listEvents('demo', { fieldSelector: 'involvedObject.name=node-app' }))
        .filter((e) => e.metadata?.annotations?.['ephemeral-debug.io/session-id'] === sessionId);
      return all.length === 2 ? all : undefined;
    });
    assert.deepEqual(clusterEvents.map((e) => e.reason).sort(), ['EphemeralDebugSessionEnded', 'EphemeralDebugSessionStarted']);
    const ended = clusterEvents.find((e) => e.reason === 'EphemeralDebugSessionEnded');
    assert.match(ended?.metadata?.annotations?.['ephemeral-debug.io/artifacts'] ?? '', new RegExp(`"sha256":"${report}"`));

    // The cluster: the debug container runs, targets app, and carries this session's id when it was added now.
    const after = await api.readPod('demo', 'node-app');
    const spec = after.spec?.ephemeralContainers?.find((c) => c.name === result.debugContainer);
    assert.equal(spec?.targetContainerName, 'app');
    assert.ok(after.status?.ephemeralContainerStatuses?.find((s) => s.name === result.debugContainer)?.state?.running, `${result.debugContainer} is not running`);
    if (result.addedDebugContainer) assert.equal(spec?.env?.find((e) => e.name === 'DEBUG_SESSION_ID')?.value, sessionId);

    // The editor: the report's preview (or, without the Markdown extension, its text) is open.
    await waitFor('the report in an editor tab', () =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label.includes('diagnostics-demo-node-app') || (t.input instanceof vscode.TabInputText && t.input.uri.fsPath === result.path)),
    );
  });

  it('reuses the running debug container on a second run, from its container node arguments', async function () {
    this.timeout(120_000);
    const first = usedByFirstRun;
    assert.ok(first !== undefined, 'no debug container from the first test');
    const result = await vscode.commands.executeCommand<DiagnosticsResult | undefined>('ephemeralDebug.collectDiagnostics', { namespace: 'demo', pod: 'node-app', container: first, interactive: false });
    assert.ok(result, 'ephemeralDebug.collectDiagnostics returned nothing');
    assert.equal(result.debugContainer, first);
    assert.equal(result.addedDebugContainer, false);
    assert.match(sectionText(result.markdown, 'Processes'), /\/app\/server\.js {2}← target/);
  });
});
