/**
 * The Clusters view (ephemeralDebug.explorer) in the real workbench, read from the DOM the user sees: the
 * test cluster's current context, its `demo` namespace and, once expanded, the `node-app` pod; collapsing the
 * namespace stops watching its pods (its pod count goes), expanding it again lists them again.
 * (The extension's exported API has no read access to the tree; see the report for the accessor proposed.)
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { clusterContext, ui, waitFor, type UiRow } from './support';

const VIEW = 'ephemeralDebug.explorer';

let lastRows: readonly UiRow[] = [];

/** The rendered row labelled `label`, once there; a timeout names the rows that were shown. */
async function rowShown(label: string, what: string): Promise<UiRow> {
  try {
    return await waitFor(what, async () => {
      lastRows = await ui<UiRow[]>({ action: 'viewRows', viewId: VIEW });
      return lastRows.find((r) => r.label === label);
    });
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; rows shown: ${JSON.stringify(lastRows.map((r) => `${'  '.repeat(r.level)}${r.label} ${r.description}`))}`);
  }
}

describe('Clusters view', () => {
  it('shows the test cluster\'s admin context, its demo namespace and the node-app pod', async () => {
    await vscode.commands.executeCommand('workbench.view.extension.ephemeralDebug');
    await vscode.commands.executeCommand(`${VIEW}.focus`);
    const cluster = await rowShown(clusterContext('admin'), `the ${clusterContext('admin')} context in the Clusters view`);
    assert.equal(cluster.level, 1);
    const demo = await rowShown('demo', `the demo namespace under ${clusterContext('admin')}`);
    assert.equal(demo.level, 2);
    await ui({ action: 'clickRow', viewId: VIEW, label: 'demo' });
    const pod = await rowShown('node-app', 'the node-app pod under demo');
    assert.equal(pod.level, 3);
    await waitFor('the demo namespace\'s pod count (its pods are listed once expanded)', async () => {
      lastRows = await ui<UiRow[]>({ action: 'viewRows', viewId: VIEW });
      return /^\d+ pods\b/.test(lastRows.find((r) => r.label === 'demo')?.description ?? '') ? true : undefined;
    });
    await ui({ action: 'screenshot', name: 'clusters-view' });
  });

  it('stops watching a namespace\'s pods when it is collapsed, and lists them again when it is expanded', async () => {
    await ui({ action: 'clickRow', viewId: VIEW, label: 'demo' });
    // The model forgets a collapsed namespace's pods, so the tree no longer knows how many there are.
    await waitFor('the collapsed demo namespace without a pod count', async () => {
      lastRows = await ui<UiRow[]>({ action: 'viewRows', viewId: VIEW });
      const demo = lastRows.find((r) => r.label === 'demo');
      return demo !== undefined && demo.expanded === false && !/pods/.test(demo.description ?? '') && !lastRows.some((r) => r.label === 'node-app') ? true : undefined;
    });
    await ui({ action: 'clickRow', viewId: VIEW, label: 'demo' });
    const pod = await rowShown('node-app', 'the node-app pod under demo, listed again');
    assert.equal(pod.level, 3);
  });
});
