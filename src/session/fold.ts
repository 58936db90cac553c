/** Folds journal events into one complete record per session. */
import type { ArtifactInfo, JournalEvent, SessionAction, SessionDetails, SessionOutcome, SessionStart, SessionSummary } from './types';

interface Draft {
  id: string;
  start: SessionStart;
  startedAt: string;
  details: SessionDetails;
  endedAt?: string;
  outcome?: SessionOutcome;
  actions: SessionAction[];
  artifacts: Map<string, ArtifactInfo>;
  lastAt: string;
}

/**
 * Sessions in start order (ids sort by start time). Events of a session whose start line is missing (lost
 * to a crash) cannot be placed and are dropped; `folderOf` maps an id to its artifact folder.
 */
export function foldSessions(events: readonly JournalEvent[], folderOf: (id: string) => string): SessionSummary[] {
  const drafts = new Map<string, Draft>();
  for (const event of events) {
    if (event.type === 'start') {
      if (!drafts.has(event.sessionId)) {
        drafts.set(event.sessionId, {
          id: event.sessionId, start: event.session, startedAt: event.at, details: {},
          actions: [], artifacts: new Map(), lastAt: event.at,
        });
      }
      continue;
    }
    const draft = drafts.get(event.sessionId);
    if (!draft) continue;
    if (event.at > draft.lastAt) draft.lastAt = event.at;
    switch (event.type) {
      case 'update': draft.details = { ...draft.details, ...event.fields }; break;
      case 'action': draft.actions.push({ at: event.at, description: event.description, ...(event.details ? { details: event.details } : {}) }); break;
      case 'artifact':
        draft.artifacts.delete(event.artifact.fileName);
        draft.artifacts.set(event.artifact.fileName, event.artifact);
        break;
      case 'end': draft.endedAt = event.at; draft.outcome = event.outcome; break;
    }
  }
  return [...drafts.values()]
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.id.localeCompare(b.id))
    .map((d) => ({
      ...d.start,
      ...d.details,
      id: d.id,
      startedAt: d.startedAt,
      ...(d.endedAt !== undefined ? { endedAt: d.endedAt } : {}),
      ...(d.outcome !== undefined ? { outcome: d.outcome } : {}),
      actions: d.actions,
      artifacts: [...d.artifacts.values()],
      folder: folderOf(d.id),
    }));
}

/** When a session was last heard of: its end, else its latest event. Retention counts from here. */
export function lastActivity(events: readonly JournalEvent[]): Map<string, string> {
  const last = new Map<string, string>();
  for (const event of events) {
    const seen = last.get(event.sessionId);
    if (seen === undefined || event.at > seen) last.set(event.sessionId, event.at);
  }
  return last;
}
