// Views analysts would otherwise write every time, over the per-table views (which the
// schema generates). They are the same over a recording's cache and over an exported
// fleet directory, because both give the per-table views the same columns.
import { SEVERITIES } from '../schema/tables.js';

/** `recordings`: one row per recording queried; `syscall_names`: numbers to names per architecture. */
export const META_COLUMNS = {
  recordings: `recording VARCHAR, host VARCHAR, id VARCHAR, arch VARCHAR, kernel_release VARCHAR, boot_id VARCHAR,
    command_line VARCHAR[], targets VARCHAR, recorder_version VARCHAR, created_at VARCHAR, closed_at VARCHAR,
    wall_offset_ns BIGINT, segments INTEGER, first_ts UBIGINT, last_ts UBIGINT, writer_pid UINTEGER`,
  syscall_names: 'arch VARCHAR, nr UINTEGER, name VARCHAR',
} as const;

/** The calls whose args_text comes from the net row written with them (the address), and from the file row (the path). */
const NET_CALLS = "'connect', 'bind'";
const OPEN_CALLS = "'open', 'openat', 'openat2', 'creat'";
const JOINED_CALLS = `${OPEN_CALLS}, ${NET_CALLS}`;

export const DERIVED_VIEWS: ReadonlyArray<readonly [name: string, doc: string, sql: string]> = [
  ['syscalls', 'syscall rows with the syscall name of the recording\'s architecture and the arguments as text (args_text), strace-style where the recording has them: fds with the path they were opened with', `
-- Each argument by its kind, from the kernel's prototype of the call.
SELECT * EXCLUDE (kinds), fr_args(kinds, NULL, arg0, arg1, arg2, arg3, arg4, arg5, NULL) AS args_text
FROM (SELECT *, syscall_name(recording, nr) AS name, syscall_arg_kinds(recording, nr) AS kinds
  FROM syscall WHERE syscall_name(recording, nr) NOT IN (${JOINED_CALLS}))
UNION ALL
-- connect and bind: the address from the net row written the same way (as given to connect,
-- and for a bind that succeeded the address it got: port 0 reads as the port chosen).
SELECT s.*, fr_i32(s.arg0) || ', ' ||
  coalesce(CASE s.name WHEN 'connect' THEN fr_sockaddr(n.family, n.daddr, n.dport, n.unix_path) ELSE fr_sockaddr(n.family, n.saddr, n.sport, n.unix_path) END,
    '0x' || lower(hex(s.arg1))) || ', ' || (s.arg2 & 4294967295) AS args_text
FROM (SELECT *, syscall_name(recording, nr) AS name FROM syscall WHERE syscall_name(recording, nr) IN (${NET_CALLS})) s
LEFT JOIN (SELECT recording, tid, ts, op, family, saddr, sport, daddr, dport, unix_path FROM net WHERE op IN (${NET_CALLS})) n
  ON n.recording = s.recording AND n.tid = s.tid AND n.ts = s.ts AND n.op = s.name
UNION ALL
-- The opens: a file row is written at the same instant as its syscall row (ts) by the same
-- thread, and holds the path the call was given, which the syscall row has only as a pointer.
SELECT s.*,
  CASE WHEN s.name IN ('openat', 'openat2') THEN dirfd_text(coalesce(f.dirfd, fr_i32(s.arg0))) || ', ' ELSE '' END ||
  coalesce(fr_quoted(f.path), '0x' || lower(hex(CASE WHEN s.name IN ('openat', 'openat2') THEN s.arg1 ELSE s.arg0 END))) || ', ' ||
  CASE s.name
    WHEN 'creat' THEN fr_mode(coalesce(f.mode, s.arg1))
    WHEN 'openat2' THEN '{flags=' || open_flags_text(recording_arch(s.recording), f.flags) || ', mode=' || fr_mode(f.mode) || '}, ' || s.arg3
    ELSE open_flags_text(recording_arch(s.recording), coalesce(f.flags, (CASE s.name WHEN 'open' THEN s.arg1 ELSE s.arg2 END) & 4294967295)) ||
      CASE WHEN open_takes_mode(recording_arch(s.recording), coalesce(f.flags, (CASE s.name WHEN 'open' THEN s.arg1 ELSE s.arg2 END) & 4294967295))
        THEN ', ' || fr_mode(coalesce(f.mode, CASE s.name WHEN 'open' THEN s.arg2 ELSE s.arg3 END)) ELSE '' END
  END AS args_text
FROM (SELECT *, syscall_name(recording, nr) AS name FROM syscall WHERE syscall_name(recording, nr) IN (${OPEN_CALLS})) s
LEFT JOIN (SELECT recording, tid, ts, path, dirfd, flags, mode FROM file WHERE op IN ('open', 'creat')) f
  ON f.recording = s.recording AND f.tid = s.tid AND f.ts = s.ts`],

  ['process_lifecycle', 'one row per process that has proc rows: parent, what it ran and where, who ran it, how it ended', `
SELECT recording, any_value(host) AS host, pid,
  min(ts) AS first_ts,
  min(start_ts) AS start_ts,
  -- An exit row's parent may be a reaper the process was given: the last resort.
  coalesce(arg_min(ppid, ts) FILTER (WHERE kind IN ('fork', 'exec', 'snapshot')), arg_min(ppid, ts)) AS ppid,
  max(ts) FILTER (WHERE kind = 'exit') AS exit_ts,
  -- The last program it exec'd; a process that never did runs what it was forked with, or
  -- what the snapshot found it running.
  coalesce(arg_max(filename, ts) FILTER (WHERE kind = 'exec'), arg_max(filename, ts) FILTER (WHERE kind IN ('fork', 'snapshot'))) AS exe,
  coalesce(arg_max(argv, ts) FILTER (WHERE kind = 'exec'), arg_max(argv, ts) FILTER (WHERE kind IN ('fork', 'snapshot'))) AS argv,
  arg_max(cwd, ts) FILTER (WHERE cwd IS NOT NULL) AS cwd,
  arg_max(uid, ts) AS uid, arg_max(euid, ts) AS euid, arg_max(gid, ts) AS gid,
  arg_max(loginuid, ts) AS loginuid,
  arg_max(cgroup_id, ts) AS cgroup_id,
  arg_max(comm, ts) AS comm,
  arg_max(exit_code, ts) FILTER (WHERE kind = 'exit') AS exit_code,
  arg_max(exit_signal, ts) FILTER (WHERE kind = 'exit') AS exit_signal,
  arg_max(exit_status, ts) FILTER (WHERE kind = 'exit') AS exit_status,
  count(*) FILTER (WHERE kind = 'exec') AS execs,
  bool_or(kind = 'fork') AS forked,
  -- The first row of it a snapshot: running when the recording (or, once pruned, what is kept) starts.
  arg_min(kind, ts) = 'snapshot' AS running_at_start,
  coalesce(bool_or(kthread), false) AS kthread
FROM proc GROUP BY recording, pid`],

  ['processes', 'one row per process, also those seen only in syscalls: start, end, parent, what it ran and where, who ran it and who logged in to start it (names from the account table), its container, how it ended', `
WITH seen AS (
  SELECT recording, any_value(host) AS host, pid, min(ts) AS first_ts, max(ts) AS last_ts, arg_max(comm, ts) AS comm
  FROM syscall GROUP BY recording, pid
),
users AS (SELECT recording, id, min(name) AS name FROM account WHERE kind = 'user' GROUP BY ALL),
groups AS (SELECT recording, id, min(name) AS name FROM account WHERE kind = 'group' GROUP BY ALL),
p AS (
  SELECT
    coalesce(l.recording, s.recording) AS recording,
    coalesce(l.host, s.host) AS host,
    coalesce(l.pid, s.pid) AS pid,
    l.ppid, coalesce(l.comm, s.comm) AS comm, l.exe, l.argv, l.cwd, l.uid, l.euid, l.gid, l.loginuid, l.cgroup_id,
    coalesce(l.start_ts, least(l.first_ts, s.first_ts)) AS start_ts,
    coalesce(l.exit_ts, greatest(l.first_ts, s.last_ts)) AS end_ts,
    l.exit_ts IS NOT NULL AS exited,
    l.exit_code, l.exit_signal, l.exit_status,
    coalesce(l.exit_ts, greatest(l.first_ts, s.last_ts)) - least(l.first_ts, s.first_ts) AS duration_ns,
    coalesce(l.execs, 0) AS execs,
    coalesce(l.forked, false) AS forked_in_recording,
    coalesce(l.running_at_start, false) AS running_at_start,
    coalesce(l.kthread, false) AS kthread
  FROM process_lifecycle l FULL OUTER JOIN seen s ON l.recording = s.recording AND l.pid = s.pid
)
SELECT p.*, u.name AS "user", eu.name AS euser, g.name AS "group", lu.name AS login_user,
  c.path AS cgroup, c.container_id, c.runtime AS container_runtime, c.pod_uid
FROM p
LEFT JOIN users u ON u.recording = p.recording AND u.id = p.uid
LEFT JOIN users eu ON eu.recording = p.recording AND eu.id = p.euid
LEFT JOIN users lu ON lu.recording = p.recording AND lu.id = p.loginuid
LEFT JOIN groups g ON g.recording = p.recording AND g.id = p.gid
LEFT JOIN cgroup c ON c.recording = p.recording AND c.id = p.cgroup_id`],

  ['process_tree', 'each process with its ancestry from the root of its tree: path of pids and depth (a process the recording found running whose parent it does not cover is a root, and so is a parent with no rows of its own)', `
WITH RECURSIVE nodes AS MATERIALIZED (
  SELECT recording, host, pid, ppid, comm, exe, argv, first_ts AS start_ts, exit_ts AS end_ts, exit_code, exit_signal FROM process_lifecycle
  UNION ALL
  -- Parents outside the recording, but not the recorder (the parent of a command it launched)
  -- and not the parent of a process the recording found running (it is a root).
  SELECT DISTINCT l.recording, l.host, l.ppid, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM process_lifecycle l JOIN recordings r USING (recording)
  WHERE l.ppid IS NOT NULL AND l.ppid <> r.writer_pid AND NOT l.running_at_start
    AND NOT EXISTS (SELECT 1 FROM process_lifecycle p WHERE p.recording = l.recording AND p.pid = l.ppid)
),
tree AS (
  SELECT n.recording, n.pid, n.ppid, [n.pid] AS path, 0 AS depth
  FROM nodes n
  WHERE NOT EXISTS (SELECT 1 FROM nodes q WHERE q.recording = n.recording AND q.pid = n.ppid)
  UNION ALL
  SELECT c.recording, c.pid, c.ppid, list_append(t.path, c.pid), t.depth + 1
  FROM nodes c JOIN tree t ON c.recording = t.recording AND c.ppid = t.pid
  WHERE t.depth < 4096 AND NOT list_contains(t.path, c.pid)
)
SELECT t.recording, n.host, t.pid, t.ppid, t.depth, t.path, t.path[1] AS root, n.comm, n.exe, n.argv, n.start_ts, n.end_ts, n.exit_code, n.exit_signal
FROM tree t JOIN nodes n ON n.recording = t.recording AND n.pid = t.pid`],

  ['dns_answers', 'one row per address a DNS response gave a process (its A and AAAA records): the name asked for, the address, its TTL, the server, when and who; responses without an address (NXDOMAIN, ...) are the dns rows of kind answer with answer null', `
SELECT recording, host, ts, seq, time, pid, tid, comm, qname, qtype, qtype_name, answer, answer_family, ttl,
  ts + ttl::UBIGINT * 1000000000 AS expires_ts, rcode, rcode_name, answers_cut, server, server_port, qid, fd
FROM dns WHERE kind = 'answer' AND answer IS NOT NULL`],

  ['connections', 'one row per socket a process connected or accepted, failed attempts included: endpoints, the name the remote address was looked up by (remote_name), direction, outcome and errno, bytes, duration', `
-- A socket is a process's fd from its connect or accept until its close (a retry of a
-- non-blocking connect on the same fd is the same socket). Its rows: the calls, the byte
-- totals (close rows after shutdown() have no local port: they are matched by fd, not by
-- endpoints) and the TCP state changes of its endpoints.
WITH fd_rows AS (
  SELECT *, lag(op) OVER w AS prev_op, lag(ret) OVER w AS prev_ret, lag(daddr) OVER w AS prev_daddr, lag(dport) OVER w AS prev_dport
  FROM net WHERE op IN ('connect', 'accept', 'close', 'io') AND fd >= 0
  WINDOW w AS (PARTITION BY recording, pid, fd ORDER BY seq)
),
numbered AS (
  SELECT *, sum(CASE WHEN prev_op IS NULL OR prev_op = 'close'
      OR (op = 'accept') OR (op = 'connect' AND NOT (prev_op = 'connect' AND prev_ret IN (-115, -114)
        AND prev_daddr IS NOT DISTINCT FROM daddr AND prev_dport = dport)) THEN 1 ELSE 0 END)
    OVER (PARTITION BY recording, pid, fd ORDER BY seq) AS socket
  FROM fd_rows
),
sockets AS (
  SELECT recording, pid, fd, socket, any_value(host) AS host, arg_min(comm, seq) AS comm,
    max(family) FILTER (WHERE family IN (2, 10)) AS family, max(proto) AS proto,
    arg_min(saddr, seq) FILTER (WHERE sport <> 0) AS local_addr, arg_min(sport, seq) FILTER (WHERE sport <> 0) AS local_port,
    arg_min(daddr, seq) FILTER (WHERE dport <> 0) AS remote_addr, arg_min(dport, seq) FILTER (WHERE dport <> 0) AS remote_port,
    CASE WHEN bool_or(op = 'accept') THEN 'inbound' WHEN bool_or(op = 'connect') THEN 'outbound' ELSE 'unknown' END AS direction,
    min(ts) AS first_ts, max(ts) AS last_ts,
    coalesce(sum(bytes_sent) FILTER (WHERE op IN ('close', 'io')), 0) AS bytes_sent,
    coalesce(sum(bytes_received) FILTER (WHERE op IN ('close', 'io')), 0) AS bytes_received,
    bool_or(op = 'close') AS closed,
    count(*) FILTER (WHERE op = 'connect') AS connects,
    arg_max(ret, seq) FILTER (WHERE op = 'connect') AS connect_ret
  FROM numbered GROUP BY recording, pid, fd, socket
  HAVING bool_or(op IN ('connect', 'accept')) OR bool_or(dport <> 0)
),
-- Each state change goes to the socket of its process with its remote end and local port,
-- nearest in time. A socket gives its port back on entering CLOSE (so a failed connect
-- never shows one, and late state rows have none): a port missing on either side matches.
states AS (
  SELECT s.recording, s.pid, k.fd, k.socket, s.ts, s.seq, s.old_state, s.new_state
  FROM net s JOIN sockets k ON k.recording = s.recording AND k.pid = s.pid AND k.remote_addr = s.daddr AND k.remote_port = s.dport
    AND (k.local_port = s.sport OR k.local_port IS NULL OR s.sport = 0)
  WHERE s.op = 'state'
  QUALIFY row_number() OVER (PARTITION BY s.recording, s.seq
    ORDER BY k.local_port IS NOT DISTINCT FROM s.sport DESC, abs(s.ts::BIGINT - k.first_ts::BIGINT)) = 1
),
lived AS (
  SELECT recording, pid, fd, socket,
    bool_or(new_state = 1) AS established,
    min(ts) FILTER (WHERE old_state = 2 AND new_state = 7) AS syn_failed_ts,
    bool_or(old_state = 1 AND new_state = 7) AS reset,
    arg_max(new_state, seq) AS last_state
  FROM states GROUP BY recording, pid, fd, socket
)
SELECT k.recording, k.host, k.pid, k.comm, k.fd, k.family, k.proto,
  k.local_addr, k.local_port, k.remote_addr, k.remote_port, k.direction,
  CASE
    WHEN l.reset THEN 'reset'
    WHEN k.direction = 'inbound' OR k.connect_ret IN (0, -106) OR l.established THEN CASE WHEN k.proto = 17 THEN 'connected' ELSE 'established' END
    WHEN k.direction = 'unknown' THEN 'unknown'
    -- A non-blocking connect that failed later: no SYN is retransmitted within a second (the
    -- kernel's initial RTO), so failing sooner was an answer (RST or ICMP), later a timeout.
    WHEN k.connect_ret IN (-115, -114) AND l.syn_failed_ts IS NOT NULL
      THEN CASE WHEN l.syn_failed_ts::BIGINT - k.first_ts::BIGINT >= 1000000000 THEN 'timed out' ELSE 'refused' END
    WHEN k.connect_ret IN (-115, -114) THEN 'in progress'
    WHEN k.connect_ret = -111 THEN 'refused'
    WHEN k.connect_ret = -110 THEN 'timed out'
    WHEN k.connect_ret = -104 THEN 'reset'
    WHEN k.connect_ret IN (-101, -113) THEN 'unreachable'
    ELSE 'failed'
  END AS outcome,
  ret_errno(k.connect_ret) AS errno,
  k.first_ts, k.last_ts, k.last_ts - k.first_ts AS duration_ns,
  k.bytes_sent, k.bytes_received,
  tcp_state_name(l.last_state) AS last_state, k.closed, k.connects, k.connect_ret,
  n.qname AS remote_name
FROM sockets k LEFT JOIN lived l USING (recording, pid, fd, socket)
-- The remote address's name: the latest DNS answer that gave it before the socket's first row,
-- to any process of the recording (a resolver may be another process: a cache, a browser's
-- network service). An IPv4 address reached through an IPv6 socket (::ffff:a.b.c.d) is the
-- A record's address.
ASOF LEFT JOIN (SELECT recording, answer, ts, qname FROM dns_answers) n
  ON n.recording = k.recording
  AND n.answer = CASE WHEN k.remote_addr LIKE '::ffff:%.%' THEN substr(k.remote_addr, 8) ELSE k.remote_addr END
  AND n.ts <= k.first_ts
WHERE k.family IS NOT NULL`],

  ['file_activity', 'one row per process and path: what it did to the file, bytes read and written, whether it was created, truncated or removed, first and last time', `
WITH touched AS (
  SELECT recording, host, pid, comm, ts, op, path, fd, flags, bytes_read, bytes_written, ret FROM file
  WHERE path IS NOT NULL AND path <> ''
  UNION ALL
  SELECT recording, host, pid, comm, ts, op || '_to', path2, fd, flags, 0, 0, ret FROM file
  WHERE path2 IS NOT NULL AND path2 <> '' AND op IN ('rename', 'link', 'symlink')
)
SELECT recording, any_value(host) AS host, pid, arg_min(comm, ts) AS comm, path,
  min(ts) AS first_ts, max(ts) AS last_ts,
  list_sort(list_distinct(list(op))) AS ops,
  count(*) FILTER (WHERE op IN ('open', 'creat')) AS opens,
  count(*) FILTER (WHERE op IN ('open', 'creat') AND ret < 0) AS failed_opens,
  sum(bytes_read) AS bytes_read, sum(bytes_written) AS bytes_written,
  sum(bytes_written) > 0 OR bool_or(op IN ('creat', 'truncate', 'rename_to', 'link_to', 'symlink_to', 'mkdir'))
    OR bool_or(op = 'open' AND ret >= 0 AND (flags & 3 <> 0 OR flags & 64 <> 0)) AS written,
  -- Made (or opened to be made: an O_CREAT open of a file that was there reads the same) and
  -- emptied: changes that write no bytes. O_CREAT and O_TRUNC have one value on every architecture.
  bool_or(ret >= 0 AND (op IN ('creat', 'mkdir', 'link_to', 'symlink_to') OR (op = 'open' AND flags & 64 <> 0))) AS created,
  bool_or(ret >= 0 AND (op IN ('truncate', 'creat') OR (op = 'open' AND flags & 512 <> 0))) AS truncated,
  bool_or(op IN ('unlink', 'rmdir', 'rename') AND ret = 0) AS removed
FROM touched
GROUP BY recording, pid, path`],

  ['timeline', 'every event as one line: time, process, kind and a readable summary', `
SELECT ts, seq, time, recording, host, pid, tid, comm, 'syscall' AS kind,
  name || '(' || args_text || ') = ' || CASE WHEN NOT returned THEN '?' WHEN errno IS NOT NULL THEN '-1 ' || errno ELSE ret::VARCHAR END AS summary
FROM syscalls
UNION ALL
SELECT ts, seq, time, recording, host, pid, tid, comm, kind,
  CASE kind WHEN 'exec' THEN filename || ' ' || array_to_string(argv, ' ')
            WHEN 'fork' THEN 'forked from ' || ppid
            ELSE 'exit ' || coalesce('code ' || exit_code, 'signal ' || exit_signal, 'status ' || exit_status) END
FROM proc
UNION ALL
SELECT ts, seq, time, recording, host, pid, tid, comm, 'file',
  op || ' ' || coalesce(path, '') || coalesce(' -> ' || path2, '') ||
  CASE WHEN op IN ('close', 'io') THEN ' read ' || bytes_read || ' written ' || bytes_written ELSE ' = ' || coalesce('-1 ' || errno, ret::VARCHAR) END
FROM file
UNION ALL
SELECT ts, seq, time, recording, host, pid, tid, comm, 'net',
  op || ' ' || coalesce(unix_path, coalesce(saddr, '?') || ':' || sport || ' -> ' || coalesce(daddr, '?') || ':' || dport) ||
  CASE WHEN op IN ('close', 'io') THEN ' sent ' || bytes_sent || ' received ' || bytes_received
       WHEN op = 'state' THEN ' state ' || old_state_name || ' -> ' || new_state_name ELSE ' = ' || coalesce('-1 ' || errno, ret::VARCHAR) END
FROM net
UNION ALL
SELECT ts, seq, time, recording, host, pid, tid, comm, 'dns',
  CASE WHEN kind = 'answer' THEN 'answer ' || qname || ' ' || qtype_name || ' ' ||
      coalesce(answer || ' ttl ' || ttl, rcode_name) || CASE WHEN answers_cut THEN ' (cut)' ELSE '' END ||
      ' from ' || coalesce(server, '?') || ':' || server_port
    ELSE 'query ' || qname || ' ' || qtype_name || ' to ' || coalesce(server, '?') || ':' || server_port END
FROM dns
UNION ALL
SELECT ts, seq, time, recording, host, pid, tid, comm, 'mem',
  op || ' 0x' || lower(hex(addr)) || ' len ' || len || ' ' || prot_text || coalesce(' ' || flags_text, '') || coalesce(' ' || path, '') ||
  CASE WHEN wx THEN ' W+X' ELSE '' END || CASE WHEN exec_after_write THEN ' exec-after-write' ELSE '' END
FROM mem
UNION ALL
SELECT ts, seq, time, recording, host, pid, tid, comm, 'bio', op || ' ' || bytes || ' bytes at sector ' || sector || ' dev ' || dev
FROM bio
UNION ALL
SELECT ts, seq, time, recording, host, pid, NULL, NULL, 'alert', severity || ' ' || detector || ': ' || title
FROM alert
UNION ALL
SELECT ts, seq, time, recording, host, NULL, NULL, NULL, 'gap', 'lost ' || lost || coalesce(' ' || "table" || ' rows', ' events') || ' on cpu ' || cpu
FROM gap`],

  ['alerts', 'alerts raised by detectors, with their severity rank (1 least severe) and the process each is about: what it ran, where, who ran it, its container', `
-- From the process's proc rows, not the processes view: that one reads every syscall row.
SELECT a.*, list_position([${SEVERITIES.map((l) => `'${l}'`).join(', ')}], a.severity) AS severity_rank,
  l.exe, l.argv, l.cwd, u.name AS "user", c.container_id, c.runtime AS container_runtime, c.pod_uid
FROM alert a
LEFT JOIN process_lifecycle l ON l.recording = a.recording AND l.pid = a.pid
LEFT JOIN (SELECT recording, id, min(name) AS name FROM account WHERE kind = 'user' GROUP BY ALL) u ON u.recording = a.recording AND u.id = l.uid
LEFT JOIN cgroup c ON c.recording = a.recording AND c.id = l.cgroup_id`],
];

/** Macros; `wall()` and `ts_of()` are defined per query session (session.ts), since they need the recordings' clocks. */
export const DERIVED_MACROS: readonly string[] = [
  // The syscalls of one process as strace -y writes them: each call's first fd (or directory
  // fd) with the path the process opened it with, from the latest open, io or close row of
  // that fd before the call (after a close, the fd has none). A table macro, not a column of
  // syscalls: finding the latest row of every call's fd sorts every call, which made a scan
  // of the timeline of 5M rows 6x slower; one process's calls are few.
  `CREATE OR REPLACE MACRO strace(p) AS TABLE
WITH fd_rows AS (SELECT recording, fd, ts, op, path, abs_path FROM file WHERE pid = p AND op IN ('open', 'creat', 'io', 'close') AND fd >= 0)
SELECT s.* REPLACE (CASE WHEN f.op IN ('open', 'creat', 'io') AND s.name NOT IN (${JOINED_CALLS})
  THEN fr_args(syscall_arg_kinds(s.recording, s.nr), syscall_fd_arg(s.recording, s.nr), s.arg0, s.arg1, s.arg2, s.arg3, s.arg4, s.arg5, coalesce(f.abs_path, f.path))
  ELSE s.args_text END AS args_text)
FROM (SELECT *, fr_nth_arg(syscall_fd_arg(recording, nr), arg0, arg1, arg2, arg3, arg4, arg5) & 4294967295 AS fd FROM syscalls WHERE pid = p) s
ASOF LEFT JOIN fd_rows f ON f.recording = s.recording AND f.fd = s.fd AND s.ts > f.ts`,
  // Every process below `root` in the tree, `root` included.
  `CREATE OR REPLACE MACRO descendants(root) AS TABLE SELECT * FROM process_tree WHERE list_contains(path, root)`,
  // Every process above `p` in the tree, `p` included.
  `CREATE OR REPLACE MACRO ancestors(p) AS TABLE
     SELECT a.* FROM process_tree a JOIN process_tree t ON a.recording = t.recording AND list_contains(t.path, a.pid) WHERE t.pid = p`,
];
