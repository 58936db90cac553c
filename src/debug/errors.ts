/** Why a debug container spec was refused; lets callers react (e.g. offer another profile) without parsing text. */
export type DebugSpecErrorCode =
  | 'invalid-pod'
  | 'namespace-not-allowed'
  | 'unknown-profile'
  | 'invalid-policy'
  | 'invalid-image'
  | 'image-not-allowed'
  | 'digest-required'
  | 'invalid-option'
  | 'invalid-name'
  | 'duplicate-name'
  | 'invalid-target'
  | 'invalid-custom'
  | 'profile-not-allowed'
  | 'session-limit'
  | 'pod-security-pod'
  | 'pod-security-container'
  | 'node-debug-not-allowed';

/**
 * A refusal with a one-line, actionable message: what failed, why, and what to do. Thrown before anything is
 * sent to the cluster.
 */
export class DebugSpecError extends Error {
  constructor(
    readonly code: DebugSpecErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DebugSpecError';
  }
}
