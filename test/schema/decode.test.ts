import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { MACRO_DDL } from '../../src/index.js';
import { errnoNames, openFlags, signalNames } from '../../src/schema/names.js';

async function sql(query: string): Promise<unknown[]> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  for (const m of MACRO_DDL) await con.run(m);
  const row = (await con.runAndReadAll(query)).getRowsJson()[0]!;
  con.closeSync();
  return row;
}

describe('names for numbers', () => {
  it('come from the vendored headers, per architecture where they differ', () => {
    expect([errnoNames().get(1), errnoNames().get(11), errnoNames().get(111), errnoNames().get(115)]).toEqual(['EPERM', 'EAGAIN', 'ECONNREFUSED', 'EINPROGRESS']);
    expect([signalNames().get(6), signalNames().get(9), signalNames().get(29)]).toEqual(['SIGABRT', 'SIGKILL', 'SIGIO']);
    const dir = (a: 'x86_64' | 'arm64'): number | undefined => openFlags(a).flags.find((f) => f.name === 'O_DIRECTORY')?.bits;
    expect([dir('x86_64'), dir('arm64')]).toEqual([0o200000, 0o40000]);
  });

  it('read in SQL: errno, signals, wait status, families, TCP states, DNS types and response codes', async () => {
    expect(await sql(`SELECT errno_name(111), ret_errno(-115), ret_errno(3), signal_name(9), signal_name(34),
      exit_code_of(7 << 8), exit_signal_of(7 << 8), exit_code_of(9), exit_signal_of(9 | 128),
      family_name(10), tcp_state_name(2), dns_type_name(28), dns_type_name(32769),
      dns_rcode_name(0), dns_rcode_name(3), dns_rcode_name(5), dns_rcode_name(15)`)).toEqual(
      ['ECONNREFUSED', 'EINPROGRESS', null, 'SIGKILL', 'SIGRTMIN+2', 7, null, null, 'SIGKILL', 'AF_INET6', 'SYN_SENT', 'AAAA', 'DLV',
        'NOERROR', 'NXDOMAIN', 'REFUSED', 'RCODE15']);
  });

  it('write flags as strace does: the access mode first, wider names over their bits, the rest in hex', async () => {
    expect(await sql(`SELECT open_flags_text('x86_64', 0), open_flags_text('x86_64', 577), open_flags_text('x86_64', 1052673),
      open_flags_text('x86_64', 4259842), open_flags_text('arm64', 16384), open_flags_text('x86_64', 8192),
      prot_text('x86_64', 0), prot_text('x86_64', 5), mmap_flags_text('x86_64', 34), dirfd_text(-100), dirfd_text(3)`)).toEqual(
      ['O_RDONLY', 'O_WRONLY|O_CREAT|O_TRUNC', 'O_WRONLY|O_SYNC', 'O_RDWR|O_TMPFILE', 'O_RDONLY|O_DIRECTORY', 'O_RDONLY|0x2000',
        'PROT_NONE', 'PROT_READ|PROT_EXEC', 'MAP_PRIVATE|MAP_ANONYMOUS', 'AT_FDCWD', '3']);
  });
});
