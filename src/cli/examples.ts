// The examples of each command, keyed by command path: shown at the end of its --help and
// in the man page. They are run by test/cli/examples.test.ts, in this order, in a directory
// where the first makes the synthetic recording `rec` the others read, and `rules/` holds
// Sigma rules (SigmaHQ's file_event rules).

export interface Example {
  /** What it does, for a person. */
  readonly says: string;
  /** The arguments after `flightrec`. */
  readonly argv: readonly string[];
  /** Shell text after the command (`> file`, `| man -l -`); the tests run the command without it. */
  readonly then?: string;
  /** It records the kernel: the tests only parse it. */
  readonly kernel?: true;
}

export const EXAMPLES: Readonly<Record<string, readonly Example[]>> = {
  demo: [
    { says: 'write a synthetic recording to try the other commands on', argv: ['demo', '-o', 'rec'] },
  ],
  '': [
    { says: 'record a command and every process it starts', argv: ['record', '-o', 'rec', '--', 'make', 'test'], kernel: true },
    { says: 'ask a recording what ran', argv: ['sql', 'rec', 'SELECT pid, ppid, exe, argv FROM processes'] },
  ],
  record: [
    { says: 'record curl and every process it starts into the new directory rec', argv: ['record', '-o', 'rec', '--', 'curl', '-s', 'example.com'], kernel: true },
    { says: 'record the whole host for five minutes, with the built-in detectors watching live', argv: ['record', '-o', 'host', '--all', '--duration', '5m', '--detect', '--alerts-out', 'alerts.jsonl'], kernel: true },
    { says: 'a flight recorder: keep the last 2 GiB, and the 60 s before and 30 s after each critical alert in incidents/', argv: ['record', '-o', 'ring', '--all', '--keep-size', '2G', '--detect', '--incidents', 'incidents'], kernel: true },
  ],
  mark: [
    { says: 'from another shell: keep the minutes around now of the host recording as an incident', argv: ['mark', 'host', '--note', 'odd login on web-3'], kernel: true },
  ],
  status: [
    { says: 'the recorders running on this host: window, rates, losses, disk use, CPU and memory', argv: ['status'] },
    { says: 'the recorder of the recording host only, as JSON (exit 1 when none is running)', argv: ['status', 'host', '--json'], kernel: true },
  ],
  doctor: [
    { says: 'can flightrec record on this kernel, and which tables', argv: ['doctor'], kernel: true },
  ],
  info: [
    { says: 'what rec holds: time range, rows and bytes per table, losses, integrity', argv: ['info', 'rec'] },
  ],
  verify: [
    { says: 'hash every file and check the chain (exit 0 verified, 1 failed, 3 unsealed)', argv: ['verify', 'rec'] },
  ],
  seal: [
    { says: 'after the recorder crashed: seal what it wrote, so verify can prove it', argv: ['seal', 'rec'] },
  ],
  slice: [
    { says: 'cut process 4096 and every process forked from it into a fixture', argv: ['slice', 'rec', '-o', 'fixture', '--tree', '4096'] },
    { says: 'keep the first second only', argv: ['slice', 'rec', '-o', 'first-second', '--to', '+1s'] },
  ],
  sql: [
    { says: 'one row per process: parent, what it ran, who ran it, how it ended', argv: ['sql', 'rec', 'SELECT * FROM processes'] },
    { says: 'the ten busiest syscalls, as CSV', argv: ['sql', 'rec', 'SELECT name, count(*) AS calls FROM syscalls GROUP BY name ORDER BY calls DESC LIMIT 10', '-o', 'top.csv'] },
  ],
  shell: [
    { says: 'a SQL prompt over rec (.tables lists what there is to query)', argv: ['shell', 'rec'] },
  ],
  export: [
    { says: 'write rec as Parquet under fleet/host=.../date=.../table=...', argv: ['export', 'rec', '--parquet', 'fleet'] },
    { says: 'then query every host in it at once', argv: ['sql', '--fleet', 'fleet', 'SELECT host, count(*) AS processes FROM processes GROUP BY host'] },
  ],
  'notebook run': [
    { says: 'run the shipped triage notebook over rec', argv: ['notebook', 'run', 'triage', 'rec'] },
    { says: 'write the process-tree notebook with its results to a file', argv: ['notebook', 'run', 'process-tree', 'rec', '-o', 'tree.md'] },
  ],
  'baseline learn': [
    { says: 'learn what normal looks like from a clean recording', argv: ['baseline', 'learn', 'rec', '-o', 'baseline.json'] },
  ],
  replay: [
    { says: 'run the built-in detectors over rec and print their alerts', argv: ['replay', 'rec'] },
    { says: 'with the anomaly detector too, alerts as JSON Lines to a file', argv: ['replay', 'rec', '--baseline', 'baseline.json', '-f', 'jsonl', '-o', 'alerts.jsonl'] },
    { says: 'with the Sigma rules of the directory rules/ beside the built-in detectors', argv: ['replay', 'rec', '--sigma', 'rules/'] },
  ],
  'sigma check': [
    { says: 'which Sigma rules of the directory rules/ run on recordings, and why the others do not', argv: ['sigma', 'check', 'rules/'] },
  ],
  hunt: [
    { says: 'every event of rec a Sigma rule of rules/ matches, found by SQL', argv: ['hunt', 'rec', '--sigma', 'rules/'] },
    { says: 'the query, to run elsewhere', argv: ['hunt', '--sigma', 'rules/', '--show-sql'] },
  ],
  detectors: [
    { says: 'the built-in detectors and the tables they read', argv: ['detectors'] },
  ],
  completion: [
    { says: 'bash, for every user (or `source <(flightrec completion bash)` in ~/.bashrc)', argv: ['completion', 'bash'], then: '> /etc/bash_completion.d/flightrec' },
    { says: 'zsh: a file _flightrec in a directory of $fpath, then a new shell', argv: ['completion', 'zsh'], then: '> /usr/local/share/zsh/site-functions/_flightrec' },
    { says: 'fish', argv: ['completion', 'fish'], then: '> ~/.config/fish/completions/flightrec.fish' },
  ],
  man: [
    { says: 'read the manual without installing it', argv: ['man'], then: '| man -l -' },
    { says: 'install it', argv: ['man'], then: '> /usr/local/share/man/man1/flightrec.1' },
  ],
};

/** A word as a POSIX shell reads it back: bare when it can be, else quoted. */
export function shellWord(w: string): string {
  if (/^[\w@%+=:,./-]+$/.test(w)) return w;
  return /["$`\\!]/.test(w) ? `'${w.replace(/'/g, `'\\''`)}'` : `"${w}"`;
}

/** The command line of an example, as typed. */
export function exampleLine(e: Example): string {
  return ['flightrec', ...e.argv].map(shellWord).join(' ') + (e.then !== undefined ? ` ${e.then}` : '');
}

/** The Examples: section of a command's --help (a group shows its commands'). */
export function examplesHelp(path: readonly string[]): string {
  const key = path.join(' ');
  const own = EXAMPLES[key];
  const list = own ?? Object.entries(EXAMPLES).filter(([k]) => k.startsWith(`${key} `)).flatMap(([, es]) => es);
  if (list.length === 0) return '';
  return `\nExamples:\n${list.map((e) => `  # ${e.says}\n  ${exampleLine(e)}`).join('\n')}`;
}
