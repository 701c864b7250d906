// The Sigma engine: rule files parsed (rule.ts), compiled for a log source's fields
// (compile.ts), run on events many rules at a time (ruleset.ts), or turned into DuckDB SQL for
// hunts (sql.ts). It knows no flightrec table: a log source is a set of field names and an
// event is an accessor, both supplied by the caller's mapping.
//
//   const { rules, refused } = parseRuleFile(text, file);
//   const compiled = compileRule(rule, { fields: new Set(['Image', 'CommandLine']), keywords: false });
//   if (isRefusal(compiled)) report(compiled.reason);
//   const set = new RuleSet([compiled, ...]);
//   for (const m of set.match(event)) alert(m.rule.rule.title, m.fields);
//   const where = ruleSql(compiled, (field) => columnOf(field), keywordsSql);
export { parseRuleFile, ruleLabel, MAX_YAML_DEPTH, MAX_ALIASES, type SigmaRule, type RuleRefusal, type RuleFile } from './rule.js';
export { compileRule, type LogSourceFields } from './compile.js';
export { isRefusal, ANY, ONE, type CompiledRule, type Refusal, type Condition, type Detection, type Item, type ValueTest, type Part, type CompareOp, type Anchor } from './model.js';
export { RuleSet, matches, type SigmaEvent, type FieldValue, type RuleMatch, type MatchedField } from './ruleset.js';
export { ruleSql, sqlString, type SqlColumn, type SqlColumns } from './sql.js';
