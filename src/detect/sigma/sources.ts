// The Sigma log sources flightrec serves, and where each field comes from. Field names are
// those of Sysmon for Linux, which SigmaHQ's Linux rules are written against:
//
//   process_creation    a proc exec row: Image, CommandLine, CurrentDirectory, User, ProcessId,
//                       LogonId (the audit login uid, as Sysmon for Linux gives it: 4294967295
//                       unset), and the parent as it was then: ParentImage, ParentCommandLine,
//                       ParentProcessId
//   file_event          a file created or overwritten (creat, open with O_CREAT or O_TMPFILE,
//                       the new name of rename and link, a symlink) that succeeded: TargetFilename
//   file_delete         unlink and rmdir that succeeded: TargetFilename
//   network_connection  connect (Initiated true; in progress counts) and accept (Initiated false)
//                       of an IP socket: Source*/Destination* as Sysmon names them (the initiator
//                       is the source); DestinationHostname: the name the latest DNS answer
//                       before it (to any process) gave DestinationIp, as connections.remote_name
//
// Every source above also has Image, User and ProcessId of the process. User is the name of the
// real uid, from the recording's account table (the number when it has none).
//
//   auditd (product linux, service auditd): the records auditd would write if it audited every
//   syscall and watched every path, made from the tables (auditd.ts), fields named and encoded
//   as auditd writes them (the enriched format's SYSCALL as the call's name):
//     SYSCALL  a syscall row: syscall (number), SYSCALL (its name in the recording's arch
//              table), a0..a3 (the argument registers in lowercase hex, no 0x, as audit prints
//              them: personality(0x40000) is a0 40000), success (yes unless the return is
//              -4095..-1), exit (the return), pid, ppid, comm, exe (the process's program, its
//              latest proc row as for Image), auid (its audit login uid, from the same row). A rule that names no syscall (exe, comm only) is
//              written for an audit rule set's program watches (-w PROG -p x), which log the
//              exec: it runs on the SYSCALL records of execve and execveat, not on every call
//              of the program (an alert per syscall: a thousand for one useradd)
//     EXECVE   an exec (proc row): argc, a0..aN the argument vector's elements (a0 as given)
//     PATH     a path a call resolved (file row but close and io; an exec's program): name
//              (made absolute where flightrec has it so: auditd prints it as the call gave it,
//              so an absolute name in a rule matches however the program named the file),
//              nametype CREATE (creat, mkdir, link and rename's new name, symlink's link, open
//              with O_CREAT or O_TMPFILE, which may have overwritten: flightrec cannot tell),
//              DELETE (unlink, rmdir, rename's old name), NORMAL (the rest), UNKNOWN (failed)
//   Every record has `type`. A field a record type does not have is absent, as in audit's logs.
//   Keywords search the record's text: an EXECVE record's arguments joined by spaces, a PATH
//   record's name, a SYSCALL record's comm and exe.
//   Other record types (USER_*, ADD_USER, TTY, SERVICE_STOP, CONFIG_CHANGE, ...) come from
//   user-space programs or audit itself, not from anything flightrec records: a rule that can
//   match only those is refused; one that can also match a record above runs, and its check
//   says which selections never match. `key` names the auditd rule (-k) that logged a record,
//   from the machine's audit rule set, which a recording does not have: refused, as are ses
//   (the login session's number) and uid, euid and the other identities (flightrec knows them
//   from proc rows, which a set*id call inside the process does not update).
//
// What a source lacks is a refusal with a reason, never a field that silently never matches.
import { ARGV_MAX } from '../../schema/tables.js';

export type SourceName = 'process_creation' | 'file_event' | 'file_delete' | 'network_connection' | 'auditd';

export interface LogSource {
  readonly category?: unknown;
  readonly product?: unknown;
  readonly service?: unknown;
}

export interface SourceSpec {
  readonly name: SourceName;
  readonly fields: { has(field: string): boolean };
  /** Whether keyword searches (values without a field) have text to look in. */
  readonly keywords: boolean;
}

/** The process of the event, which every source has. */
const PROCESS = ['Image', 'User', 'ProcessId'];

export const SOURCES: Readonly<Record<SourceName, SourceSpec>> = {
  process_creation: {
    name: 'process_creation',
    fields: new Set([...PROCESS, 'CommandLine', 'CurrentDirectory', 'LogonId', 'ParentImage', 'ParentCommandLine', 'ParentProcessId']),
    keywords: false,
  },
  file_event: { name: 'file_event', fields: new Set([...PROCESS, 'TargetFilename']), keywords: false },
  file_delete: { name: 'file_delete', fields: new Set([...PROCESS, 'TargetFilename']), keywords: false },
  network_connection: {
    name: 'network_connection',
    fields: new Set([...PROCESS, 'Initiated', 'Protocol', 'SourceIp', 'SourcePort', 'SourceIsIpv6',
      'DestinationIp', 'DestinationPort', 'DestinationIsIpv6', 'DestinationHostname']),
    keywords: false,
  },
  auditd: { name: 'auditd', fields: { has: (f) => AUDIT_FIELDS.has(f) || auditArg(f) !== undefined }, keywords: true },
};

/** The auditd fields flightrec makes (auditd.ts), besides the arguments a0, a1, ... */
export const AUDIT_FIELDS: ReadonlySet<string> = new Set(['type', 'syscall', 'SYSCALL', 'success', 'exit', 'pid', 'ppid', 'auid', 'comm', 'exe', 'argc', 'name', 'nametype']);

/** An argv has at most ARGV_MAX / 2 elements (each at least a byte and its NUL). */
const MAX_AUDIT_ARG = ARGV_MAX / 2;

/** The number of an auditd argument field (a0, a1, ...), or undefined when `field` is none. */
export function auditArg(field: string): number | undefined {
  if (!/^a(?:0|[1-9][0-9]{0,3})$/.test(field)) return undefined;
  const n = Number(field.slice(1));
  return n < MAX_AUDIT_ARG ? n : undefined;
}

/** Fields Sysmon has that flightrec does not record, and why (said when a rule needs one). */
export const MISSING_FIELDS: Readonly<Record<string, string>> = {
  LogonGuid: 'flightrec does not record the login session',
  ProcessGuid: 'processes are named by pid and start time, not a GUID',
  ParentProcessGuid: 'processes are named by pid and start time, not a GUID',
  Hashes: 'flightrec does not hash executables',
  IntegrityLevel: 'Linux processes have no integrity level',
  key: 'the key of the auditd rule (-k) that logged the record: a recording is made without the host\'s audit rules',
  ses: 'flightrec does not record the login session (audit sessionid)',
  uid: 'the identities of a process are those of its proc rows, which a set*id call inside it does not update',
  euid: 'the identities of a process are those of its proc rows, which a set*id call inside it does not update',
};

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The log source a rule's `logsource` names, or why flightrec cannot serve it. */
export function sourceOf(ls: LogSource): SourceSpec | { readonly reason: string } {
  const category = text(ls.category);
  const product = text(ls.product);
  const service = text(ls.service);
  if (product !== undefined && product.toLowerCase() !== 'linux') return { reason: `product ${product}: flightrec records Linux hosts` };
  if (service !== undefined) {
    if (service === 'auditd' && category === undefined) return SOURCES.auditd;
    return { reason: service === 'auditd' ? `service auditd with category ${category}: not an auditd record set flightrec makes`
      : `service ${service}: a log flightrec does not read (it records kernel events, not ${service}'s log lines)` };
  }
  if (category === undefined) return { reason: 'no category or service: log lines (syslog), which flightrec does not record' };
  const spec = (SOURCES as Record<string, SourceSpec>)[category];
  return spec ?? { reason: `category ${category}: not a log source flightrec has (it has ${Object.keys(SOURCES).join(', ')})` };
}

/** A field's value as the engine reads it (a list matches when any element does). */
export type FieldValue = string | number | boolean | null | undefined | readonly string[];
