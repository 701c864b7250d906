// What info reports of losses: the events lost, in how many gaps, and the rows each table lost,
// from the gap rows' table column.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeBatch } from '../../src/format/batch.js';
import { LOSSY_TABLES } from '../../src/schema/tables.js';
import { Recording, RecordingWriter, summarize } from '../../src/index.js';
import { cli, tempDir } from '../helpers.js';

/** Gap rows losing `lost[i]` rows of table `of[i]`. */
function gaps(of: ReadonlyArray<(typeof LOSSY_TABLES)[number]>, lost: readonly bigint[]): ReturnType<typeof makeBatch> {
  const ts = new BigUint64Array(lost.map((_, i) => BigInt(100 + i)));
  return makeBatch('gap', {
    ts, seq: new BigUint64Array(lost.map((_, i) => BigInt(i))), cpu: new Uint16Array(lost.length), lost: new BigUint64Array(lost),
    first_ts: ts, last_ts: ts, table: new Uint8Array(of.map((t) => LOSSY_TABLES.indexOf(t))),
  });
}

describe('losses in the summary', () => {
  it('counts the rows each table lost, in table order, over every gap row', () => {
    const dir = join(tempDir(), 'rec');
    const w = RecordingWriter.create(dir);
    w.append('gap', gaps(['syscall', 'file', 'syscall'], [800_000n, 5n, 12_345n]));
    w.sealSegment();
    w.append('gap', gaps(['proc'], [2n]));
    w.close();
    const rec = Recording.open(dir);
    try {
      const s = summarize(rec);
      expect([s.gaps, s.lost_events]).toEqual([4, '812352']);
      expect(Object.entries(s.lost_by_table)).toEqual([['syscall', '812345'], ['proc', '2'], ['file', '5']]);
    } finally {
      rec.close();
    }
    const info = cli('info', dir);
    expect(info.stdout, info.stderr).toMatch(/^losses {6}812352 events lost in 4 gaps: 812345 syscall rows, 2 proc rows, 5 file rows$/m);
    expect(JSON.parse(cli('info', '--json', dir).stdout)).toMatchObject({ lost_by_table: { syscall: '812345', proc: '2', file: '5' } });
  });

  it('without gap rows: none lost', () => {
    const dir = join(tempDir(), 'rec');
    RecordingWriter.create(dir).close();
    const info = cli('info', '--json', dir);
    expect(JSON.parse(info.stdout)).toMatchObject({ gaps: 0, lost_events: '0', lost_by_table: {} });
  });
});
