// Errors crossing from a detection thread to the thread that supervises it: a refusal (the
// user's mistake: exit 2), a bad recording (one line naming the file) or an internal failure
// keep their kind, so the CLI ends the same way it would have in one thread.
import { RecordingError, UsageError } from '../format/errors.js';

export interface ThreadError {
  readonly kind: 'usage' | 'recording' | 'internal';
  readonly message: string;
  /** A RecordingError's parts. */
  readonly reason?: string;
  readonly file?: string;
  readonly offset?: number;
}

export function toThreadError(err: unknown): ThreadError {
  if (err instanceof UsageError) return { kind: 'usage', message: err.message };
  if (err instanceof RecordingError) {
    return { kind: 'recording', message: err.message, reason: err.reason, ...(err.file !== undefined ? { file: err.file } : {}), ...(err.offset !== undefined ? { offset: err.offset } : {}) };
  }
  return { kind: 'internal', message: (err as Error)?.stack ?? String(err) };
}

export function fromThreadError(e: ThreadError): Error {
  if (e.kind === 'usage') return new UsageError(e.message);
  if (e.kind === 'recording') return new RecordingError(e.reason ?? e.message, { ...(e.file !== undefined ? { file: e.file } : {}), ...(e.offset !== undefined ? { offset: e.offset } : {}) });
  const err = new Error(e.message.split('\n')[0]);
  err.stack = e.message;
  return err;
}
