// Sigma rules on the command line: `--sigma PATH...` of replay, detectors and record (the
// rules read and checked here, before any event is read), and `flightrec sigma check`, which
// says of every rule whether it runs and, if not, why.
import type { Command } from 'commander';
import { FORMATS, chooseFormat } from '../analyze/formats.js';
import type { HuntRule } from '../detect/sigma/hunt.js';
import type { RefusedRule, RuleText, SupportedRule } from '../detect/sigma/rules.js';
import { UsageError } from '../format/errors.js';
import { EXIT, plural, say, warn } from './output.js';
import { runQuery, sourceOptions, tableWidth, type SourceFlags } from './sql.js';
import { chooseTz, tzOption } from './tz.js';

/** What a refusal is, for counting: its reason without the rule's particulars. */
function kindOf(r: RefusedRule): string {
  return r.reason.replace(/'[^']*'/g, '…').replace(/ \(.*$/, '');
}

/** Refusals counted by kind, most first: `53 service auditd: ..., 2 field … not in this log source`. */
function countRefusals(refused: readonly RefusedRule[]): string {
  const counts = new Map<string, number>();
  for (const r of refused) counts.set(kindOf(r), (counts.get(kindOf(r)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k, n]) => `${n} ${k}`).join('; ');
}

/**
 * The rules of the files of `paths`, every one of them compiled: those that cannot run are
 * said in one line (`flightrec sigma check` names each); none that can is a usage error.
 */
async function loadRules(paths: readonly string[]): Promise<{ rules: RuleText[]; supported: SupportedRule[] }> {
  const { compileRules, readRuleFiles } = await import('../detect/sigma/rules.js');
  const rules = readRuleFiles(paths);
  const { supported, refused } = compileRules(rules);
  if (supported.length === 0) {
    throw new UsageError(refused.length === 1 ? refused[0]!.message : `--sigma: none of the ${refused.length} rules can run here: ${countRefusals(refused)}`);
  }
  if (refused.length > 0) {
    warn(`flightrec: ${refused.length} of ${supported.length + refused.length} Sigma rules cannot run here and are left out (${countRefusals(refused)}); flightrec sigma check ${paths.join(' ')} names them`);
  }
  return { rules, supported };
}

/** The `sigma` detector's options for the rule files of `paths`: their text, which the detection thread compiles. */
export async function sigmaOptions(paths: readonly string[]): Promise<{ rules: RuleText[] }> {
  return { rules: (await loadRules(paths)).rules };
}

interface CheckFlags { json?: boolean; refused?: boolean }
interface HuntFlags extends SourceFlags { sigma?: string[]; showSql?: boolean; format?: string; output?: string; maxWidth?: string; tz?: string }

export function register(program: Command): void {
  const sigma = program.command('sigma').description('Sigma rules: which run on flightrec\'s recordings');
  sigma.command('check')
    .description('list every rule of the files (or directories of .yml files) as supported, with its log source, or refused, with the reason; exit 1 if any is refused')
    .argument('<paths...>', 'rule files or directories')
    .option('--refused', 'list only the refused rules')
    .option('--json', 'print JSON: one object per rule')
    .action(async (paths: string[], f: CheckFlags) => {
      const [{ compileRules, readRuleFiles }, { table }] = await Promise.all([import('../detect/sigma/rules.js'), import('../text/table.js')]);
      const { supported, refused } = compileRules(readRuleFiles(paths));
      const rows = [
        ...(f.refused ? [] : supported.map((s: SupportedRule) => ({ status: 'supported', file: s.rule.rule.file, title: s.rule.rule.title, id: s.rule.rule.id ?? null, source: s.source, reason: null, note: s.note ?? null }))),
        ...refused.map((r) => ({ status: 'refused', file: r.file, title: r.title ?? null, id: r.id ?? null, source: null, reason: r.reason, note: null })),
      ].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
      if (f.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      } else {
        say(table([['status', 'log source', 'rule', 'file', 'reason (or note)'], ...rows.map((r) => [r.status, r.source ?? '', r.title ?? '', r.file, r.reason ?? (r.note !== null ? `runs, but ${r.note}` : '')])], new Set(), { rule: true, ...(process.stdout.isTTY ? { maxWidth: process.stdout.columns } : {}) }));
        const bySource = new Map<string, number>();
        for (const s of supported) bySource.set(s.source, (bySource.get(s.source) ?? 0) + 1);
        say(`\n${plural(supported.length, 'rule')} supported${bySource.size > 0 ? ` (${[...bySource].map(([s, n]) => `${n} ${s}`).join(', ')})` : ''}, ${refused.length} refused${refused.length > 0 ? `: ${countRefusals(refused)}` : ''}`);
      }
      process.exitCode = refused.length > 0 ? EXIT.failure : EXIT.ok;
    });

  tzOption(sourceOptions(program.command('hunt')
    .description('run Sigma rules as SQL over recordings (or a fleet export): every event a rule matches, in the recordings\' order; the same matches replay --sigma finds')
    .argument('[recordings...]', 'recording directories (none with --fleet or --show-sql)')
    .requiredOption('--sigma <paths...>', 'Sigma rules: .yml files, or directories of them')
    .option('--show-sql', 'print the query instead of running it (it runs in flightrec sql, over recordings or a fleet)')
    .option('-f, --format <format>', `output format: ${FORMATS.join(', ')} (default: the one -o's extension names, else table)`)
    .option('-o, --output <file>', 'write the matches to this file')
    .option('--max-width <columns>', 'the widest a line of the table may be (default: the terminal\'s width; 0: no limit)')))
    .action(async (recordings: string[], f: HuntFlags) => {
      const format = chooseFormat(f.format, f.output);
      const tz = chooseTz(f.tz);
      const maxWidth = tableWidth(f.maxWidth, f.output);
      if (!f.showSql && f.fleet === undefined && recordings.length === 0) throw new UsageError('give the recordings to hunt in (or --fleet DIR)');
      const { rules, supported } = await loadRules(f.sigma!);
      const { huntQuery, huntRule } = await import('../detect/sigma/hunt.js');
      const hunts: HuntRule[] = [];
      const refused: string[] = [];
      for (const s of supported) {
        const h = huntRule(s, rules.find((t) => t.file === s.rule.rule.file)?.name ?? s.rule.rule.file);
        if ('reason' in h) refused.push(`${s.rule.rule.title}: ${h.reason}`);
        else hunts.push(h);
      }
      if (refused.length > 0) warn(`flightrec: ${plural(refused.length, 'rule')} cannot run as SQL and ${refused.length === 1 ? 'is' : 'are'} left out of the hunt (replay --sigma runs them): ${refused.join('; ')}`);
      if (hunts.length === 0) throw new UsageError('--sigma: no rule of these can run as SQL');
      const query = huntQuery(hunts);
      if (f.showSql) {
        process.stdout.write(`${query};\n`);
        return;
      }
      await runQuery(recordings, f, query, format, f.output, maxWidth, tz);
    });
}
