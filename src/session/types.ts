/** The shapes of the session journal: what a session records, the events on disk, and the folded summary. */
import type { SessionIdentity } from './identity';

export type SessionKind = 'attach' | 'shell' | 'filesystem' | 'debugger' | 'copy' | 'diagnostics' | 'playbook' | 'capture' | 'node';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Fields that may become known after the start (imageID once the container runs, a copy's pod name, …). */
export interface SessionDetails {
  /** The pod worked on; for 'copy', the copy's name once created. */
  readonly pod?: string;
  /** The pod a copy was made from. */
  readonly sourcePod?: string;
  /** For 'node' (Debug Node…): the node debugged; `pod` is the node debug pod. */
  readonly node?: string;
  /** The debug (ephemeral or copy) container. */
  readonly container?: string;
  /** The application container it targets, when any. */
  readonly targetContainer?: string;
  /** The image as requested. */
  readonly image?: string;
  /** The image the kubelet resolved (containerStatus.imageID), ideally a digest. */
  readonly imageID?: string;
  /** The kubectl-style debug profile name. */
  readonly profile?: string;
  /** The container's securityContext as sent to the server. */
  readonly securityContext?: { readonly [key: string]: JsonValue };
}

export interface SessionStart extends SessionDetails {
  readonly kind: SessionKind;
  readonly identity: SessionIdentity;
  /** The kubeconfig context. */
  readonly context: string;
  readonly namespace: string;
  readonly pod: string;
}

export interface SessionOutcome {
  readonly status: 'completed' | 'failed' | 'cancelled';
  /** One line for 'failed' (the message the user saw). */
  readonly message?: string;
}

export type ArtifactKind = 'diagnostics' | 'download' | 'heap-dump' | 'thread-dump' | 'recording' | 'log' | 'other';

/** What the caller says about an artifact. */
export interface ArtifactInput {
  /** One path segment; a clash with an existing artifact gets a `-2`, `-3`, … suffix. */
  readonly fileName: string;
  readonly kind: ArtifactKind;
  readonly description: string;
  /** e.g. 'text/plain', 'application/json', 'application/x-asciicast', 'application/octet-stream'. */
  readonly mediaType: string;
}

/** An artifact as recorded: the input plus what was measured when it was stored. */
export interface ArtifactInfo extends ArtifactInput {
  readonly size: number;
  /** Hex SHA-256 of the content; absent for files still being written when registered (recordings). */
  readonly sha256?: string;
  readonly at: string;
}

export interface SessionAction {
  readonly at: string;
  readonly description: string;
  readonly details?: { readonly [key: string]: JsonValue };
}

/** One line of journal.jsonl. `at` is an ISO-8601 UTC time. */
export type JournalEvent =
  | { readonly type: 'start'; readonly sessionId: string; readonly at: string; readonly session: SessionStart }
  | { readonly type: 'update'; readonly sessionId: string; readonly at: string; readonly fields: SessionDetails }
  | { readonly type: 'action'; readonly sessionId: string; readonly at: string; readonly description: string; readonly details?: { readonly [key: string]: JsonValue } }
  | { readonly type: 'artifact'; readonly sessionId: string; readonly at: string; readonly artifact: ArtifactInfo }
  | { readonly type: 'end'; readonly sessionId: string; readonly at: string; readonly outcome: SessionOutcome };

/** A session's complete record, folded from its events. */
export interface SessionSummary extends SessionStart {
  readonly id: string;
  readonly startedAt: string;
  /** Absent while the session runs, or when its window ended without saying so. */
  readonly endedAt?: string;
  readonly outcome?: SessionOutcome;
  readonly actions: readonly SessionAction[];
  /** In the order stored; a re-registered file name replaces its earlier entry. */
  readonly artifacts: readonly ArtifactInfo[];
  /** The session's artifact folder (may not exist when it has no artifacts). */
  readonly folder: string;
}
