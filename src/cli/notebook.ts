import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { runNotebook } from '../analyze/notebook.js';
import { writeOutputFile } from '../format/output-file.js';
import { packageRoot } from '../paths.js';
import { openSources, sourceOptions, type SourceFlags } from './sql.js';

/** A notebook path, or the name of one shipped in notebooks/ (`triage`). */
export function notebookPath(name: string): string {
  if (existsSync(name)) return name;
  const shipped = join(packageRoot(), 'notebooks', name.endsWith('.md') ? name : `${name}.md`);
  return existsSync(shipped) ? shipped : name;
}

export function register(program: Command): void {
  const nb = program.command('notebook').description('analyst notebooks: Markdown with SQL cells');
  sourceOptions(nb.command('run')
    .description('run every SQL cell of a notebook over recordings and print it with the results under each cell')
    .argument('<notebook>', 'a Markdown file, or the name of a shipped notebook (triage, process-tree, network, files)')
    .argument('[recordings...]', 'recording directories')
    .option('-o, --output <file>', 'write the notebook with results to this file')
    .option('--max-rows <n>', 'rows shown under a cell', '50'))
    .action(async (notebook: string, recordings: string[], opts: SourceFlags & { output?: string; maxRows: string }) => {
      const a = await openSources(recordings, opts);
      try {
        const text = await runNotebook(a, notebookPath(notebook), { maxRows: Math.max(1, Number(opts.maxRows) || 50) });
        if (opts.output !== undefined) writeOutputFile(opts.output, text);
        else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      } finally {
        a.close();
      }
    });
}
