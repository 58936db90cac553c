/** Every failure of debugger attach, with a one-line actionable message and, where useful, the choices. */
import type { ProcessInfo } from './processes';

export type LaunchErrorCode =
  | 'no-process'
  | 'ambiguous-process'
  | 'runtime-unknown'
  | 'no-debug-agent'
  | 'ptrace-denied'
  | 'not-listening'
  | 'inject-failed'
  | 'unsupported'
  | 'no-pod'
  | 'invalid-configuration';

export class LaunchError extends Error {
  constructor(
    readonly code: LaunchErrorCode,
    message: string,
    /** For `ambiguous-process` (and `no-process` when other processes run): what the user can pick from. */
    readonly candidates: readonly ProcessInfo[] = [],
    /** Raw output of the failing step (debugger's stderr, …) for "Show Details". */
    readonly details?: string,
  ) {
    super(message);
    this.name = 'LaunchError';
  }
}
