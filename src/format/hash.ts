// SHA-256 of a file already opened and checked (see confined-dir.ts), over the size it had
// when it was opened: a file that grows while it is hashed cannot make the hash run forever.
import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import type { OpenFile } from './confined-dir.js';
import { RecordingError } from './errors.js';

export function sha256Of(f: OpenFile, size = f.size): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(size, 1)));
  for (let at = 0; at < size;) {
    const n = readSync(f.fd, buf, 0, Math.min(buf.length, size - at), at);
    if (n === 0) throw new RecordingError(`file changed while hashing (ends at ${at} of ${size} bytes)`, { file: f.path, offset: at });
    h.update(buf.subarray(0, n));
    at += n;
  }
  return h.digest('hex');
}
