// Views analysts would otherwise write every time, over the per-table views (which the
// schema generates). They are the same over a recording's cache and over an exported
// fleet directory, because both give the per-table views the same columns.

/** `recordings`: one row per recording queried; `syscall_names`: numbers to names per architecture. */
export const META_COLUMNS = {
  recordings: `recording VARCHAR, host VARCHAR, id VARCHAR, arch VARCHAR, kernel_release VARCHAR, boot_id VARCHAR,
    command_line VARCHAR[], targets VARCHAR, recorder_version VARCHAR, created_at VARCHAR, closed_at VARCHAR,
    wall_offset_ns BIGINT, segments INTEGER, first_ts UBIGINT, last_ts UBIGINT, writer_pid UINTEGER`,
  syscall_names: 'arch VARCHAR, nr UINTEGER, name VARCHAR',
} as const;

export const DERIVED_VIEWS: ReadonlyArray<readonly [name: string, doc: string, sql: string]> = [
  ['syscalls', 'syscall rows with the syscall name of the recording\'s architecture', `
SELECT *, syscall_name(recording, nr) AS name FROM syscall`],

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
  arg_max(cgroup_id, ts) AS cgroup_id,
  arg_max(comm, ts) AS comm,
  arg_max(exit_code, ts) FILTER (WHERE kind = 'exit') AS exit_code,
  count(*) FILTER (WHERE kind = 'exec') AS execs,
  bool_or(kind = 'fork') AS forked,
  bool_or(kind = 'snapshot') AS running_at_start,
  coalesce(bool_or(kthread), false) AS kthread
FROM proc GROUP BY recording, pid`],

  ['processes', 'one row per process, also those seen only in syscalls: start, end, parent, what it ran and where, who ran it (names from the account table), its container, how it ended', `
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
    l.ppid, coalesce(l.comm, s.comm) AS comm, l.exe, l.argv, l.cwd, l.uid, l.euid, l.gid, l.cgroup_id,
    coalesce(l.start_ts, least(l.first_ts, s.first_ts)) AS start_ts,
    coalesce(l.exit_ts, greatest(l.first_ts, s.last_ts)) AS end_ts,
    l.exit_ts IS NOT NULL AS exited,
    l.exit_code,
    coalesce(l.exit_ts, greatest(l.first_ts, s.last_ts)) - least(l.first_ts, s.first_ts) AS duration_ns,
    coalesce(l.execs, 0) AS execs,
    coalesce(l.forked, false) AS forked_in_recording,
    coalesce(l.running_at_start, false) AS running_at_start,
    coalesce(l.kthread, false) AS kthread
  FROM process_lifecycle l FULL OUTER JOIN seen s ON l.recording = s.recording AND l.pid = s.pid
)
SELECT p.*, u.name AS "user", eu.name AS euser, g.name AS "group",
  c.path AS cgroup, c.container_id, c.runtime AS container_runtime, c.pod_uid
FROM p
LEFT JOIN users u ON u.recording = p.recording AND u.id = p.uid
LEFT JOIN users eu ON eu.recording = p.recording AND eu.id = p.euid
LEFT JOIN groups g ON g.recording = p.recording AND g.id = p.gid
LEFT JOIN cgroup c ON c.recording = p.recording AND c.id = p.cgroup_id`],

  ['process_tree', 'each process with its ancestry from the root of its tree: path of pids and depth (a process the recording found running whose parent it does not cover is a root, and so is a parent with no rows of its own)', `
WITH RECURSIVE nodes AS MATERIALIZED (
  SELECT recording, host, pid, ppid, comm, exe, argv, first_ts AS start_ts, exit_ts AS end_ts, exit_code FROM process_lifecycle
  UNION ALL
  -- Parents outside the recording, but not the recorder (the parent of a command it launched)
  -- and not the parent of a process the recording found running (it is a root).
  SELECT DISTINCT l.recording, l.host, l.ppid, NULL, NULL, NULL, NULL, NULL, NULL, NULL
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
SELECT t.recording, n.host, t.pid, t.ppid, t.depth, t.path, t.path[1] AS root, n.comm, n.exe, n.argv, n.start_ts, n.end_ts, n.exit_code
FROM tree t JOIN nodes n ON n.recording = t.recording AND n.pid = t.pid`],

  ['connections', 'one row per socket seen with endpoints: local and remote address and port, direction, bytes, duration', `
SELECT recording, any_value(host) AS host, pid, arg_min(comm, ts) AS comm, family, proto,
  saddr AS local_addr, sport AS local_port, daddr AS remote_addr, dport AS remote_port,
  CASE WHEN bool_or(op = 'accept') THEN 'inbound' WHEN bool_or(op = 'connect') THEN 'outbound' ELSE 'unknown' END AS direction,
  min(ts) AS first_ts, max(ts) AS last_ts, max(ts) - min(ts) AS duration_ns,
  coalesce(sum(bytes_sent), 0) AS bytes_sent, coalesce(sum(bytes_received), 0) AS bytes_received,
  arg_max(new_state, ts) FILTER (WHERE op = 'state') AS last_state,
  bool_or(op = 'close') AS closed,
  min(ret) FILTER (WHERE op = 'connect') AS connect_ret
FROM net
-- Both ports known: a listening socket, or one before its port is chosen, is not a connection yet.
WHERE op IN ('connect', 'accept', 'state', 'close', 'io') AND family IN (2, 10) AND sport <> 0 AND dport <> 0
GROUP BY recording, pid, family, proto, saddr, sport, daddr, dport`],

  ['file_activity', 'one row per process and path: what it did to the file, bytes read and written, first and last time', `
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
  bool_or(op IN ('unlink', 'rmdir', 'rename') AND ret = 0) AS removed
FROM touched
GROUP BY recording, pid, path`],

  ['timeline', 'every event as one line: time, process, kind and a readable summary', `
SELECT ts, seq, time, recording, host, pid, tid, comm, 'syscall' AS kind,
  syscall_name(recording, nr) || '(' || arg0 || ', ' || arg1 || ', ' || arg2 || ') = ' || ret AS summary
FROM syscall
UNION ALL
SELECT ts, seq, time, recording, host, pid, tid, comm, kind,
  CASE kind WHEN 'exec' THEN filename || ' ' || array_to_string(argv, ' ')
            WHEN 'fork' THEN 'forked from ' || ppid
            ELSE 'exit status ' || exit_code END
FROM proc
UNION ALL
SELECT ts, seq, time, recording, host, pid, tid, comm, 'file',
  op || ' ' || coalesce(path, '') || coalesce(' -> ' || path2, '') ||
  CASE WHEN op IN ('close', 'io') THEN ' read ' || bytes_read || ' written ' || bytes_written ELSE ' = ' || ret END
FROM file
UNION ALL
SELECT ts, seq, time, recording, host, pid, tid, comm, 'net',
  op || ' ' || coalesce(unix_path, coalesce(saddr, '?') || ':' || sport || ' -> ' || coalesce(daddr, '?') || ':' || dport) ||
  CASE WHEN op IN ('close', 'io') THEN ' sent ' || bytes_sent || ' received ' || bytes_received
       WHEN op = 'state' THEN ' state ' || old_state || ' -> ' || new_state ELSE ' = ' || ret END
FROM net
UNION ALL
SELECT ts, seq, time, recording, host, pid, tid, comm, 'dns', 'query ' || qname || ' type ' || qtype || ' to ' || coalesce(server, '?') || ':' || server_port
FROM dns
UNION ALL
SELECT ts, seq, time, recording, host, pid, tid, comm, 'mem',
  op || ' 0x' || lower(hex(addr)) || ' len ' || len || ' prot ' || prot || coalesce(' ' || path, '') ||
  CASE WHEN wx THEN ' W+X' ELSE '' END || CASE WHEN exec_after_write THEN ' exec-after-write' ELSE '' END
FROM mem
UNION ALL
SELECT ts, seq, time, recording, host, pid, tid, comm, 'bio', op || ' ' || bytes || ' bytes at sector ' || sector || ' dev ' || dev
FROM bio
UNION ALL
SELECT ts, seq, time, recording, host, pid, NULL, NULL, 'alert', severity || ' ' || detector || ': ' || title
FROM alert
UNION ALL
SELECT ts, seq, time, recording, host, NULL, NULL, NULL, 'gap', 'lost ' || lost || ' events on cpu ' || cpu
FROM gap`],

  ['alerts', 'alerts raised by detectors, most severe first within time', `
SELECT *, list_position(['info', 'warning', 'critical', 'emergency'], severity) AS severity_rank FROM alert`],
];

/** Macros; `wall(ts)` is defined per query session, since it needs the recording's clock. */
export const DERIVED_MACROS: readonly string[] = [
  // Every process below `root` in the tree, `root` included.
  `CREATE OR REPLACE MACRO descendants(root) AS TABLE SELECT * FROM process_tree WHERE list_contains(path, root)`,
  // Every process above `p` in the tree, `p` included.
  `CREATE OR REPLACE MACRO ancestors(p) AS TABLE
     SELECT a.* FROM process_tree a JOIN process_tree t ON a.recording = t.recording AND list_contains(t.path, a.pid) WHERE t.pid = p`,
];
