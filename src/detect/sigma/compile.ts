// A parsed Sigma rule into its compiled detection (model.ts) for one log source, or a refusal
// naming what does not fit: a field the source lacks, a keyword search where the source has no
// keyword text, a modifier or condition form flightrec does not run, a malformed detection.
// Nothing unsupported is skipped: a rule runs as written or not at all.
import { parseCondition } from './condition.js';
import type { CompiledRule, Condition, Detection, Item, Refusal } from './model.js';
import { DetectionError, MAX_RULE_TESTS, compileItem, type TestBudget } from './modifiers.js';
import { quote, type SigmaRule } from './rule.js';

/** What a log source offers rules: its field names (a Set will do), and whether events have keyword text. */
export interface LogSourceFields {
  readonly fields: { has(field: string): boolean };
  readonly keywords: boolean;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function mapDetection(m: Record<string, unknown>, budget: TestBudget): Detection {
  const keys = Object.keys(m);
  if (keys.length === 0) throw new DetectionError('a selection map is empty');
  const children: Detection[] = keys.map((k) => ({ kind: 'item', item: compileItem(k, m[k], budget) }));
  return children.length === 1 ? children[0]! : { kind: 'and', children };
}

function searchIdentifier(name: string, value: unknown, budget: TestBudget): Detection {
  try {
    if (isMap(value)) return mapDetection(value, budget);
    if (Array.isArray(value)) {
      if (value.length === 0) throw new DetectionError('it is an empty list');
      const maps = value.filter(isMap);
      const scalars = value.filter((v) => !isMap(v));
      if (scalars.some(Array.isArray)) throw new DetectionError('it holds a nested list');
      const children: Detection[] = maps.map((m) => mapDetection(m, budget));
      if (scalars.length > 0) children.unshift({ kind: 'item', item: compileItem('', scalars, budget) });
      return children.length === 1 ? children[0]! : { kind: 'or', children };
    }
    if (typeof value === 'string' || typeof value === 'number') return { kind: 'item', item: compileItem('', value, budget) };
    throw new DetectionError(value === null || value === undefined ? 'it is empty' : 'it must be a map, a list or a keyword');
  } catch (e) {
    if (e instanceof DetectionError) throw new DetectionError(`search identifier ${quote(name)}: ${e.message}`);
    throw e;
  }
}

function refs(c: Condition, out: Set<string>): Set<string> {
  if (c.kind === 'ref') out.add(c.name);
  else if (c.kind === 'not') refs(c.child, out);
  else for (const x of c.children) refs(x, out);
  return out;
}

function items(d: Detection, out: Item[]): Item[] {
  if (d.kind === 'item') out.push(d.item);
  else for (const c of d.children) items(c, out);
  return out;
}

/** Compiles `rule` for a log source; never throws for anything in the rule. */
export function compileRule(rule: SigmaRule, source: LogSourceFields): CompiledRule | Refusal {
  try {
    const names = [...rule.detection.keys()];
    const conds = rule.condition.map((c) => parseCondition(c, names));
    const condition: Condition = conds.length === 1 ? conds[0]! : { kind: 'or', children: conds };
    const detections = new Map<string, Detection>();
    // In the rule's order, so the fields (and the evidence) come in the order the rule has them.
    const used = refs(condition, new Set());
    const budget: TestBudget = { left: MAX_RULE_TESTS };
    for (const name of names) if (used.has(name)) detections.set(name, searchIdentifier(name, rule.detection.get(name), budget));
    const fields: string[] = [];
    let keywords = false;
    for (const d of detections.values()) {
      for (const it of items(d, [])) {
        if (it.field === null) keywords = true;
        else if (!fields.includes(it.field)) fields.push(it.field);
        for (const variants of it.values) for (const t of variants) if (t.kind === 'fieldref' && !fields.includes(t.field)) fields.push(t.field);
      }
    }
    const missing = fields.filter((f) => !source.fields.has(f));
    if (missing.length > 0) return { reason: `${missing.length === 1 ? 'field' : 'fields'} ${missing.map(quote).join(', ')} not in this log source` };
    if (keywords && !source.keywords) return { reason: 'keyword search, and this log source has no keyword text' };
    return { rule, condition, detections, fields, keywords };
  } catch (e) {
    if (e instanceof DetectionError) return { reason: e.message };
    throw e;
  }
}
