// `flightrec notebook run`: a shipped notebook by name, or a Markdown file by path.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../format/errors.js';
import { writeOutputFile } from '../format/output-file.js';
import { packageRoot } from '../paths.js';
import { escapeLines } from '../text/escape.js';
import { openSources, sourceOptions, type SourceFlags } from './sql.js';
import { chooseTz, tzOption } from './tz.js';

/** The notebooks shipped in notebooks/, by name (`triage`). */
export function shippedNotebooks(): string[] {
  return readdirSync(join(packageRoot(), 'notebooks')).filter((f) => f.endsWith('.md')).map((f) => f.slice(0, -3)).sort();
}

/**
 * The file of a notebook argument. A bare name (`triage`, `triage.md`) is a shipped notebook
 * and never a file of the current directory, which could be anyone's; a file is named by a
 * path, with a `/` in it (`./triage.md`).
 */
export function notebookPath(name: string): string {
  if (name.includes('/')) return name;
  const bare = name.endsWith('.md') ? name.slice(0, -3) : name;
  const shipped = shippedNotebooks();
  if (!shipped.includes(bare)) {
    throw new UsageError(`no shipped notebook ${name} (shipped: ${shipped.join(', ')}); for a file of your own give its path, such as ./${name}`);
  }
  return join(packageRoot(), 'notebooks', `${bare}.md`);
}

export function register(program: Command): void {
  const nb = program.command('notebook').description('analyst notebooks: Markdown with SQL cells');
  tzOption(sourceOptions(nb.command('run')
    .description('run every SQL cell of a notebook over recordings and print it with the results under each cell')
    .argument('<notebook>', 'the name of a shipped notebook (triage, process-tree, network, files), or the path of a Markdown file (./mine.md)')
    .argument('[recordings...]', 'recording directories')
    .option('-o, --output <file>', 'write the notebook with results to this file')
    .option('--max-rows <n>', 'rows shown under a cell', '50')))
    .action(async (notebook: string, recordings: string[], opts: SourceFlags & { output?: string; maxRows: string; tz?: string }) => {
      const path = notebookPath(notebook);
      const tz = chooseTz(opts.tz);
      const { runNotebook } = await import('../analyze/notebook.js');
      const a = await openSources(recordings, opts);
      try {
        const text = await runNotebook(a, path, { maxRows: Math.max(1, Number(opts.maxRows) || 50), tz });
        if (opts.output !== undefined) writeOutputFile(opts.output, text);
        else process.stdout.write(escapeLines(text.endsWith('\n') ? text : `${text}\n`));
      } finally {
        a.close();
      }
    });
}
