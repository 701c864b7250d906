// Analysis.interrupt(): Ctrl-C in the shell stops the query running on the session's connection.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Analysis, Interrupted } from '../../src/analyze/session.js';
import { RecordingWriter } from '../../src/format/recording-writer.js';
import { SyntheticClock, batchFromRows, rng, syntheticRows } from '../../src/testing/synthetic.js';
import { tempDir } from '../helpers.js';

/** Runs for hours unless interrupted. */
const ENDLESS = 'SELECT sum(a.range * b.range) AS s FROM range(1000000) a, range(1000000) b';

describe('Analysis.interrupt', () => {
  let rec: string;
  beforeAll(() => {
    rec = join(tempDir(), 'rec');
    const w = RecordingWriter.create(rec);
    const rand = rng(3);
    w.append('proc', batchFromRows('proc', syntheticRows('proc', 20, new SyntheticClock(rand), rand)));
    w.close();
  });

  it('stops a running query, and the session answers the next one', async () => {
    const a = await Analysis.open([rec]);
    try {
      const started = performance.now();
      const q = a.query(ENDLESS);
      // Wherever the interrupt lands (before the statement starts or while it runs), the query ends Interrupted.
      const timer = setTimeout(() => a.interrupt(), 300);
      await expect(q).rejects.toThrow(Interrupted);
      clearTimeout(timer);
      expect(performance.now() - started).toBeLessThan(20_000);
      expect((await a.query('SELECT count(*) FROM proc')).getRowsJson()).toEqual([['20']]);
    } finally {
      a.close();
    }
  });

  it('keeps the statements of the text not yet run from running', async () => {
    const a = await Analysis.open([rec]);
    try {
      const q = a.query(`CREATE TABLE t1 AS SELECT 1 AS x; ${ENDLESS}; CREATE TABLE t2 AS SELECT 2 AS x`);
      a.interrupt();
      await expect(q).rejects.toThrow(/^interrupted$/);
      expect((await a.query("SELECT count(*) FROM information_schema.tables WHERE table_name IN ('t1', 't2')")).getRowsJson()).toEqual([['0']]);
    } finally {
      a.close();
    }
  });

  it('is forgotten by the next query when nothing was running', async () => {
    const a = await Analysis.open([rec]);
    try {
      a.interrupt();
      expect((await a.query('SELECT 42 AS x')).getRowsJson()).toEqual([[42]]);
    } finally {
      a.close();
    }
  });
});
