// The shape a detector must have, checked before any event is read: a detector that names
// an unknown table or column is refused with the name of what is wrong.
import { SCHEMAS } from '../schema/arrow.generated.js';
import { TABLE_NAMES } from '../schema/tables.js';
import type { Detector } from './api.js';

const NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** A tag as Sigma writes them: `namespace.name`, lower case (attack.t1059.004, cve.2021-44228). */
const TAG = /^[a-z0-9_-]+\.[a-z0-9_.-]+$/;

/** Checks tags (of a detector or an alert); throws naming what is wrong. */
export function checkTags(tags: unknown, who: string): asserts tags is readonly string[] {
  if (!Array.isArray(tags) || tags.length > 64 || !tags.every((t) => typeof t === 'string' && t.length <= 64 && TAG.test(t))) {
    throw new Error(`${who}: tags must be a list of at most 64 lower-case tags such as attack.t1059.004`);
  }
}

export const EVENT_TABLES = TABLE_NAMES.filter((t) => t !== 'alert');

export function checkDetector(d: unknown): asserts d is Detector {
  const x = d as Partial<Detector> | null;
  if (typeof x !== 'object' || x === null) throw new Error('a detector must be an object');
  const who = typeof x.name === 'string' ? `detector ${x.name}` : 'detector';
  if (typeof x.name !== 'string' || !NAME.test(x.name)) throw new Error(`${who}: name must be lower-case words joined by '-' (got ${JSON.stringify(x.name)})`);
  if (typeof x.version !== 'string' || x.version.length === 0 || x.version.length > 32) throw new Error(`${who}: version must be a string of 1 to 32 characters`);
  if (typeof x.description !== 'string') throw new Error(`${who}: description must be a string`);
  if (x.tags !== undefined) checkTags(x.tags, who);
  if (typeof x.create !== 'function') throw new Error(`${who}: create must be a function returning the handlers`);
  if (typeof x.tables !== 'object' || x.tables === null || Object.keys(x.tables).length === 0) throw new Error(`${who}: tables must name at least one table`);
  for (const [table, needs] of Object.entries(x.tables)) {
    if (!(EVENT_TABLES as readonly string[]).includes(table)) throw new Error(`${who}: unknown table '${table}' (tables: ${EVENT_TABLES.join(', ')})`);
    const fields = SCHEMAS[table as keyof typeof SCHEMAS].fields.map((f) => f.name);
    const n = (needs ?? {}) as { columns?: unknown; where?: unknown };
    if (n.columns !== undefined && !Array.isArray(n.columns)) throw new Error(`${who}: tables.${table}.columns must be a list of column names`);
    for (const c of (n.columns as unknown[] | undefined) ?? []) {
      if (typeof c !== 'string' || !fields.includes(c)) throw new Error(`${who}: table ${table} has no column ${JSON.stringify(c)} (columns: ${fields.join(', ')})`);
    }
    if (n.where !== undefined && (typeof n.where !== 'object' || n.where === null)) throw new Error(`${who}: tables.${table}.where must map columns to lists of values`);
    for (const c of Object.keys((n.where as object | undefined) ?? {})) {
      if (!fields.includes(c)) throw new Error(`${who}: table ${table} has no column ${JSON.stringify(c)} (columns: ${fields.join(', ')})`);
    }
  }
}

/**
 * A checked plain copy of a detector a module exports: its fields are read once, here, so
 * nothing that reads them later (names in messages, declared tables) runs the module's
 * getters, and what was checked is what is used.
 */
export function ownDetector(d: unknown): Detector {
  if (typeof d !== 'object' || d === null) throw new Error('a detector must be an object');
  const x = d as Record<string, unknown>;
  const create = x.create;
  const tables = x.tables === undefined ? undefined : (JSON.parse(JSON.stringify(x.tables) ?? 'null') as unknown);
  const copy = {
    name: x.name, version: x.version, description: x.description, tables,
    ...(x.tags !== undefined ? { tags: Array.isArray(x.tags) ? [...(x.tags as unknown[])] : x.tags } : {}),
    create: typeof create === 'function' ? (ctx: unknown) => (create as (c: unknown) => unknown).call(d, ctx) : create,
  };
  checkDetector(copy);
  return copy;
}
