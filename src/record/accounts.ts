// The host's users and groups when a recording starts, kept in it (the account table) so that
// the uids and gids of its rows can be named wherever the recording is read: on another
// machine the same number is somebody else. Read from /etc/passwd and /etc/group; accounts
// from a directory service (LDAP, SSSD) are not in them and stay numbers.
import { readFileSync } from 'node:fs';
import type { RecordBatch } from 'apache-arrow';
import { makeBatch } from '../format/batch.js';

export interface Account {
  readonly kind: 'user' | 'group';
  readonly id: number;
  readonly name: string;
}

/** name:password:id:... lines, the format of both files; unreadable files give nothing. */
function idsOf(file: string, kind: Account['kind']): Account[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: Account[] = [];
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id !== undefined && /^\d+$/.test(id) && Number(id) <= 0xffffffff) out.push({ kind, id: Number(id), name });
  }
  return out;
}

export function readAccounts(passwd = '/etc/passwd', group = '/etc/group'): Account[] {
  return [...idsOf(passwd, 'user'), ...idsOf(group, 'group')];
}

/** The account table's batch, at `ts`. */
export function accountBatch(accounts: readonly Account[], ts: bigint): RecordBatch {
  return makeBatch('account', {
    ts: new BigUint64Array(accounts.length).fill(ts),
    kind: accounts.map((a) => a.kind),
    id: Uint32Array.from(accounts, (a) => a.id),
    name: accounts.map((a) => a.name),
  });
}
