// What the --json outputs print: every key snake_case (info, doctor, verify, detectors,
// record --summary-json), as documented in the README. The library's types keep their
// TypeScript names; these are the one place they become JSON.
import type { NativeStats } from '../record/native.js';
import type { VerifyReport } from '../format/verify-sealed.js';

export function verifyJson(r: VerifyReport): unknown {
  return {
    ok: r.ok,
    problems: r.problems.map((p) => ({ file: p.file, message: p.message })),
    sealed_segments: r.sealedSegments,
    pruned_segments: r.prunedSegments,
    unsealed: r.unsealed.map((u) => ({ file: u.file, rows: u.rows, bytes: u.bytes, torn: u.torn ? { offset: u.torn.offset, bytes: u.torn.bytes, reason: u.torn.reason } : null })),
    open: r.open,
    chain_head: r.chainHead,
  };
}

export function statsJson(s: NativeStats): unknown {
  return {
    rows: s.rows, lost: s.lost, lost_by_table: s.lostByTable, ring_bytes: s.ringBytes, malformed: s.malformed, batches: s.batches, drains: s.drains,
    kernel_events: s.kernelEvents,
  };
}
