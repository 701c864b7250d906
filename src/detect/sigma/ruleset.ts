// Compiled Sigma rules run over events, many rules on one event at once. Each field the set's
// rules read gets a slot in the event memo (event.ts), so a field is read and lowercased once
// per event however many rules read it. Literal tests compile to ===, startsWith, endsWith and
// includes on lowercased text; a wildcard inside the text to a glob matcher that does not
// backtrack (values.ts, pattern.ts). Evidence is gathered only for the rules that matched.
//
// Semantics, where Sigma leaves them to the backend:
// - a field value that is a list (argv) matches when any element matches;
// - numbers and booleans are matched as their text by string values ('4688', 'true');
// - number values (and gt/gte/lt/lte) match numbers, and text that is a plain decimal
//   ('-12', '3.5'), numerically;
// - null matches a field without a value (undefined or null); `exists: true` its opposite;
// - keywords match when any keyword text of the event contains them (case-insensitively).
import type { BlockList } from 'node:net';
import { anyText, anyValue, EventContext, type FieldValue, type SigmaEvent, type Text } from './event.js';
import { cidrBlockList, inBlockList } from './ip.js';
import type { CompiledRule, Condition, Detection, Item, ValueTest } from './model.js';
import { lowerText } from './pattern.js';
import { ANCHORS, compare, numeric, stringsTest, stringTest } from './values.js';

export type { FieldValue, SigmaEvent } from './event.js';

/** A field of a matching rule that took part in the match, with the event's value (null field: keywords). */
export interface MatchedField {
  readonly field: string | null;
  readonly value: FieldValue;
}

export interface RuleMatch {
  readonly rule: CompiledRule;
  /** The rule's position in the set. */
  readonly index: number;
  /** In the order the rule names the fields; keywords last. */
  readonly fields: readonly MatchedField[];
}

type Pred = (ctx: EventContext) => boolean;

class Compiler {
  readonly fields: string[] = [];
  private readonly slots = new Map<string, number>();
  /** The predicate of every item, detection and condition node, for gathering evidence. */
  readonly preds = new Map<object, Pred>();

  slot(field: string): number {
    let s = this.slots.get(field);
    if (s === undefined) {
      s = this.fields.length;
      this.fields.push(field);
      this.slots.set(field, s);
    }
    return s;
  }

  /** One value test of a field (slot) or, with slot -1, of the keyword texts. */
  private test(t: ValueTest, slot: number): Pred {
    const kw = slot < 0;
    const text = kw ? (c: EventContext): Text => c.keywords() : (c: EventContext): Text => c.text(slot);
    const lower = kw ? (c: EventContext): Text => c.keywordsLower() : (c: EventContext): Text => c.lower(slot);
    switch (t.kind) {
      case 'string': {
        const f = stringTest(t);
        if (t.cased) return (c) => anyText(text(c), f);
        return (c) => anyText(lower(c), f);
      }
      case 're': {
        const re = new RegExp(t.source, t.flags);
        return (c) => anyText(text(c), (s) => re.test(s));
      }
      case 'cidr': {
        const list: BlockList = cidrBlockList(t.cidr);
        return (c) => anyText(text(c), (s) => inBlockList(list, s));
      }
      case 'number': {
        const { op, value } = t;
        return (c) => anyValue(c.raw(slot), (x) => {
          const n = numeric(x);
          return n !== undefined && compare(n, op, value);
        });
      }
      case 'bool': {
        const { value } = t;
        const word = String(value);
        return (c) => anyValue(c.raw(slot), (x) => x === value || (typeof x === 'string' && lowerText(x) === word));
      }
      case 'null':
        return (c) => {
          const v = c.raw(slot);
          return v === null || v === undefined;
        };
      case 'exists': {
        const want = t.value;
        return (c) => {
          const v = c.raw(slot);
          return (v !== null && v !== undefined) === want;
        };
      }
      case 'fieldref': {
        const other = this.slot(t.field);
        const rel = ANCHORS[t.anchor];
        const get = t.cased ? (c: EventContext, s: number) => c.text(s) : (c: EventContext, s: number) => c.lower(s);
        return (c) => {
          const b = get(c, other);
          return anyText(get(c, slot), (a) => anyText(b, (y) => rel(a, y)));
        };
      }
    }
  }

  item(it: Item): Pred {
    const slot = it.field === null ? -1 : this.slot(it.field);
    const p = this.stringItem(it, slot) ?? (it.all ? and : or)(it.values.map((variants) => or(variants.map((t) => this.test(t, slot)))));
    return it.negated ? (c: EventContext) => !p(c) : p;
  }

  /**
   * An item whose values are all text patterns of one case mode (most of SigmaHQ's: an
   * `Image|endswith` list) as one test of the text: fetched once, then a Set for the equal
   * values and loops over the prefixes, suffixes and substrings, not a closure per value.
   */
  private stringItem(it: Item, slot: number): Pred | undefined {
    const tests = it.values.flat();
    const first = tests[0];
    if (first?.kind !== 'string' || !tests.every((t) => t.kind === 'string' && t.cased === first.cased)) return undefined;
    const get = slot < 0 ? (first.cased ? (c: EventContext): Text => c.keywords() : (c: EventContext): Text => c.keywordsLower()) : first.cased ? (c: EventContext): Text => c.text(slot) : (c: EventContext): Text => c.lower(slot);
    const anyOf = (ts: readonly ValueTest[]): ((s: string) => boolean) => stringsTest(ts as Extract<ValueTest, { kind: 'string' }>[]);
    if (!it.all) {
      const f = anyOf(tests);
      return (c) => anyText(get(c), f);
    }
    // all: each value on its own, as a list field needs each value in some element.
    const fs = it.values.map(anyOf);
    return (c) => {
      const t = get(c);
      for (const f of fs) if (!anyText(t, f)) return false;
      return true;
    };
  }

  detection(d: Detection): Pred {
    let p: Pred;
    if (d.kind === 'item') p = this.item(d.item);
    else {
      const children = d.children.map((x) => this.detection(x));
      p = d.kind === 'and' ? and(children) : or(children);
    }
    this.preds.set(d, p);
    return p;
  }

  condition(c: Condition, detections: ReadonlyMap<string, Pred>): Pred {
    let p: Pred;
    switch (c.kind) {
      case 'ref':
        p = detections.get(c.name)!;
        break;
      case 'not': {
        const q = this.condition(c.child, detections);
        p = (x) => !q(x);
        break;
      }
      default: {
        const children = c.children.map((x) => this.condition(x, detections));
        p = c.kind === 'and' ? and(children) : or(children);
      }
    }
    this.preds.set(c, p);
    return p;
  }
}

function and(ps: readonly Pred[]): Pred {
  if (ps.length === 1) return ps[0]!;
  if (ps.length === 2) {
    const [a, b] = ps as [Pred, Pred];
    return (c) => a(c) && b(c);
  }
  return (c) => {
    for (const p of ps) if (!p(c)) return false;
    return true;
  };
}

function or(ps: readonly Pred[]): Pred {
  if (ps.length === 1) return ps[0]!;
  if (ps.length === 2) {
    const [a, b] = ps as [Pred, Pred];
    return (c) => a(c) || b(c);
  }
  return (c) => {
    for (const p of ps) if (p(c)) return true;
    return false;
  };
}

interface Entry {
  readonly rule: CompiledRule;
  readonly index: number;
  readonly pred: Pred;
}

/** Compiled rules evaluated together on each event, in the order given. */
export class RuleSet {
  private readonly entries: Entry[];
  private readonly compiler = new Compiler();
  private readonly ctx: EventContext;

  constructor(readonly rules: readonly CompiledRule[]) {
    this.entries = rules.map((rule, index) => {
      const dets = new Map([...rule.detections].map(([name, d]) => [name, this.compiler.detection(d)]));
      return { rule, index, pred: this.compiler.condition(rule.condition, dets) };
    });
    this.ctx = new EventContext(this.compiler.fields);
  }

  /** The fields the set's rules read, each once (what a caller must be able to get()). */
  get fields(): readonly string[] {
    return this.compiler.fields;
  }

  /** The rules that match the event, in the set's order. */
  match(event: SigmaEvent): RuleMatch[] {
    const ctx = this.ctx;
    ctx.start(event);
    const out: RuleMatch[] = [];
    for (const e of this.entries) if (e.pred(ctx)) out.push({ rule: e.rule, index: e.index, fields: this.evidence(e.rule, ctx) });
    return out;
  }

  /**
   * The fields of the items that hold along the parts of the condition that hold, outside
   * any `not` (what a `not` excluded is no evidence).
   */
  private evidence(rule: CompiledRule, ctx: EventContext): MatchedField[] {
    const fields = new Set<string>();
    let keywords = false;
    const preds = this.compiler.preds;
    const walkDetection = (d: Detection): void => {
      if (!preds.get(d)!(ctx)) return;
      if (d.kind !== 'item') {
        for (const x of d.children) walkDetection(x);
        return;
      }
      if (d.item.negated) return;
      if (d.item.field === null) keywords = true;
      else fields.add(d.item.field);
      for (const v of d.item.values) for (const t of v) if (t.kind === 'fieldref') fields.add(t.field);
    };
    const walk = (c: Condition): void => {
      if (c.kind === 'not' || !preds.get(c)!(ctx)) return;
      if (c.kind === 'ref') walkDetection(rule.detections.get(c.name)!);
      else for (const x of c.children) walk(x);
    };
    walk(rule.condition);
    const out: MatchedField[] = rule.fields.filter((f) => fields.has(f)).map((field) => ({ field, value: ctx.raw(this.compiler.slot(field)) }));
    if (keywords) out.push({ field: null, value: ctx.keywords() });
    return out;
  }
}
