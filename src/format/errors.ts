/**
 * A problem with a recording or with what the user asked for: shown as one line (no stack
 * trace unless --debug). `file` and `offset` say where; `hint` says what to do.
 */
export class RecordingError extends Error {
  readonly file: string | undefined;
  readonly offset: number | undefined;
  /** The message without the location prefix. */
  readonly reason: string;
  /** The errno name when a system call failed (ENOSPC...). */
  readonly code: string | undefined;

  constructor(message: string, where: { file?: string; offset?: number; cause?: unknown; code?: string } = {}) {
    const at = where.file === undefined ? '' : `${where.file}${where.offset === undefined ? '' : ` at offset ${where.offset}`}: `;
    super(`${at}${message}`, where.cause === undefined ? undefined : { cause: where.cause });
    this.name = 'RecordingError';
    this.reason = message;
    this.file = where.file;
    this.offset = where.offset;
    this.code = where.code ?? (where.cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

/** A wrong argument or option. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
