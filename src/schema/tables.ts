// The event tables, declared once. Everything else is generated from this file:
// `npm run generate` rewrites bpf/events.h and src/schema/*.generated.ts.
import {
  type Column, type Table, added, addedLabels, address, addressIn, blob, bool, column, decoded, enumOf, followsTime, i32, i64, inlineStr, str,
  strs, u16, u32, u64, u64s, u8,
} from './types.js';

/** The version of these declarations: a column or an enum label added bumps it (types.ts,
 * `added`, `addedLabels`); files written under an older version are read with the newer
 * columns null (format/stored-schema.ts). */
export const SCHEMA_VERSION = 5;

export const PATH_MAX = 4096;
/** Alert severities, least to most severe: the alert table's enum, the detector API's type and
 * the `alerts` view's rank. */
export const SEVERITIES = ['info', 'warning', 'critical', 'emergency'] as const;
export const COMM_LEN = 16;
export const ARGV_MAX = 4096;
/** How much of a DNS response the kernel side reads: A/AAAA answers written (rows), records looked
 * at, bytes read. A response with more sets answers_cut. */
export const DNS_LIMITS = { answers: 8, records: 24, bytes: 2048 } as const;

/** The tables whose rows the kernel side may lose, as gap.table names them: the kernel tables
 * but gap, in id order from 1 (the programs count losses at a table's id less one, bpf/shared.h;
 * a kernel table added later is a label added at the end). */
export const LOSSY_TABLES = ['syscall', 'proc', 'file', 'net', 'dns', 'mem', 'bio', 'sample'] as const;

const ts = followsTime(column('ts', u64, 'CLOCK_MONOTONIC nanoseconds from the kernel; the manifest maps it to wall time'));
const seq = followsTime(column('seq', u64, 'global record order, unique within a recording'));

/** Columns every kernel event carries. */
const HEADER: readonly Column[] = [
  ts,
  seq,
  column('cpu', u16, 'CPU the event was recorded on'),
  followsTime(column('pid', u32, 'process id (tgid)')),
  followsTime(column('tid', u32, 'thread id')),
  column('comm', inlineStr(COMM_LEN), 'task command name'),
];

const ADDRESS_FAMILY = decoded(column('family', u16, 'address family: 2 AF_INET, 10 AF_INET6, 1 AF_UNIX'), 'family');

export const TABLES: readonly Table[] = [
  {
    name: 'syscall', id: 1, source: 'kernel',
    doc: 'one row per system call of a target, enter and exit paired per thread; ts is when it returned',
    columns: [
      ...HEADER,
      column('nr', u32, 'syscall number of the recording architecture'),
      column('arg0', u64, 'first argument register'),
      column('arg1', u64, 'second argument register'),
      column('arg2', u64, 'third argument register'),
      column('arg3', u64, 'fourth argument register'),
      column('arg4', u64, 'fifth argument register'),
      column('arg5', u64, 'sixth argument register'),
      decoded(column('ret', i64, 'return value (negative errno on failure); 0 when it did not return'), 'errno'),
      column('latency_ns', u64, 'ts minus the entry time'),
      column('returned', bool, 'false when the thread ended inside the call (exit, exit_group, a fatal signal); ts is then the thread exit'),
    ],
  },
  {
    name: 'proc', id: 2, source: 'kernel',
    doc: 'process lifecycle: fork, exec and exit, and a snapshot of each process the recording covers that was running when it started',
    columns: [
      ...HEADER,
      column('kind', enumOf('fork', 'exec', 'exit', addedLabels(2, 'snapshot')), 'lifecycle event; snapshot (schema 2): a process running when the recording started, from /proc'),
      followsTime(column('ppid', u32, 'parent tgid')),
      column('uid', u32, 'real uid'),
      column('gid', u32, 'real gid'),
      column('euid', u32, 'effective uid'),
      column('cgroup_id', u64, 'cgroup v2 id'),
      column('filename', str(PATH_MAX), 'the program: exec: the file executed; fork: the parent\'s, which the child runs until it execs; snapshot: its executable', true),
      column('argv', strs(ARGV_MAX), 'arguments, bounded: exec: the new program\'s; fork: the parent\'s; snapshot: its command line', true),
      column('argv_truncated', bool, 'argv was longer than the bound'),
      decoded(column('exit_code', i32, 'exit: exit status (code << 8 | signal, as wait(2) reports)', true), 'wait_status'),
      added(2, 'cwd', str(PATH_MAX), 'working directory: exec, fork (the parent\'s, inherited) and snapshot'),
      added(2, 'start_ts', u64, 'when the process started, on the clock of ts: fork, exec and snapshot'),
      added(2, 'kthread', bool, 'snapshot: a kernel thread (it has no program or arguments)'),
      added(4, 'loginuid', u32, 'audit login uid: the uid that logged in (pam_loginuid), kept across su and sudo; 4294967295 when unset (started by init, not from a login); null where the kernel has no audit'),
    ],
  },
  {
    name: 'file', id: 3, source: 'kernel',
    doc: 'file operations with decoded paths; read/write byte totals per fd flushed on close',
    columns: [
      ...HEADER,
      column('op', enumOf('open', 'creat', 'unlink', 'rename', 'mkdir', 'rmdir', 'chmod', 'chown',
        'truncate', 'link', 'symlink', 'close', 'io', addedLabels(2, 'chdir')), 'operation; close and io rows carry the byte totals of an fd (io: still open, flushed after a second of I/O); chdir (schema 2): chdir and fchdir'),
      column('path', str(PATH_MAX), 'path as given (relative paths are relative to dirfd); close and io: the open file\'s path'),
      column('path2', str(PATH_MAX), 'second path, the one created: rename and link new name, symlink link path (path is then the link text)', true),
      column('dirfd', i32, 'directory fd for *at calls (-100 is AT_FDCWD)'),
      column('fd', i32, 'file descriptor opened or closed'),
      decoded(column('flags', u32, 'open flags or *at flags'), 'open_flags', ['open', 'creat']),
      column('mode', u32, 'mode for open/creat/mkdir/chmod'),
      column('owner', u32, 'chown: new uid'),
      column('group', u32, 'chown: new gid'),
      column('bytes_read', u64, 'close: bytes read through this fd'),
      column('bytes_written', u64, 'close: bytes written through this fd'),
      decoded(column('ret', i64, 'return value'), 'errno'),
      added(2, 'abs_path', str(PATH_MAX), 'path made absolute with the working directory or the dirfd\'s path, where path is relative'),
    ],
  },
  {
    name: 'net', id: 4, source: 'kernel',
    doc: 'socket calls with decoded addresses, TCP state changes, byte totals per socket',
    columns: [
      ...HEADER,
      column('op', enumOf('connect', 'accept', 'bind', 'listen', 'state', 'close', 'io'), 'operation; close and io rows carry the byte totals of a socket (io: still open, flushed after a second of I/O)'),
      ADDRESS_FAMILY,
      column('proto', u8, 'IP protocol: 6 TCP, 17 UDP'),
      column('saddr', address, 'source address (IPv4 in the first 4 bytes)'),
      column('sport', u16, 'source port'),
      column('daddr', address, 'destination address (IPv4 in the first 4 bytes)'),
      column('dport', u16, 'destination port'),
      column('unix_path', str(108), 'AF_UNIX socket path', true),
      decoded(column('old_state', u8, 'state: previous TCP state'), 'tcp_state'),
      decoded(column('new_state', u8, 'state: new TCP state'), 'tcp_state'),
      column('fd', i32, 'socket fd'),
      column('bytes_sent', u64, 'close: bytes sent on this socket'),
      column('bytes_received', u64, 'close: bytes received on this socket'),
      decoded(column('ret', i64, 'return value'), 'errno'),
    ],
  },
  {
    name: 'dns', id: 5, source: 'kernel',
    doc: 'DNS over UDP port 53: the first question of each query sent, and (schema 3) the A and AAAA answers of each response received, a row each',
    columns: [
      ...HEADER,
      column('qname', str(256), 'question name (answer rows: the question of the response)'),
      decoded(column('qtype', u16, 'question type: 1 A, 28 AAAA, ...'), 'dns_type'),
      column('qid', u16, 'DNS transaction id'),
      ADDRESS_FAMILY,
      column('server', address, 'server address: the one a query went to, the one a response came from'),
      column('server_port', u16, 'server port'),
      column('fd', i32, 'socket fd'),
      added(3, 'kind', enumOf(addedLabels(3, 'query', 'answer')), 'query: a question sent; answer: a response received, one row per A or AAAA record in its answer section, or one row with answer null when it has none (null in recordings before schema 3, which have only queries)'),
      added(3, 'answer', addressIn('answer_family'), 'answer: the address an A or AAAA record gives (CNAME and other records are passed over)'),
      decoded(added(3, 'answer_family', u16, 'answer: the family of answer: 2 AF_INET (an A record), 10 AF_INET6 (AAAA)'), 'family'),
      added(3, 'ttl', u32, 'answer: the record\'s TTL in seconds'),
      decoded(added(3, 'rcode', u8, 'answer: the response code: 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED, ...'), 'dns_rcode'),
      added(3, 'answers_cut', bool, `answer: the response has answers these rows lack: more than ${DNS_LIMITS.answers} A/AAAA records, records past its first ${DNS_LIMITS.bytes} bytes or ${DNS_LIMITS.records} records, or it is truncated (TC)`),
    ],
  },
  {
    name: 'mem', id: 6, source: 'kernel',
    doc: 'memory mappings and protection changes',
    columns: [
      ...HEADER,
      column('op', enumOf('mmap', 'mprotect', 'munmap'), 'operation'),
      column('addr', u64, 'address (mmap: the result)'),
      column('len', u64, 'length in bytes'),
      decoded(column('prot', u32, 'PROT_* bits'), 'prot'),
      decoded(column('flags', u32, 'MAP_* bits'), 'mmap_flags', ['mmap']),
      column('fd', i32, 'mmap: file descriptor, -1 when anonymous'),
      column('offset', u64, 'mmap: file offset'),
      column('path', str(PATH_MAX), 'mmap: the file behind the mapping', true),
      column('wx', bool, 'the mapping is writable and executable at once'),
      column('exec_after_write', bool, 'mprotect to executable of a range that was writable'),
      decoded(column('ret', i64, 'return value'), 'errno'),
    ],
  },
  {
    name: 'bio', id: 7, source: 'kernel',
    doc: 'block I/O requests a target submitted, issue to completion',
    columns: [
      ...HEADER,
      column('dev', u32, 'device number (major << 20 | minor)'),
      column('sector', u64, 'first sector'),
      column('bytes', u32, 'bytes of the target\'s bios in the request (the queue may have merged others\' into it)'),
      column('op', enumOf('read', 'write', 'flush', 'discard', 'other'), 'request operation'),
      column('latency_ns', u64, 'completion ts minus issue ts; 0 when it did not complete'),
      added(2, 'completed', bool, 'false when the kernel did not report the request complete before the recording stopped or its request was reused; ts is then that moment'),
    ],
  },
  {
    name: 'sample', id: 8, source: 'kernel',
    doc: 'periodic CPU samples (hardware counters with a PMU, cpu-clock otherwise)',
    columns: [
      ...HEADER,
      column('event', enumOf('cpu-clock', 'cycles', 'instructions'), 'sampled event'),
      column('ip', u64, 'instruction pointer'),
      column('user_stack_id', i32, 'user stack id (negative: none)'),
      column('kernel_stack_id', i32, 'kernel stack id (negative: none)'),
      column('value', u64, 'counter value since the previous sample'),
    ],
  },
  {
    name: 'pt', id: 9, source: 'user',
    doc: 'raw Intel PT AUX data, where the host has Intel PT',
    columns: [
      ts, seq,
      column('cpu', u16, 'CPU the trace was taken on'),
      column('offset', u64, 'offset of this chunk in the AUX stream'),
      column('data', blob, 'raw AUX bytes'),
    ],
  },
  {
    name: 'gap', id: 10, source: 'kernel',
    doc: 'events the kernel could not record: one row per run of losses of a table on a CPU (its syscall lane or the ring buffer full), written in order before that table\'s next row there (or at stop)',
    columns: [
      ts, seq,
      column('cpu', u16, 'CPU whose records were lost'),
      column('lost', u64, 'events lost'),
      followsTime(column('first_ts', u64, 'earliest ts the loss may cover')),
      followsTime(column('last_ts', u64, 'latest ts the loss may cover')),
      added(5, 'table', enumOf(addedLabels(5, ...LOSSY_TABLES)),
        'the table whose rows were lost, counted apart from the others\' (syscall rows are lost when their CPU\'s lane is full, the others\' when the ring buffer is); null in recordings before schema 5'),
    ],
  },
  {
    name: 'alert', id: 11, source: 'user',
    doc: 'detector alerts, live or from replay',
    columns: [
      followsTime(column('ts', u64, 'ts of the triggering event')),
      followsTime(column('seq', u64, 'seq of the triggering event')),
      followsTime(column('pid', u32, 'process the alert is about')),
      column('detector', str(128), 'detector name'),
      column('version', str(32), 'detector version'),
      column('severity', enumOf(...SEVERITIES), 'severity'),
      column('title', str(1024), 'one-line summary'),
      column('evidence', str(65536), 'JSON evidence'),
      column('related_seqs', u64s, 'seqs of the other events the alert rests on'),
    ],
  },
  {
    name: 'account', id: 12, source: 'user', context: true,
    doc: 'the host\'s users and groups when the recording started (schema 2), to name the ids of other tables',
    columns: [
      column('ts', u64, 'when they were read'),
      column('kind', enumOf('user', 'group'), 'a user (uid) or a group (gid)'),
      column('id', u32, 'uid or gid'),
      column('name', str(256), 'its name'),
    ],
  },
  {
    name: 'cgroup', id: 13, source: 'user', context: true,
    doc: 'the cgroups of the recorded processes (schema 2): path, and the container it is, where its path says so',
    columns: [
      column('ts', u64, 'when its path was read'),
      column('id', u64, 'cgroup v2 id, as proc.cgroup_id'),
      column('path', str(PATH_MAX), 'path below the cgroup2 mount'),
      column('container_id', str(128), 'the container runtime\'s id (docker, containerd, CRI-O, podman, systemd-nspawn)', true),
      column('runtime', str(32), 'which runtime named it', true),
      column('pod_uid', str(64), 'Kubernetes pod uid', true),
    ],
  },
];

export type TableName = 'syscall' | 'proc' | 'file' | 'net' | 'dns' | 'mem' | 'bio' | 'sample'
  | 'pt' | 'gap' | 'alert' | 'account' | 'cgroup';

export const TABLE_NAMES = TABLES.map((t) => t.name) as readonly TableName[];

/** Tables the recorder can be asked for (gap rows are always written). */
export const RECORDABLE_TABLES = TABLES.filter((t) => t.source === 'kernel' && t.name !== 'gap').map((t) => t.name) as readonly TableName[];
/** What `record` records unless told otherwise: all but CPU samples. */
export const DEFAULT_TABLES = RECORDABLE_TABLES.filter((t) => t !== 'sample');

export function table(name: string): Table {
  const t = TABLES.find((x) => x.name === name);
  if (!t) throw new Error(`unknown table '${name}' (tables: ${TABLE_NAMES.join(', ')})`);
  return t;
}

/** The names of a table's columns whose values follow time (`Column.followsTime`). */
export function followingTime(name: string): ReadonlySet<string> {
  return new Set(table(name).columns.filter((c) => c.followsTime).map((c) => c.name));
}
