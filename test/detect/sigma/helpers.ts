// Rules from a detection written inline, and events from plain objects, for the Sigma tests.
import { compileRule, isRefusal, parseRuleFile, RuleSet, type CompiledRule, type FieldValue, type LogSourceFields, type SigmaEvent, type SigmaRule } from '../../../src/detect/sigma/index.js';

type Fields = LogSourceFields['fields'];

/** Every field name exists (the permissive source). */
export const ANY_FIELD: Fields = { has: () => true };

/** A rule whose detection is `detection` (YAML, indented by the caller or not). */
export function rule(detection: string, title = 'test rule'): SigmaRule {
  const body = detection.replace(/^\n/, '');
  const indent = /^ */.exec(body)![0].length;
  const lines = body.split('\n').map((l) => `    ${l.slice(indent)}`).join('\n');
  const text = `title: ${title}\nid: 00000000-0000-0000-0000-000000000000\nlogsource:\n    product: linux\ndetection:\n${lines}\nlevel: high\n`;
  const parsed = parseRuleFile(text, 'test.yml');
  if (parsed.refused.length) throw new Error(parsed.refused[0]!.message);
  return parsed.rules[0]!;
}

export function compiled(detection: string, fields: Fields = ANY_FIELD, keywords = true): CompiledRule {
  const c = compileRule(rule(detection), { fields, keywords });
  if (isRefusal(c)) throw new Error(c.reason);
  return c;
}

/** The refusal reason for a detection, or '' when it compiles. */
export function refusal(detection: string, fields: Fields = ANY_FIELD, keywords = true): string {
  const c = compileRule(rule(detection), { fields, keywords });
  return isRefusal(c) ? c.reason : '';
}

export function event(fields: Record<string, FieldValue>, keywords: readonly string[] = []): SigmaEvent {
  return { get: (f) => (Object.prototype.hasOwnProperty.call(fields, f) ? fields[f] : undefined), keywords: () => keywords };
}

/** Whether the detection matches each of the events. */
export function hits(detection: string, ...events: SigmaEvent[]): boolean[] {
  const set = new RuleSet([compiled(detection)]);
  return events.map((e) => set.match(e).length > 0);
}
