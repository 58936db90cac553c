/** The target filesystem's own error type: vscode-free, mapped to vscode.FileSystemError by src/ui/targetFsProvider.ts. */

export type TargetFsErrorCode =
  | 'FileNotFound'
  | 'FileExists'
  | 'NoPermissions'
  | 'FileIsADirectory'
  | 'FileNotADirectory'
  | 'Unavailable'
  /** The file changed on the target since we read it, and the overwrite was not confirmed. */
  | 'Conflict'
  | 'Cancelled'
  /** Anything else (ENOTEMPTY, ELOOP, ENOSPC, a failed integrity check, …): the message says what. */
  | 'Unknown';

export class TargetFsError extends Error {
  constructor(readonly code: TargetFsErrorCode, message: string, readonly path?: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'TargetFsError';
  }
}

/** Error codes the scripts print as `!ERR <CODE> <message>` on stderr (exit 3), mapped to TargetFsErrorCode. */
const ERRNO_CODES: Record<string, TargetFsErrorCode> = {
  ENOENT: 'FileNotFound',
  EEXIST: 'FileExists',
  EACCES: 'NoPermissions',
  EPERM: 'NoPermissions',
  EROFS: 'NoPermissions',
  EISDIR: 'FileIsADirectory',
  ENOTDIR: 'FileNotADirectory',
  ECONFLICT: 'Conflict',
  ELOOP: 'Unknown',
  ENOTEMPTY: 'Unknown',
  EINCOMPLETE: 'Unknown',
  ENOSPC: 'Unknown',
  EGONE: 'Unavailable',
};

export function codeForErrno(errno: string): TargetFsErrorCode {
  return ERRNO_CODES[errno] ?? 'Unknown';
}

/** Tool messages (busybox and GNU spell them the same: strerror) → errno names. */
const MESSAGE_ERRNOS: [RegExp, string][] = [
  [/No such file or directory/i, 'ENOENT'],
  [/Read-only file system/i, 'EROFS'],
  [/Permission denied/i, 'EACCES'],
  [/Operation not permitted/i, 'EPERM'],
  [/File exists/i, 'EEXIST'],
  [/Is a directory/i, 'EISDIR'],
  [/Not a directory/i, 'ENOTDIR'],
  [/Directory not empty/i, 'ENOTEMPTY'],
  [/Too many (levels of )?symbolic links/i, 'ELOOP'],
  [/No space left on device/i, 'ENOSPC'],
];

export function errnoFromMessage(text: string): string | undefined {
  return MESSAGE_ERRNOS.find(([re]) => re.test(text))?.[1];
}
