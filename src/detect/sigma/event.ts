// An event as Sigma rules see it, and the per-event memo a RuleSet reads it through: each
// field's value, text and lowercased text computed at most once per event (a generation
// number marks what belongs to the current event, so the caller resets nothing).
import { lowerText } from './pattern.js';

/** A field's value in an event: a list (e.g. argv) matches when any element does. */
export type FieldValue = string | number | bigint | boolean | null | undefined | readonly string[];

/** An event as the rules see it: fields by name, and the texts keyword searches look in. */
export interface SigmaEvent {
  get(field: string): FieldValue;
  keywords(): readonly string[];
}

/** A field's text: a string, a list's strings, or null when it has no value. */
export type Text = string | readonly string[] | null;

/** The per-event memo of a set's fields, by slot. */
export class EventContext {
  event!: SigmaEvent;
  private gen = 0;
  private readonly rawGen: Float64Array;
  private readonly textGen: Float64Array;
  private readonly lowGen: Float64Array;
  private readonly raws: FieldValue[];
  private readonly texts: Text[];
  private readonly lows: Text[];
  private kwGen = -1;
  private kwLowGen = -1;
  private kw: readonly string[] = [];
  private kwLow: readonly string[] = [];

  constructor(private readonly fields: readonly string[]) {
    this.rawGen = new Float64Array(fields.length).fill(-1);
    this.textGen = new Float64Array(fields.length).fill(-1);
    this.lowGen = new Float64Array(fields.length).fill(-1);
    this.raws = new Array<FieldValue>(fields.length);
    this.texts = new Array<Text>(fields.length).fill(null);
    this.lows = new Array<Text>(fields.length).fill(null);
  }

  start(event: SigmaEvent): void {
    this.event = event;
    this.gen++;
  }

  raw(slot: number): FieldValue {
    if (this.rawGen[slot] !== this.gen) {
      this.raws[slot] = this.event.get(this.fields[slot]!);
      this.rawGen[slot] = this.gen;
    }
    return this.raws[slot];
  }

  text(slot: number): Text {
    if (this.textGen[slot] !== this.gen) {
      const v = this.raw(slot);
      this.texts[slot] = v === null || v === undefined ? null : typeof v === 'string' ? v : Array.isArray(v) ? listText(v) : String(v);
      this.textGen[slot] = this.gen;
    }
    return this.texts[slot]!;
  }

  lower(slot: number): Text {
    if (this.lowGen[slot] !== this.gen) {
      const t = this.text(slot);
      this.lows[slot] = t === null ? null : typeof t === 'string' ? lowerText(t) : t.map(lowerText);
      this.lowGen[slot] = this.gen;
    }
    return this.lows[slot]!;
  }

  keywords(): readonly string[] {
    if (this.kwGen !== this.gen) {
      this.kw = this.event.keywords();
      this.kwGen = this.gen;
    }
    return this.kw;
  }

  keywordsLower(): readonly string[] {
    if (this.kwLowGen !== this.gen) {
      this.kwLow = this.keywords().map(lowerText);
      this.kwLowGen = this.gen;
    }
    return this.kwLow;
  }
}

/** A list's texts: elements without a value dropped (as SQL's list_filter drops NULLs), others as text. */
function listText(v: readonly unknown[]): readonly string[] {
  return v.every((x) => typeof x === 'string') ? (v as readonly string[]) : v.filter((x) => x !== null && x !== undefined).map(String);
}

export const anyText = (t: Text, f: (s: string) => boolean): boolean => (t === null ? false : typeof t === 'string' ? f(t) : t.some(f));

export const anyValue = (v: FieldValue, f: (x: string | number | bigint | boolean) => boolean): boolean =>
  v === null || v === undefined ? false : Array.isArray(v) ? (v as readonly string[]).some(f) : f(v as string | number | bigint | boolean);
