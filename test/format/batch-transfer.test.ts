// Batches handed to another thread: every table, every column type (nulls, lists, bytes,
// unicode) arrives as it was sent, over a real message port, and the sender's batch is
// neither changed nor detached.
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { packBatch, unpackBatch, type PackedBatch } from '../../src/format/batch-transfer.js';
import { TABLE_NAMES } from '../../src/schema/tables.js';
import { SyntheticClock, batchFromRows, rng, syntheticRows } from '../../src/testing/synthetic.js';

/** Each row as JSON text (bigints as strings, lists as arrays, bytes as numbers). */
const rows = (b: { numRows: number; get(i: number): unknown }): string[] => Array.from({ length: b.numRows }, (_, i) =>
  JSON.stringify(b.get(i), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? [...v] : v)));

describe('batch transfer', () => {
  it('gives the receiving thread the same rows of every table, and leaves the sender its batch', () => {
    const rand = rng(3);
    const clock = new SyntheticClock(rand);
    const { port1, port2 } = new MessageChannel();
    try {
      for (const table of TABLE_NAMES) {
        const batch = batchFromRows(table, syntheticRows(table, 300, clock, rand));
        const before = rows(batch);
        const { packed, transfer } = packBatch(table, batch);
        port1.postMessage(packed, transfer);
        const got = unpackBatch(receiveMessageOnPort(port2)!.message as PackedBatch);
        expect(got.numRows, table).toBe(300);
        expect(rows(got), table).toEqual(before);
        expect(rows(batch), `${table} as sent`).toEqual(before);
      }
    } finally {
      port1.close();
    }
  });

  it('copies a slice of a batch (an offset into its buffers) as that slice', () => {
    const rand = rng(4);
    const batch = batchFromRows('proc', syntheticRows('proc', 100, new SyntheticClock(rand), rand)).slice(30, 70);
    const { packed } = packBatch('proc', batch);
    expect(rows(unpackBatch(packed))).toEqual(rows(batch));
  });
});
