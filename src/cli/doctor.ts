import type { Command } from 'commander';
import type { DoctorReport } from '../record/doctor.js';
import type { table as Table } from '../text/table.js';
import { EXIT, say } from './output.js';

/** The report as text; `table` is the renderer, loaded when a report is shown rather than with the program. */
function render(r: DoctorReport, table: typeof Table): string {
  const lines = [
    `kernel    Linux ${r.kernel} (${r.arch})`,
    `BTF       ${r.btf_path}`,
    `verdict   ${r.can_record ? 'flightrec can record on this kernel' : `flightrec cannot record here: ${r.problem}`}`,
    '',
    table([
      ['feature', 'here', 'since', 'without it'],
      ...r.features.map((f) => [f.name, f.present ? 'yes' : 'no', f.since, f.required ? 'required' : f.present ? '' : f.without ?? '']),
    ], new Set(), { rule: true }),
    '',
    table([
      ['table', 'can record', 'note'],
      ...r.tables.map((t) => [t.table, t.available ? 'yes' : 'no', t.note ?? '']),
    ], new Set(), { rule: true }),
  ];
  return lines.join('\n');
}

export function register(program: Command): void {
  program.command('doctor')
    .description('show what this kernel offers flightrec: each feature, the first kernel that has it, and the tables that can be recorded')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const [{ doctor }, { table }] = await Promise.all([import('../record/doctor.js'), import('../text/table.js')]);
      const r = doctor();
      if (opts.json) console.log(JSON.stringify(r, null, 2));
      else say(render(r, table));
      process.exit(r.can_record ? EXIT.ok : EXIT.failure);
    });
}
