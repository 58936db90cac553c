/**
 * Check My Access and Generate RBAC for Debugging in the real editor, with arguments: the kubeconfig's admin
 * context may use every feature; the viewer context lacks what changes pods; the generated YAML parses to a
 * Role that grants adding debug containers and a RoleBinding to the group, and nothing opens.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { parseAllDocuments } from 'yaml';
import { clusterContext, waitFor } from './support';

interface FeatureAccess {
  readonly id: string;
  readonly title: string;
  readonly allowed: boolean;
  readonly missing: readonly string[];
}

interface GeneratedRbac {
  readonly namespace: string;
  readonly group: string;
  readonly rbac: string;
  readonly auditPolicy: string;
}

interface Rule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
}

describe('Check My Access and Generate RBAC', () => {
  it('finds every feature available to the admin context in demo', async () => {
    const results = await vscode.commands.executeCommand<FeatureAccess[] | undefined>('ephemeralDebug.checkAccess', { context: clusterContext('admin'), namespace: 'demo', interactive: false });
    assert.ok(results, 'ephemeralDebug.checkAccess returned nothing (see the extension log in the runner output)');
    assert.ok(results.length >= 10, `only ${results.length} features`);
    assert.deepEqual(results.filter((r) => !r.allowed).map((r) => `${r.id}: ${r.missing.join(', ')}`), []);
  });

  it('finds what the viewer context lacks', async () => {
    const results = await vscode.commands.executeCommand<FeatureAccess[] | undefined>('ephemeralDebug.checkAccess', { context: clusterContext('viewer'), namespace: 'demo', interactive: false });
    assert.ok(results, 'ephemeralDebug.checkAccess returned nothing');
    const attach = results.find((r) => r.id === 'attach');
    assert.equal(attach?.allowed, false);
    assert.ok(attach?.missing.includes('patch pods/ephemeralcontainers'), attach?.missing.join(', '));
    assert.equal(results.find((r) => r.id === 'checkAccess')?.allowed, true);
  });

  it('generates a Role and RoleBinding that parse, and opens nothing', async () => {
    const generated = await vscode.commands.executeCommand<GeneratedRbac | undefined>('ephemeralDebug.generateRbac', { namespace: 'demo', group: 'app-debuggers', interactive: false });
    assert.ok(generated, 'ephemeralDebug.generateRbac returned nothing');
    const documents = parseAllDocuments(generated.rbac);
    assert.deepEqual(documents.flatMap((d) => d.errors), []);
    const [role, binding] = documents.map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace: string }; rules?: Rule[]; subjects?: { kind: string; name: string }[]; roleRef?: { kind: string; name: string } });
    assert.equal(role?.kind, 'Role');
    assert.equal(role?.metadata.namespace, 'demo');
    const ephemeral = role?.rules?.find((r) => r.apiGroups.includes('') && r.resources.includes('pods/ephemeralcontainers'));
    assert.ok(ephemeral?.verbs.includes('patch'), JSON.stringify(role?.rules));
    assert.ok(!role?.rules?.some((r) => r.verbs.includes('*') || r.resources.includes('*')), 'no wildcards');
    assert.equal(binding?.kind, 'RoleBinding');
    assert.deepEqual(binding?.subjects, [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'app-debuggers' }]);
    assert.deepEqual({ kind: binding?.roleRef?.kind, name: binding?.roleRef?.name }, { kind: 'Role', name: role?.metadata.name });

    const policy = parseAllDocuments(generated.auditPolicy).map((d) => d.toJS() as { apiVersion: string; kind: string });
    assert.deepEqual(policy.map((p) => `${p.apiVersion} ${p.kind}`), ['audit.k8s.io/v1 Policy']);
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.isUntitled && (d.getText() === generated.rbac || d.getText() === generated.auditPolicy)), 'interactive: false opens no document');
  });

  it('shows the report as a read-only Markdown preview when interactive', async () => {
    const results = await vscode.commands.executeCommand<FeatureAccess[] | undefined>('ephemeralDebug.checkAccess', { context: clusterContext('viewer'), namespace: 'demo' });
    assert.ok(results, 'ephemeralDebug.checkAccess returned nothing');
    const report = await waitFor('the access report document', () => vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'ephemeral-debug-report' && d.getText().startsWith(`# Access in context ${clusterContext('viewer')}, namespace demo`)));
    assert.equal(report.languageId, 'markdown');
    assert.equal(report.isDirty, false, 'nothing asks to save the report');
    assert.match(report.getText(), /- \*\*no \*\* Attach Debug Container — needs .*`patch pods\/ephemeralcontainers`/);
    await waitFor('the report tab', () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label.includes(`access-${clusterContext('viewer')}-demo`)));
  });

  it('opens the Role and RoleBinding in a YAML editor when interactive with every argument given', async () => {
    const generated = await vscode.commands.executeCommand<GeneratedRbac | undefined>('ephemeralDebug.generateRbac', { namespace: 'demo', group: 'app-debuggers', features: ['attach', 'logs'] });
    assert.ok(generated, 'ephemeralDebug.generateRbac returned nothing');
    const editor = await waitFor('the YAML editor', () => vscode.window.visibleTextEditors.find((e) => e.document.isUntitled && e.document.getText() === generated.rbac));
    assert.equal(editor.document.languageId, 'yaml');
    assert.doesNotMatch(generated.rbac, /pods\/portforward/, 'only the chosen features are granted');
    // An untitled editor is dirty: close it without saving, or a later debug session's save-before-start would ask.
    await vscode.window.showTextDocument(editor.document);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    assert.ok(!vscode.window.visibleTextEditors.some((e) => e.document.getText() === generated.rbac));
  });

  it('refuses an invalid group with one line and returns nothing', async () => {
    const generated = await vscode.commands.executeCommand<GeneratedRbac | undefined>('ephemeralDebug.generateRbac', { namespace: 'demo', group: 'system:authenticated', interactive: false });
    assert.equal(generated, undefined);
  });
});
