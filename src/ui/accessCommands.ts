/**
 * "Check My Access" (cluster or namespace node, view title, palette, or `{ context?, namespace?, interactive:
 * false }`): one access review per permission the features need, shown as a read-only Markdown report with
 * a one-line summary. "Generate RBAC for Debugging…" (namespace node, palette, or `{ namespace, group,
 * features?, roleName?, interactive: false }`): a Role and RoleBinding in an untitled YAML editor, and the audit Policy
 * offered as a separate document (it is an API server file, not something kubectl applies).
 */
import * as vscode from 'vscode';
import { checkAccess, formatAccessReport, type FeatureAccess } from '../access/checkAccess';
import { FEATURES, type FeatureId } from '../access/features';
import { DEFAULT_ROLE_NAME, generateAuditPolicy, generateDebugRbac, validateGroup, validateNamespace, validateRoleName } from '../access/rbacTemplate';
import type { ClusterApi } from '../cluster/clusterApi';
import { askNamespace, type PickerEnvironment } from './attachPicker';
import { isExplorerNode } from './attachCommand';
import { ReportDocuments } from './diagnosticsPreview';
import type { FeatureDependencies } from './featureDependencies';
import { accessSummary, normalizeFeatureIds, validationMessage } from './pure/accessSummary';
import { BACK } from './quickInput';

const CHECK_TITLE = 'Check My Access';
const RBAC_TITLE = 'Generate RBAC for Debugging';

/** What Generate RBAC for Debugging resolves to. */
export interface GeneratedRbac {
  readonly namespace: string;
  readonly group: string;
  readonly roleName: string;
  /** undefined: every feature. */
  readonly features?: readonly FeatureId[];
  /** The Role and RoleBinding, two YAML documents for `kubectl apply -f`. */
  readonly rbac: string;
  /** An audit.k8s.io/v1 Policy for the API server's --audit-policy-file. */
  readonly auditPolicy: string;
}

export function registerAccessCommands(deps: FeatureDependencies): vscode.Disposable[] {
  const reports = new ReportDocuments(deps.logger);
  return [
    reports,
    vscode.commands.registerCommand('ephemeralDebug.checkAccess', (arg?: unknown) => checkAccessCommand(deps, reports, arg)),
    vscode.commands.registerCommand('ephemeralDebug.generateRbac', (arg?: unknown) => generateRbacCommand(deps, arg)),
  ];
}

interface Invocation {
  readonly context?: string;
  readonly namespace?: string;
  readonly interactive: boolean;
  readonly args: Readonly<Record<string, unknown>>;
}

/** A tree node's context and namespace, or an arguments object's; nothing from the palette or the view title. */
function invocation(arg: unknown): Invocation {
  if (isExplorerNode(arg)) {
    const d = arg.descriptor;
    return { context: d.contextName, ...(d.namespace !== undefined ? { namespace: d.namespace } : {}), interactive: true, args: {} };
  }
  if (typeof arg === 'object' && arg !== null && !Array.isArray(arg)) {
    const args = arg as Record<string, unknown>;
    const text = (key: string): string | undefined => (typeof args[key] === 'string' && args[key] !== '' ? (args[key] as string) : undefined);
    const context = text('context');
    const namespace = text('namespace');
    return { ...(context !== undefined ? { context } : {}), ...(namespace !== undefined ? { namespace } : {}), interactive: args.interactive !== false, args };
  }
  return { interactive: true, args: {} };
}

function pickerEnvironment(deps: FeatureDependencies, activeContext: string | undefined): PickerEnvironment {
  return { settings: deps.settings.current, recentImages: [], contexts: () => deps.clusters.contexts(), activeContext, api: (context) => deps.clusters.api(context) };
}

export async function checkAccessCommand(deps: FeatureDependencies, reports: ReportDocuments, arg: unknown): Promise<readonly FeatureAccess[] | undefined> {
  const call = invocation(arg);
  let api: ClusterApi;
  let namespace = call.namespace;
  try {
    api = await deps.clusters.api(call.context);
    if (namespace === undefined && call.interactive) {
      const answer = await askNamespace(pickerEnvironment(deps, api.contextName), api.contextName, undefined, { title: `${CHECK_TITLE} in ${api.contextName}`, step: 1, totalSteps: 1 });
      if (answer === undefined || answer === BACK) return undefined;
      namespace = answer;
    }
  } catch (error) {
    void deps.errors.show(error, CHECK_TITLE);
    return undefined;
  }
  const ns = namespace ?? api.defaultNamespace;
  const where = `${ns} (${api.contextName})`;
  let results: FeatureAccess[];
  let user: string | undefined;
  try {
    const run = (): Promise<[FeatureAccess[], string | undefined]> => Promise.all([checkAccess(api, ns), userLabel(deps, api)]);
    [results, user] = call.interactive
      ? await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Checking access in ${where}…` }, run)
      : await run();
  } catch (error) {
    void deps.errors.show(error, `${CHECK_TITLE} in ${where}`);
    return undefined;
  }
  const summary = accessSummary(results, { contextName: api.contextName, namespace: ns });
  deps.logger.info(`access${user !== undefined ? ` of ${user}` : ''}: ${summary}`);
  if (!call.interactive) return results;

  try {
    await reports.show(formatAccessReport(results, { contextName: api.contextName, namespace: ns, ...(user !== undefined ? { user } : {}) }), `access-${api.contextName}-${ns}`);
  } catch (error) {
    void deps.errors.show(error, `${CHECK_TITLE}: showing the report`);
  }
  if (results.every((r) => r.allowed)) {
    void vscode.window.showInformationMessage(summary);
  } else {
    // Not awaited: the command resolves with the results while the message stays.
    void vscode.window.showWarningMessage(summary, 'Generate RBAC…').then((answer) => {
      if (answer !== undefined) void vscode.commands.executeCommand('ephemeralDebug.generateRbac', { context: api.contextName, namespace: ns });
    });
  }
  return results;
}

/** The server's view of the user (SelfSubjectReview), else the kubeconfig's user name; never fails the check. */
async function userLabel(deps: FeatureDependencies, api: ClusterApi): Promise<string | undefined> {
  try {
    const identity = await api.whoAmI();
    if (identity !== undefined) return identity.username;
  } catch (error) {
    deps.logger.debug(`whoAmI: ${error instanceof Error ? error.message : String(error)}`);
  }
  const user = (await deps.clusters.kubeconfig()).loaded?.kubeConfig.getContextObject(api.contextName)?.user;
  return user !== undefined && user !== '' ? `kubeconfig user ${user}` : undefined;
}

export async function generateRbacCommand(deps: FeatureDependencies, arg: unknown): Promise<GeneratedRbac | undefined> {
  const call = invocation(arg);
  let generated: GeneratedRbac | undefined;
  try {
    generated = call.interactive ? await askAndGenerate(deps, call) : generateFromArguments(call);
  } catch (error) {
    void deps.errors.show(error, RBAC_TITLE);
    return undefined;
  }
  if (generated === undefined || !call.interactive) return generated;

  const rbac = generated;
  try {
    const document = await vscode.workspace.openTextDocument({ language: 'yaml', content: rbac.rbac });
    await vscode.window.showTextDocument(document, { preview: false });
  } catch (error) {
    void deps.errors.show(error, `${RBAC_TITLE}: opening the YAML`);
    return generated;
  }
  // Offered, not opened: the Role is what most people came for; the audit Policy is for cluster admins.
  void vscode.window
    .showInformationMessage(
      `Role and RoleBinding "${rbac.roleName}" for group ${rbac.group} in ${rbac.namespace}: review, then kubectl apply -f. An audit Policy recording debugging is available as well.`,
      'Open Audit Policy',
    )
    .then(async (answer) => {
      if (answer === undefined) return;
      const document = await vscode.workspace.openTextDocument({ language: 'yaml', content: rbac.auditPolicy });
      await vscode.window.showTextDocument(document, { preview: false });
    })
    .then(undefined, (error: unknown) => void deps.errors.show(error, `${RBAC_TITLE}: opening the audit Policy`));
  return generated;
}

function generate(namespace: string, group: string, roleName: string, features: readonly FeatureId[] | undefined): GeneratedRbac {
  const rbac = generateDebugRbac({ namespace, group, roleName, ...(features !== undefined ? { features } : {}) });
  return { namespace, group, roleName, ...(features !== undefined ? { features } : {}), rbac, auditPolicy: generateAuditPolicy({ group }) };
}

function generateFromArguments(call: Invocation): GeneratedRbac {
  const { args } = call;
  if (call.namespace === undefined || typeof args.group !== 'string') {
    throw new Error('with "interactive": false the arguments need "namespace" and "group" (and optionally "features", "roleName")');
  }
  const features = normalizeFeatureIds(args.features);
  if ('error' in features) throw new Error(features.error);
  const roleName = typeof args.roleName === 'string' ? args.roleName : DEFAULT_ROLE_NAME;
  return generate(call.namespace, args.group, roleName, features.value);
}

async function askAndGenerate(deps: FeatureDependencies, call: Invocation): Promise<GeneratedRbac | undefined> {
  const { args } = call;
  let namespace = call.namespace;
  if (namespace === undefined) {
    namespace = await vscode.window.showInputBox({
      title: `${RBAC_TITLE} (1/3)`,
      prompt: 'Namespace the Role grants debugging in',
      value: await defaultNamespace(deps, call.context),
      ignoreFocusOut: true,
      validateInput: (value) => validationMessage(validateNamespace, value.trim()),
    });
    if (namespace === undefined) return undefined;
    namespace = namespace.trim();
  }
  let group = typeof args.group === 'string' ? args.group : undefined;
  if (group === undefined) {
    group = await vscode.window.showInputBox({
      title: `${RBAC_TITLE} (2/3)`,
      prompt: `Group bound to the Role in ${namespace}, exactly as the cluster's authentication reports it (e.g. an OIDC or IAM group)`,
      placeHolder: 'e.g. app-debuggers',
      ignoreFocusOut: true,
      validateInput: (value) => validationMessage(validateGroup, value),
    });
    if (group === undefined) return undefined;
  }
  let features: readonly FeatureId[] | undefined;
  if (args.features !== undefined) {
    const given = normalizeFeatureIds(args.features);
    if ('error' in given) throw new Error(given.error);
    features = given.value;
  } else {
    const picked = await vscode.window.showQuickPick(
      FEATURES.map((f) => ({ label: f.title, description: f.id, picked: true, id: f.id })),
      { title: `${RBAC_TITLE} (3/3)`, placeHolder: 'Features the Role grants (all by default)', canPickMany: true, ignoreFocusOut: true },
    );
    if (picked === undefined) return undefined;
    if (picked.length === 0) {
      void vscode.window.showWarningMessage(`${RBAC_TITLE}: no feature chosen, so there is nothing to grant; run it again and keep at least one.`);
      return undefined;
    }
    features = picked.length === FEATURES.length ? undefined : picked.map((p) => p.id);
  }
  const roleName = typeof args.roleName === 'string' ? args.roleName : DEFAULT_ROLE_NAME;
  validateRoleName(roleName);
  return generate(namespace, group, roleName, features);
}

/** The context's default namespace, as the first suggestion; 'default' when no kubeconfig is loaded. */
async function defaultNamespace(deps: FeatureDependencies, context: string | undefined): Promise<string> {
  try {
    return (await deps.clusters.api(context)).defaultNamespace;
  } catch {
    return 'default';
  }
}
