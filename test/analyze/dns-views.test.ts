// The views over DNS answers: dns_answers, and the name connections give a remote address
// (remote_name: the latest answer that gave the address before the socket, from any process).
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Analysis } from '../../src/analyze/session.js';
import { RecordingWriter } from '../../src/format/recording-writer.js';
import { batchFromRows } from '../../src/testing/synthetic.js';
import { tempDir } from '../helpers.js';

const v4 = (...b: number[]): Uint8Array => Uint8Array.from([...b, ...new Array<number>(12).fill(0)]);
const v6 = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const NONE = new Uint8Array(16);
const RESOLVER = v4(127, 0, 0, 53);

let seq = 0n;
const head = (ts: number, pid: number, comm: string): Record<string, unknown> => ({ ts: BigInt(ts), seq: seq++, cpu: 0, pid, tid: pid, comm });

function dns(ts: number, pid: number, kind: 'query' | 'answer', qname: string, qtype: number, answer?: [number, Uint8Array], rcode = 0): Record<string, unknown> {
  return {
    ...head(ts, pid, 'resolver'), qname, qtype, qid: 7, family: 2, server: RESOLVER, server_port: 53, fd: 3, kind,
    answer: answer?.[1] ?? null, answer_family: answer?.[0] ?? null, ttl: answer ? 60 : null,
    rcode: kind === 'answer' ? rcode : null, answers_cut: kind === 'answer' ? false : null,
  };
}

function connect(ts: number, pid: number, fd: number, family: number, daddr: Uint8Array): Record<string, unknown> {
  return {
    ...head(ts, pid, 'client'), op: 'connect', family, proto: 6, saddr: NONE, sport: 40000 + fd, daddr, dport: 443,
    unix_path: null, old_state: 0, new_state: 0, fd, bytes_sent: 0n, bytes_received: 0n, ret: 0n,
  };
}

describe('DNS answers in the views', () => {
  let rec: string;
  beforeAll(() => {
    rec = join(tempDir(), 'rec');
    const w = RecordingWriter.create(rec);
    w.append('dns', batchFromRows('dns', [
      dns(50, 10, 'answer', 'gone.a.test', 1, undefined, 3),
      dns(90, 10, 'query', 'www.a.test', 1),
      dns(100, 10, 'answer', 'www.a.test', 1, [2, v4(10, 1, 1, 1)]),
      dns(150, 11, 'answer', 'v6.a.test', 28, [10, v6('20010db8000000000000000000000001')]),
      dns(200, 11, 'answer', 'www.b.test', 1, [2, v4(10, 1, 1, 1)]),
    ]));
    w.append('net', batchFromRows('net', [
      connect(80, 22, 4, 2, v4(10, 1, 1, 1)), // before any answer gave it
      connect(180, 20, 3, 2, v4(10, 1, 1, 1)),
      connect(250, 20, 4, 2, v4(10, 1, 1, 1)),
      connect(300, 21, 3, 10, v6('00000000000000000000ffff0a010101')),
      connect(400, 21, 4, 10, v6('20010db8000000000000000000000001')),
      connect(500, 22, 3, 2, v4(10, 9, 9, 9)),
    ]));
    w.close();
  });

  const rows = async (sql: string): Promise<unknown[][]> => {
    const a = await Analysis.open([rec]);
    try {
      return (await a.query(sql)).getRowsJson() as unknown[][];
    } finally {
      a.close();
    }
  };

  it('dns_answers: one row per address, not queries or responses without one', async () => {
    expect(await rows('SELECT ts, pid, qname, qtype_name, answer, answer_family, ttl, expires_ts, rcode_name FROM dns_answers ORDER BY ts')).toEqual([
      ['100', 10, 'www.a.test', 'A', '10.1.1.1', 2, 60, '60000000100', 'NOERROR'],
      ['150', 11, 'v6.a.test', 'AAAA', '2001:db8::1', 10, 60, '60000000150', 'NOERROR'],
      ['200', 11, 'www.b.test', 'A', '10.1.1.1', 2, 60, '60000000200', 'NOERROR'],
    ]);
    expect(await rows("SELECT qname, rcode_name, answer FROM dns WHERE kind = 'answer' AND answer IS NULL")).toEqual([['gone.a.test', 'NXDOMAIN', null]]);
  });

  it('connections: remote_name is the latest answer before the socket, from any process; an IPv4-mapped address by its A record', async () => {
    expect(await rows('SELECT first_ts, pid, fd, remote_addr, remote_name FROM connections ORDER BY first_ts')).toEqual([
      ['80', 22, 4, '10.1.1.1', null],
      ['180', 20, 3, '10.1.1.1', 'www.a.test'],
      ['250', 20, 4, '10.1.1.1', 'www.b.test'],
      ['300', 21, 3, '::ffff:10.1.1.1', 'www.b.test'],
      ['400', 21, 4, '2001:db8::1', 'v6.a.test'],
      ['500', 22, 3, '10.9.9.9', null],
    ]);
  });

  it('timeline: answers and queries told apart', async () => {
    expect(await rows("SELECT summary FROM timeline WHERE kind = 'dns' ORDER BY seq")).toEqual([
      ['answer gone.a.test A NXDOMAIN from 127.0.0.53:53'],
      ['query www.a.test A to 127.0.0.53:53'],
      ['answer www.a.test A 10.1.1.1 ttl 60 from 127.0.0.53:53'],
      ['answer v6.a.test AAAA 2001:db8::1 ttl 60 from 127.0.0.53:53'],
      ['answer www.b.test A 10.1.1.1 ttl 60 from 127.0.0.53:53'],
    ]);
  });
});
