import type { Command } from 'commander';
import { UsageError } from '../format/errors.js';
import { exportParquet } from '../analyze/export.js';
import { say } from './output.js';
import { openSources } from './sql.js';

export function register(program: Command): void {
  program.command('export')
    .description('write recordings as hive-partitioned Parquet (host=/date=/table=) for DuckDB, Spark, Trino or ClickHouse')
    .argument('<recordings...>', 'recording directories')
    .requiredOption('--parquet <dir>', 'the directory to write; recordings of many hosts can share it')
    .option('--cache <dir>', 'keep the query cache here (for a recording on a read-only medium)')
    .action(async (recordings: string[], opts: { parquet: string; cache?: string }) => {
      if (opts.parquet.trim() === '') throw new UsageError('--parquet needs a directory');
      // Export runs no SQL of the user's; the session is confined all the same, writing only into the export directory.
      const a = await openSources(recordings, opts.cache !== undefined ? { cache: opts.cache } : {}, { writeDirs: [opts.parquet] });
      try {
        for (const s of await exportParquet(a, opts.parquet)) {
          say(`${s.recording}: ${s.rows} rows of ${s.tables} tables written to ${opts.parquet}`);
        }
      } finally {
        a.close();
      }
    });
}
