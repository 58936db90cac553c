/**
 * The `kubernetes-ephemeral` debug type, thin: resolving a configuration runs the vscode-free orchestration
 * (src/launch/debugAttachSession.ts), then starts the language's own attach configuration with
 * `vscode.debug.startDebugging` and ties the port-forward to that session (the forward stops when the
 * session ends; the session is stopped, with a message, when the pod goes away). "Attach Debugger…" on pod
 * and container nodes builds such a configuration.
 *
 * Without the language's extension, a debug server that speaks DAP itself (debugpy, dlv) is attached by VS Code
 * directly: the same attach configuration runs as a `kubernetes-ephemeral` session whose adapter is a
 * DebugAdapterServer on the forward's local port. The debug console's first line says which way was taken.
 */
import * as vscode from 'vscode';
import type { ClusterApi, Logger } from '../cluster/clusterApi';
import type { AttachCallbacks } from '../debug/attachFlow';
import { startDebugAttachSession, type DebugAttachSession } from '../launch/debugAttachSession';
import { DEBUG_TYPE, parseLaunchConfiguration } from '../launch/launchConfiguration';
import { LaunchError } from '../launch/launchError';
import { sourceRootsOf } from '../launch/targetSources';
import { PortForwardError } from '../launch/portForward';
import { describeProcess, type RuntimeKind } from '../launch/processes';
import { debuggerRoute, describeDebuggerRoute, type DebuggerRoute } from '../launch/runtimes/index';
import { attachSettings, isExplorerNode } from './attachCommand';
import type { Clusters } from './clusters';
import type { ErrorPresenter } from './errorPresenter';
import { PortForwards, registerPortForwardCommands } from './portForwardStatus';
import type { SettingsReader } from './settings';
import type { SessionRecord } from '../session';
import type { DebugSessions } from './debugSessions';
import { isCancellation } from './pure/errorText';
import type { EphemeralDebugSettings } from './pure/settingsModel';
import { journalDebugContainer } from './sessionDetails';
import type { TimeLimits } from './timeLimits';
import { TargetSourceTracker } from './targetSourceTracker';
import type { WorkloadPods } from './workloadTarget';

/** Marks the language session we started, so its end stops the forward. */
const SESSION_MARKER = '__kubernetesEphemeralSession';
/** Marks that session as one VS Code attaches to the debug server directly (no language extension). */
const DIRECT_DAP_MARKER = '__kubernetesEphemeralDirectDap';
/** How long the debugger port may take to listen once opened (gdb injection and JVM attach take seconds). */
const LISTEN_TIMEOUT_MS = 30_000;

export interface DebugAttachDependencies {
  readonly clusters: Clusters;
  readonly settings: SettingsReader;
  readonly errors: ErrorPresenter;
  readonly forwards: PortForwards;
  readonly logger: Logger;
  readonly sessions: DebugSessions;
  readonly timeLimits: TimeLimits;
  /** Workload nodes → a ready pod; a launch configuration naming a workload prefers the pod remembered for it. */
  readonly workloadPods: WorkloadPods;
}

export class DebugAttachProvider implements vscode.DebugConfigurationProvider, vscode.DebugAdapterDescriptorFactory, vscode.Disposable {
  private readonly sessions = new Map<string, DebugAttachSession>();
  /** The journal record of each attach session, ended with it. */
  private readonly records = new Map<string, SessionRecord | undefined>();
  private readonly debugSessions = new Map<string, vscode.DebugSession>();
  /** The debug console line of each session, written once the session is the focused one (the console's). */
  private readonly routeLines = new Map<string, string>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Breakpoints in the target's `k8s-target:` editors, for the sessions started here. */
  private readonly targetSources = new TargetSourceTracker((configuration) => {
    const id = configuration[SESSION_MARKER] as string | undefined;
    return id !== undefined && this.sessions.has(id) ? id : undefined;
  });
  private nextId = 1;

  constructor(private readonly deps: DebugAttachDependencies) {
    this.disposables.push(
      this.targetSources,
      vscode.debug.onDidStartDebugSession((session) => {
        const id = session.configuration[SESSION_MARKER] as string | undefined;
        if (id !== undefined && this.sessions.has(id)) {
          this.debugSessions.set(id, session);
          this.writeRouteLine(vscode.debug.activeDebugSession);
        }
      }),
      vscode.debug.onDidChangeActiveDebugSession((session) => this.writeRouteLine(session)),
      vscode.debug.onDidTerminateDebugSession((session) => {
        const id = session.configuration[SESSION_MARKER] as string | undefined;
        if (id !== undefined) void this.end(id);
      }),
    );
  }

  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return [{ type: DEBUG_TYPE, request: 'attach', name: 'Kubernetes: Attach to Pod', namespace: 'default', pod: '', runtime: 'node' }];
  }

  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    // F5 without launch.json: nothing to go on; undefined opens launch.json creation.
    if (!config.type && !config.request && !config.name) return undefined;
    return config;
  }

  async resolveDebugConfigurationWithSubstitutedVariables(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration, token?: vscode.CancellationToken): Promise<vscode.DebugConfiguration | undefined> {
    // The direct DAP session this provider started for a prepared attach: run it as it is.
    if (config[DIRECT_DAP_MARKER] === true && this.sessions.has(config[SESSION_MARKER] as string)) return config;
    try {
      await this.launch(folder, config, token);
    } catch (error) {
      await this.report(error);
    }
    // The language's own session (or a direct DAP one) runs instead; this one is never started.
    return undefined;
  }

  /** The direct DAP session's adapter: the debug server itself, through the forward. */
  createDebugAdapterDescriptor(session: vscode.DebugSession): vscode.DebugAdapterDescriptor {
    const attach = this.sessions.get(session.configuration[SESSION_MARKER] as string);
    if (attach === undefined || session.configuration[DIRECT_DAP_MARKER] !== true || attach.forward.isEnded) {
      throw new Error('Attach Debugger: this debug session has no prepared debug server (its port-forward ended): start the kubernetes-ephemeral configuration again.');
    }
    return new vscode.DebugAdapterServer(attach.forward.localPort, attach.forward.localAddress);
  }

  /** Attach Debugger… on a pod or container node. */
  async attachFromNode(node: unknown): Promise<void> {
    if (!isExplorerNode(node) || node.descriptor.namespace === undefined || node.descriptor.pod === undefined) {
      void vscode.window.showInformationMessage('Attach Debugger: choose a pod or container in the Clusters view.');
      return;
    }
    const d = node.descriptor;
    const runtime = await vscode.window.showQuickPick(
      [
        { label: 'Detect', description: 'from the processes in the pod', value: undefined },
        { label: 'Node.js', value: 'node' },
        { label: 'Java', value: 'java' },
        { label: 'Python', value: 'python' },
        { label: 'Go', value: 'go' },
      ],
      { title: `Attach Debugger to ${d.namespace}/${d.pod}`, placeHolder: 'Runtime' },
    );
    if (runtime === undefined) return;
    const config: vscode.DebugConfiguration = {
      type: DEBUG_TYPE,
      request: 'attach',
      name: `Kubernetes: ${d.namespace}/${d.pod}`,
      context: d.contextName,
      namespace: d.namespace,
      pod: d.pod,
      ...(d.kind === 'container' && d.containerKind !== 'ephemeral' && d.container !== undefined ? { container: d.container } : {}),
      ...(runtime.value !== undefined ? { runtime: runtime.value } : {}),
    };
    await vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], config);
  }

  private async launch(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration, token?: vscode.CancellationToken): Promise<void> {
    const { context, request } = parseLaunchConfiguration(config as Record<string, unknown>);
    if (request.runtime !== undefined) {
      routeOf(request.runtime);
    }
    const api = await this.deps.clusters.api(context);
    const settings = this.deps.settings.current;
    const journal = this.deps.sessions;
    const sessionId = journal.newId();
    const record = await journal.begin('debugger', api, {
      namespace: request.namespace, pod: request.pod ?? (request.workload !== undefined ? `(${request.workload.kind} ${request.workload.name})` : `(selector ${request.labelSelector ?? ''})`),
      ...(request.container !== undefined ? { targetContainer: request.container } : {}),
      ...(request.debugImage !== undefined ? { image: request.debugImage } : {}),
    }, sessionId);
    try {
      await this.attach(folder, api, request, settings, sessionId, record, token);
    } catch (error) {
      await journal.note(record, (r) => r.end({ status: isCancellation(error) ? 'cancelled' : 'failed', message: error instanceof Error ? error.message : String(error) }));
      throw error;
    }
  }

  private async attach(
    folder: vscode.WorkspaceFolder | undefined,
    api: ClusterApi,
    request: ReturnType<typeof parseLaunchConfiguration>['request'],
    settings: EphemeralDebugSettings,
    sessionId: string,
    record: SessionRecord | undefined,
    token?: vscode.CancellationToken,
  ): Promise<void> {
    const controller = new AbortController();
    token?.onCancellationRequested(() => controller.abort());
    const localRoot = request.localRoot ?? folder?.uri.fsPath;

    const run = async (process = request.process): Promise<DebugAttachSession> => vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Attaching debugger to ${request.namespace}/${request.pod ?? (request.workload !== undefined ? `${request.workload.kind} ${request.workload.name}` : request.labelSelector)}`, cancellable: true },
      (progress, progressToken) => {
        progressToken.onCancellationRequested(() => controller.abort());
        const callbacks: AttachCallbacks = {
          onProgress: (message) => progress.report({ message }),
          onWarning: (message) => this.deps.logger.warn(`debug attach: ${message}`),
          confirmPrivileged: async (info) => {
            const answer = await vscode.window.showWarningMessage(
              `The debugger needs a debug container with ${info.grants.join(', ')} (profile "${info.profile}") in ${info.podName}.`,
              { modal: true, detail: `${info.profileReason}\n\nIt can read and change the target's processes and memory.` },
              'Add Debug Container',
            );
            return answer === 'Add Debug Container';
          },
        };
        return startDebugAttachSession(api, { ...request, process, localRoot }, {
          settings: attachSettings(settings), callbacks, logger: this.deps.logger, signal: controller.signal, listenTimeoutMs: LISTEN_TIMEOUT_MS, sessionId,
          ...(request.workload !== undefined ? { rememberedPod: this.deps.workloadPods.remembered(api.contextName, { ...request.workload, namespace: request.namespace }) } : {}),
        });
      },
    );

    let session: DebugAttachSession;
    try {
      session = await run();
    } catch (error) {
      if (!(error instanceof LaunchError) || error.code !== 'ambiguous-process') throw error;
      const picked = await vscode.window.showQuickPick(
        error.candidates.map((p) => ({ label: `PID ${p.pid}`, description: describeProcess(p).replace(/^PID \d+ /, ''), pid: p.pid })),
        { title: 'Several processes match: choose the one to debug' },
      );
      if (picked === undefined) {
        await this.deps.sessions.note(record, (r) => r.end({ status: 'cancelled', message: 'no process chosen' }));
        return;
      }
      session = await run(picked.pid);
    }
    let route: DebuggerRoute;
    try {
      route = routeOf(session.runtime);
    } catch (error) {
      await session.dispose();
      throw error;
    }

    const id = `k8s-ephemeral-${this.nextId++}`;
    this.sessions.set(id, session);
    this.records.set(id, record);
    if (session.targetContainer !== undefined) {
      this.targetSources.add(id, {
        target: { context: api.contextName, namespace: session.namespace, pod: session.podName, container: session.targetContainer },
        ...sourceRootsOf(session.debugConfiguration),
      });
    }
    const pod = await api.readPod(session.namespace, session.podName).catch(() => undefined);
    if (pod !== undefined) {
      await journalDebugContainer(this.deps.sessions, record, pod, session.debugContainer, `${session.runtime} debugger attached to PID ${session.process.pid} through ${session.forward.description}`);
      this.deps.timeLimits.track(api, pod, session.debugContainer);
    }
    await this.deps.sessions.note(record, async (r) => {
      for (const note of session.notes) await r.action(note);
    });
    this.deps.forwards.add(session.forward, session.debugConfiguration.name, api.contextName);
    session.notes.forEach((note) => this.deps.logger.info(`debug attach: ${note}`));
    session.forward.onDidEnd((end) => {
      // The pod went away: end the language session too (PortForwards shows the message).
      if (end.reason !== 'stopped') {
        const debugSession = this.debugSessions.get(id);
        if (debugSession !== undefined) void vscode.debug.stopDebugging(debugSession);
      }
      void this.end(id);
    });
    // Started once this resolution has returned: VS Code does not start a session while another one's
    // configuration is still being resolved (awaiting it here never settles).
    setTimeout(() => void this.startLanguageSession(folder, id, session, route), 0);
  }

  private async startLanguageSession(folder: vscode.WorkspaceFolder | undefined, id: string, session: DebugAttachSession, route: DebuggerRoute): Promise<void> {
    const direct = route.kind === 'direct';
    const type = direct ? DEBUG_TYPE : session.debugConfiguration.type;
    const routeLine = describeDebuggerRoute(session.runtime, route, `the port-forward ${session.forward.description}`);
    // A configuration naming a workload: say which pod it chose this time (it changes with rollouts).
    const line = session.podChoice !== undefined ? `${session.podChoice}\n${routeLine}` : routeLine;
    this.routeLines.set(id, line);
    this.deps.logger.info(`debug attach: ${line}`);
    await this.deps.sessions.note(this.records.get(id), (r) => r.action(line));
    try {
      const started = await vscode.debug.startDebugging(folder, {
        ...session.debugConfiguration,
        type,
        [SESSION_MARKER]: id,
        ...(direct ? { [DIRECT_DAP_MARKER]: true } : {}),
      });
      this.deps.logger.info(`debug attach: ${type} session ${started ? 'started' : 'not started'} (${session.forward.description})`);
      if (!started) {
        await this.end(id);
        await this.report(new LaunchError('unsupported', direct
          ? `VS Code did not start the attach session to the ${session.runtime} debug server at ${session.forward.description} (see the Kubernetes Ephemeral Debug log)`
          : `VS Code did not start the ${type} attach session (is its debugger extension enabled?)`));
      }
    } catch (error) {
      await this.end(id);
      await this.report(error);
    }
  }

  private async end(id: string): Promise<void> {
    const session = this.sessions.get(id);
    if (session === undefined) return;
    this.sessions.delete(id);
    this.debugSessions.delete(id);
    this.routeLines.delete(id);
    this.targetSources.remove(id);
    const record = this.records.get(id);
    this.records.delete(id);
    await session.dispose();
    await this.deps.sessions.note(record, (r) => r.end({ status: 'completed', message: 'debug session ended' }));
  }

  /** The console (appendLine) writes to the focused session: our line goes once its session is the one. */
  private writeRouteLine(active: vscode.DebugSession | undefined): void {
    const id = active?.configuration[SESSION_MARKER] as string | undefined;
    if (id === undefined || this.debugSessions.get(id) !== active) return;
    const line = this.routeLines.get(id);
    if (line === undefined) return;
    this.routeLines.delete(id);
    vscode.debug.activeDebugConsole.appendLine(line);
  }

  private async report(error: unknown): Promise<void> {
    this.deps.logger.error(`Attach Debugger: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof MissingDebuggerExtension) {
      const answer = await vscode.window.showErrorMessage(`Attach Debugger: ${error.message}`, 'Show in Extensions');
      if (answer === 'Show in Extensions') await vscode.commands.executeCommand('workbench.extensions.search', `@id:${error.extensionId}`);
      return;
    }
    if (error instanceof LaunchError) {
      const details = error.details ?? (error.candidates.length > 0 ? error.candidates.map(describeProcess).join('\n') : undefined);
      const answer = await vscode.window.showErrorMessage(`Attach Debugger: ${error.message}`, ...(details !== undefined ? ['Show Details'] : []));
      if (answer === 'Show Details' && details !== undefined) await this.deps.errors.openDetails(details, 'Attach Debugger');
      return;
    }
    if (error instanceof PortForwardError) {
      void vscode.window.showErrorMessage(`Attach Debugger: ${error.message}`);
      return;
    }
    if ((error as Error)?.name === 'DebugFlowError' && (error as { code?: string }).code === 'cancelled') return;
    await this.deps.errors.show(error, 'Attach Debugger');
  }

  dispose(): void {
    for (const id of [...this.sessions.keys()]) void this.end(id);
    this.disposables.forEach((d) => d.dispose());
  }
}

/** Registers the debug type, Attach Debugger…, Port Forward… and the forwards' status bar item. */
export function registerDebugAttach(deps: Omit<DebugAttachDependencies, 'forwards'>): vscode.Disposable[] {
  const forwards = new PortForwards(deps.logger);
  const provider = new DebugAttachProvider({ ...deps, forwards });
  return [
    forwards,
    ...registerPortForwardCommands({ clusters: deps.clusters, errors: deps.errors, forwards, logger: deps.logger }),
    provider,
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, provider),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, provider),
    vscode.commands.registerCommand('ephemeralDebug.attachDebugger', deps.workloadPods.command('Attach Debugger', (node?: unknown) => provider.attachFromNode(node))),
  ];
}

/** The language's VS Code debugger is not installed: offered in the Extensions view rather than only named. */
class MissingDebuggerExtension extends Error {
  constructor(message: string, readonly extensionId: string) {
    super(message);
    this.name = 'MissingDebuggerExtension';
  }
}

/** The way to the runtime's debug server (its extension, or DAP directly); throws when there is none. */
function routeOf(runtime: RuntimeKind): DebuggerRoute {
  const route = debuggerRoute(runtime, (id) => vscode.extensions.getExtension(id) !== undefined);
  if (route.kind === 'missing') throw new MissingDebuggerExtension(route.message, route.extension.id);
  return route;
}
