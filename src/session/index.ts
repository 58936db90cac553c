/** The session audit API the UI adapter uses: ids, identity, the journal, export and recording. */
export { newSessionId, isValidSessionId, SESSION_ID_PATTERN } from './sessionId';
export { resolveIdentity, UNKNOWN_USER, type SessionIdentity, type IdentitySource } from './identity';
export { SessionJournal, SessionRecord, type SessionJournalOptions } from './journal';
export { SessionAnnouncer, type SessionAnnouncerOptions } from './announcer';
export { SessionArchiver, archiveFileName, type SessionArchiverOptions } from './archive';
export { SESSION_ENDED_REASON, SESSION_STARTED_REASON, EVENT_ANNOTATION, sessionEndedEvent, sessionStartedEvent } from './clusterEvents';
export { artifactNameProblem } from './artifacts';
export { exportSessionFolder, exportSessionZip, exportedRecord, type SessionExport } from './export';
export {
  CastRecorder, RECORDING_BANNER, recordingBanner, startSessionRecording, CAST_MEDIA_TYPE,
  type CastRecorderOptions, type SessionRecording, type SessionRecordingOptions,
} from './recording';
export type {
  ArtifactInfo, ArtifactInput, ArtifactKind, JournalEvent, JsonValue, SessionAction, SessionDetails, SessionKind,
  SessionOutcome, SessionStart, SessionSummary,
} from './types';
