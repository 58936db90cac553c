/**
 * Breakpoints in `k8s-target:` editors bind and the paused line shows there: a DebugAdapterTracker on every
 * session that descends from a debugger attach we started (js-debug runs the target in a child session)
 * rewrites the paths of its DAP messages with src/launch/targetSources.ts. The tracker sees each message
 * before it is passed on (VS Code → adapter and back), which is the one place a built-in adapter such as
 * js-debug can be met without replacing it.
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { TargetSourceMapping } from '../launch/targetSources';
import type { TargetRef } from '../targetfs/targetUri';

export interface TargetSourceSession {
  readonly target: TargetRef;
  /** The roots the language's debug configuration maps between (sourceRootsOf). */
  readonly localRoot?: string;
  readonly remoteRoot?: string;
}

export class TargetSourceTracker implements vscode.Disposable {
  private readonly mappings = new Map<string, TargetSourceMapping>();
  private readonly registration: vscode.Disposable;

  /** `markerOf` tells which of our attach sessions (if any) a debug session's configuration belongs to. */
  constructor(private readonly markerOf: (configuration: vscode.DebugConfiguration) => string | undefined) {
    this.registration = vscode.debug.registerDebugAdapterTrackerFactory('*', {
      createDebugAdapterTracker: (session) => {
        const mapping = this.mappingOf(session);
        if (mapping === undefined) return undefined;
        return {
          onWillReceiveMessage: (message: unknown) => mapping.toAdapter(message as Parameters<TargetSourceMapping['toAdapter']>[0]),
          onDidSendMessage: (message: unknown) => mapping.toEditor(message as Parameters<TargetSourceMapping['toEditor']>[0]),
        };
      },
    });
  }

  /** Maps the sessions carrying this marker (and their child sessions) to the target's files. */
  add(marker: string, session: TargetSourceSession): void {
    this.mappings.set(marker, new TargetSourceMapping({ ...session, existsLocally: existsSync }));
  }

  remove(marker: string): void {
    this.mappings.delete(marker);
  }

  private mappingOf(session: vscode.DebugSession | undefined): TargetSourceMapping | undefined {
    for (let s = session; s !== undefined; s = s.parentSession) {
      const marker = this.markerOf(s.configuration);
      if (marker !== undefined) return this.mappings.get(marker);
    }
    return undefined;
  }

  dispose(): void {
    this.registration.dispose();
    this.mappings.clear();
  }
}
