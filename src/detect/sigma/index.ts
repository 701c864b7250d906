// The Sigma engine (Sigma specification v2): rule files parsed, rules compiled for a log
// source, run on events many rules at a time, or turned into DuckDB SQL for hunts. It knows
// no flightrec table: a log source is a set of field names and an event an accessor, both
// supplied by the caller's mapping.
//
//   parseRuleFile(text, file) -> { rules: SigmaRule[], refused: RuleRefusal[] }
//       One rule per YAML document; collections, correlations, filters and malformed
//       documents refused with a one-line message naming the file and rule. Never throws.
//   compileRule(rule, { fields, keywords }) -> CompiledRule | { reason }
//       Refused when the rule reads a field the source lacks (named), searches keywords where
//       the source has no keyword text, or uses anything not implemented. Never throws.
//   new RuleSet(compiled[]).match(event) -> RuleMatch[]
//       The matching rules in the given order, each with the fields that matched and their
//       values. An event is { get(field), keywords() }; each field is read and lowercased
//       at most once per match() call. Matching semantics: ruleset.ts.
//   ruleSql(compiledOrRule, columns, keywordsSql?) -> { sql } | { reason }
//       One DuckDB boolean expression meaning what the matcher means (sql.ts). ipHex(text)
//       is the address form a column's ipHex expression must produce.
export { parseRuleFile, ruleLabel, MAX_YAML_DEPTH, MAX_ALIASES, type SigmaRule, type RuleRefusal, type RuleFile } from './rule.js';
export { compileRule, type LogSourceFields } from './compile.js';
export { isRefusal, ANY, ONE, type CompiledRule, type Refusal, type Condition, type Detection, type Item, type ValueTest, type Part, type CompareOp, type Anchor } from './model.js';
export { RuleSet, type SigmaEvent, type FieldValue, type RuleMatch, type MatchedField } from './ruleset.js';
export { ruleSql, sqlString, type SqlColumn, type SqlColumns } from './sql.js';
export { ipHex } from './ip.js';
