// The Sigma log sources flightrec serves, and where each field comes from. Field names are
// those of Sysmon for Linux, which SigmaHQ's Linux rules are written against:
//
//   process_creation    a proc exec row: Image, CommandLine, CurrentDirectory, User, ProcessId,
//                       and the parent as it was then: ParentImage, ParentCommandLine, ParentProcessId
//   file_event          a file created or overwritten (creat, open with O_CREAT or O_TMPFILE,
//                       the new name of rename and link, a symlink) that succeeded: TargetFilename
//   file_delete         unlink and rmdir that succeeded: TargetFilename
//   network_connection  connect (Initiated true; in progress counts) and accept (Initiated false)
//                       of an IP socket: Source*/Destination* as Sysmon names them (the initiator
//                       is the source); DestinationHostname: the name the latest DNS answer
//                       before it (to any process) gave DestinationIp, as connections.remote_name
//
// Every source also has Image, User and ProcessId of the process. User is the name of the
// real uid, from the recording's account table (the number when it has none).
// What a source lacks is a refusal with a reason, never a field that silently never matches.

export type SourceName = 'process_creation' | 'file_event' | 'file_delete' | 'network_connection';

export interface LogSource {
  readonly category?: unknown;
  readonly product?: unknown;
  readonly service?: unknown;
}

export interface SourceSpec {
  readonly name: SourceName;
  readonly fields: ReadonlySet<string>;
  /** Whether keyword searches (values without a field) have text to look in. */
  readonly keywords: boolean;
}

/** The process of the event, which every source has. */
const PROCESS = ['Image', 'User', 'ProcessId'];

export const SOURCES: Readonly<Record<SourceName, SourceSpec>> = {
  process_creation: {
    name: 'process_creation',
    fields: new Set([...PROCESS, 'CommandLine', 'CurrentDirectory', 'ParentImage', 'ParentCommandLine', 'ParentProcessId']),
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
};

/** Fields Sysmon has that flightrec does not record, and why (said when a rule needs one). */
export const MISSING_FIELDS: Readonly<Record<string, string>> = {
  LogonId: 'flightrec does not record the login session (audit loginuid)',
  LogonGuid: 'flightrec does not record the login session',
  ProcessGuid: 'processes are named by pid and start time, not a GUID',
  ParentProcessGuid: 'processes are named by pid and start time, not a GUID',
  Hashes: 'flightrec does not hash executables',
  IntegrityLevel: 'Linux processes have no integrity level',
};

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The log source a rule's `logsource` names, or why flightrec cannot serve it. */
export function sourceOf(ls: LogSource): SourceSpec | { readonly reason: string } {
  const category = text(ls.category);
  const product = text(ls.product);
  const service = text(ls.service);
  if (product !== undefined && product.toLowerCase() !== 'linux') return { reason: `product ${product}: flightrec records Linux hosts` };
  if (service !== undefined) {
    return { reason: service === 'auditd' ? 'service auditd: not supported yet (auditd record types over the syscall, proc and file tables)'
      : `service ${service}: a log flightrec does not read (it records kernel events, not ${service}'s log lines)` };
  }
  if (category === undefined) return { reason: 'no category or service: log lines (syslog), which flightrec does not record' };
  const spec = (SOURCES as Record<string, SourceSpec>)[category];
  return spec ?? { reason: `category ${category}: not a log source flightrec has (it has ${Object.keys(SOURCES).join(', ')})` };
}

/** A field's value as the engine reads it (a list matches when any element does). */
export type FieldValue = string | number | boolean | null | undefined | readonly string[];
