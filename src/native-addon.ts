// Loads the native addon (native/build/flightrec.node) once. Its recorder side is typed in
// record/native.ts, its table sink in format/table-sink.ts.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { RecordingError } from './format/errors.js';
import { packageRoot } from './paths.js';

export const ADDON_PATH = join(packageRoot(), 'native', 'build', 'flightrec.node');

let addon: unknown;

/** The addon's exports, untyped: each user types the part it uses. */
export function requireAddon(): unknown {
  if (addon) return addon;
  if (!existsSync(ADDON_PATH)) {
    throw new RecordingError(`the native addon (recorder and table writer) is not built (${ADDON_PATH} is missing): run scripts/setup.sh`);
  }
  addon = createRequire(import.meta.url)(ADDON_PATH);
  return addon;
}
