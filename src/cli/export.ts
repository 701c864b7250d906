import type { Command } from 'commander';
import { UsageError } from '../format/errors.js';
import type { ExportTarget } from '../analyze/export.js';
import { damageOption, type DamageFlags } from './damaged.js';
import { say } from './output.js';
import { openSources } from './sql.js';

export function register(program: Command): void {
  damageOption(program.command('export')
    .description('write recordings as hive-partitioned Parquet (host=/date=/table=) for DuckDB, Spark, Trino or ClickHouse')
    .argument('<recordings...>', 'recording directories')
    .requiredOption('--parquet <dir>', 'the directory to write; recordings of many hosts can share it')
    .option('--cache <dir>', 'keep the query cache here instead of under $XDG_CACHE_HOME/flightrec'))
    .action(async (recordings: string[], opts: DamageFlags & { parquet: string; cache?: string }) => {
      if (opts.parquet.trim() === '') throw new UsageError('--parquet needs a directory');
      const { ExportTarget, exportParquet } = await import('../analyze/export.js');
      // Export runs no SQL of the user's; the session is confined all the same, writing only into the staging
      // directory, which is made once the recordings are open (a refused recording leaves no export directory).
      const out: { target?: ExportTarget } = {};
      try {
        const a = await openSources(recordings, { ...(opts.cache !== undefined ? { cache: opts.cache } : {}), allowDamaged: opts.allowDamaged === true }, () => {
          out.target = ExportTarget.open(opts.parquet);
          return { dirs: [out.target.stagePath] };
        });
        try {
          for (const s of await exportParquet(a, out.target!)) {
            say(`${s.recording}: ${s.rows} rows of ${s.tables} tables written to ${opts.parquet}`);
          }
        } finally {
          a.close();
        }
      } finally {
        out.target?.close();
      }
    });
}
