// Which stored schemas a table file may have, and how each maps onto its table's declaration.
// A file records the schema version it was written under (`flightrec.schema_version` in its
// schema's metadata; a file without it is version 1, from before versions were recorded).
// It is read when its schema is exactly what the declaration was at that version: the
// columns there then (`flightrec.since`), in order, with the same names and types, and each
// enum with the labels it had then (`flightrec.enum_since`). Both facts come from
// src/schema/tables.ts through the generated schemas. A version newer than this build, or a
// schema no version had, is refused. Readers give the batches as the declaration, the
// columns added since as nulls (batch-widener.ts, analyze/parquet.ts); writers write the
// declaration only.
import { Field, Schema } from 'apache-arrow';
import { cutText } from '../text/escape.js';

const VERSION = 'flightrec.schema_version';
const SINCE = 'flightrec.since';
const ENUM = 'flightrec.enum';
const ENUM_SINCE = 'flightrec.enum_since';

/** A table file's schema, accepted: how its columns map onto the declaration. */
export interface StoredSchema {
  /** The schema version the file was written under. */
  readonly version: number;
  /** Per declared column, whether the file holds it; false: added since, read as nulls. */
  readonly present: readonly boolean[];
  /** The file holds every declared column. */
  readonly complete: boolean;
  /** The declaration with each enum's labels as of the file's version: what its codes are checked against. */
  readonly checked: Schema;
}

/** Why a file's schema is not read, as the one line to show after its name. */
export interface Refusal {
  readonly refused: string;
}

/** The schema version a schema's metadata gives (1 when it has none), or the text when that is not a version. */
function versionOf(schema: Schema): number | string {
  const v = schema.metadata.get(VERSION);
  if (v === undefined) return 1;
  return /^[1-9][0-9]{0,5}$/.test(v) ? Number(v) : v;
}

/** The schema version that added a declared column, or undefined for one there from the start. */
export function addedSince(f: Field): number | undefined {
  const v = f.metadata.get(SINCE);
  return v === undefined ? undefined : Number(v);
}

const sinceOf = (f: Field): number => addedSince(f) ?? 1;

/** A declared enum column's labels as schema version `version` had them, or undefined when it is not an enum. */
function labelsAt(f: Field, version: number): string | undefined {
  const labels = f.metadata.get(ENUM);
  const since = f.metadata.get(ENUM_SINCE);
  if (labels === undefined || since === undefined) return labels;
  const each = labels.split(',');
  return since.split(',').flatMap((v, i) => (Number(v) <= version ? [each[i]!] : [])).join(',');
}

/** What is shown of a file's text in a one-line message: escaped and cut short (a damaged schema may have no text where a name belongs). */
const shown = (s: string | null | undefined): string => (typeof s === 'string' ? cutText(s, 200) : '(none)');

/** Names, types and enum labels, in order, against `want`: what differs, or undefined. */
function fieldsDiffer(found: readonly Field[], want: readonly Field[]): string | undefined {
  if (found.length !== want.length) return `${found.length} columns, expected ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const f = found[i]!;
    const w = want[i]!;
    if (f.name !== w.name || String(f.type) !== String(w.type)) return `column ${i} is ${shown(f.name)}: ${shown(String(f.type))}, expected ${w.name}: ${w.type}`;
    const fl = f.metadata.get(ENUM);
    const wl = w.metadata.get(ENUM);
    if (fl !== wl) return `column ${i} ${w.name} has labels ${fl === undefined ? '(none)' : shown(fl)}, expected ${wl ?? 'none'}`;
  }
  return undefined;
}

/** A batch's schema against its table's declaration, exactly (names, types, enum labels): what differs, or undefined. */
export function schemaMismatch(found: Schema, want: Schema): string | undefined {
  return fieldsDiffer(found.fields, want.fields);
}

/**
 * Per schema version, the declaration as it was then: its columns, each enum with its
 * labels then; `present` says which declared columns that version had.
 */
function declarationAt(declared: Schema, version: number): { readonly fields: readonly Field[]; readonly present: readonly boolean[] } {
  const present = declared.fields.map((f) => sinceOf(f) <= version);
  const fields = declared.fields.flatMap((f, i) => {
    if (!present[i]) return [];
    const labels = labelsAt(f, version);
    return labels === f.metadata.get(ENUM) ? [f] : [new Field(f.name, f.type, f.nullable, new Map([...f.metadata, [ENUM, labels!]]))];
  });
  return { fields, present };
}

/** A table file's stored schema read against its table's declaration: accepted as a StoredSchema, or refused. */
export function storedSchema(found: Schema, declared: Schema): StoredSchema | Refusal {
  const current = versionOf(declared) as number;
  const version = versionOf(found);
  if (typeof version === 'string') return { refused: `corrupt Arrow stream: schema version ${shown(JSON.stringify(version))} is not a version number` };
  if (version > current) return { refused: `written under schema version ${version}, newer than this flightrec's ${current}: read it with a newer flightrec` };
  if (version === current) {
    const why = schemaMismatch(found, declared);
    if (why) return { refused: `corrupt Arrow stream: schema differs from the declared table: ${why}` };
    return { version, present: declared.fields.map(() => true), complete: true, checked: declared };
  }
  const then = declarationAt(declared, version);
  const why = fieldsDiffer(found.fields, then.fields);
  if (why) return { refused: `corrupt Arrow stream: schema differs from the declared table as of schema version ${version}: ${why}` };
  return { version, present: then.present, complete: then.fields.length === declared.fields.length, checked: withLabelsOf(declared, then) };
}

/** The declaration, each enum column a version had with the labels it had then. */
function withLabelsOf(declared: Schema, then: ReturnType<typeof declarationAt>): Schema {
  let j = 0;
  const fields = declared.fields.map((w, i) => (then.present[i] ? then.fields[j++]! : w));
  return fields.every((f, i) => f === declared.fields[i]) ? declared : new Schema(fields, declared.metadata);
}
