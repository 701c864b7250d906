// SigmaHQ's rules, unmodified (fixtures/sigma), on the real kernel: scripted attacker
// behaviour fires the rules written for it (auditd's too, on the records flightrec makes of
// the syscall, proc and file tables; the login session's audit loginuid as LogonId), live
// and in replay alike, byte for byte; benign
// work (a build, a backup with tar) raises nothing high or critical; and `hunt` finds, as
// SQL, what replay finds, over the recording and over its fleet export. Nothing here changes
// the host: the cron file is written under a tmpfs over /etc (the SCX agent's directory over
// /var/opt) in a mount namespace of its own.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, alertEvents, cli, tempDir } from '../helpers.js';
import { kernelAvailable } from './kernel.js';

const run = kernelAvailable();
const RULES = join(ROOT, 'fixtures', 'sigma', 'rules');

const ATTACK = `
# a base64-decoded command piped to a shell
sh -c 'echo ZWNobyBoZWxsbw== | base64 -d | sh'
# a file in /etc/cron.d (on a tmpfs over /etc, in a mount namespace of its own)
unshare -m --propagation private sh -c 'mount -t tmpfs none /etc && mkdir /etc/cron.d && echo "* * * * * root true" > /etc/cron.d/flightrec-test'
# a setuid file
sh -c 'f=$(mktemp) && chown root "$f" && chmod u+s "$f" && rm -f "$f"'
# a connection to a tunnel service, named by the DNS answer that gave its address
python3 ${join(ROOT, 'test', 'kernel', 'scripts', 'tunnel_lookup.py')} x1.tunnel.us.ngrok.com
# OMIGOD: a shell the SCX agent runs as root in its directory (a tmpfs over /var/opt), in root's login session (audit loginuid 0)
unshare -m --propagation private sh -c 'mount -t tmpfs none /var/opt && mkdir -p /var/opt/microsoft/scx/tmp && cd /var/opt/microsoft/scx/tmp && echo 0 > /proc/self/loginuid && /bin/sh -c "true /etc/opt/microsoft/scx/conf/tmpdir/scx1234"'
`;

// auditd's rules, on the records flightrec makes of the same work: personality() turning ASLR
// off (a SYSCALL record), chmod 777 (EXECVE), split (SYSCALL by comm), ld.so.preload written
// (PATH, on a tmpfs over /etc) and a new user (useradd in a copy of /etc, without lastlog and
// home: the host is untouched).
const AUDITED = `
setarch x86_64 -R true
f=$(mktemp) && chmod 777 "$f" && rm -f "$f"
d=$(mktemp -d) && head -c 4096 /dev/zero > "$d/in" && split -b 1024 "$d/in" "$d/part" && rm -rf "$d"
unshare -m --propagation private sh -c 'mount -t tmpfs none /etc && : > /etc/ld.so.preload'
e=$(mktemp -d) && unshare -m --propagation private sh -c "mount -t tmpfs none $e && cp -a /etc/* $e/ && mount --bind $e /etc && useradd -l -M flightrec-sigma-test"; rmdir "$e"
`;

const BENIGN = (dir: string): string => `
cd ${dir}
printf '#include <stdio.h>\\nint main(void) { puts("built"); return 0; }\\n' > hello.c
cc -O2 -o hello hello.c
./hello
mkdir -p data && cp hello.c hello data/
tar czf backup.tgz data
tar tzf backup.tgz > /dev/null
`;

interface SigmaAlert { seq: number; title: string; severity: string; evidence: object; related_seqs: number[] }

/** Records the script with live detection (the built-ins and the Sigma rules); the recording. */
function record(script: string): string {
  const dir = tempDir();
  const file = join(dir, 'script.sh');
  writeFileSync(file, script);
  const rec = join(dir, 'rec');
  const r = cli('record', '-o', rec, '-q', '--detect', '--sigma', RULES, '--', 'sh', file);
  expect(r.code, r.stderr).toBe(0);
  return rec;
}

/** replay --check-stored with the same rules: the replay's alerts, having checked they equal the stored live ones. */
function replayed(rec: string): SigmaAlert[] {
  const r = cli('replay', rec, '--sigma', RULES, '--check-stored', '-f', 'jsonl');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/the \d+ stored live alerts equal the replay's/);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as SigmaAlert & { detector: string }).filter((a) => a.detector === 'sigma');
}

/** What a hunt finds, as `seq title` lines in order. */
function hunted(...args: string[]): string[] {
  const r = cli('hunt', ...args, '--sigma', RULES, '-f', 'json');
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as Array<{ seq: number; rule: string }>).map((m) => `${m.seq} ${m.rule}`);
}

// Recording, replay, hunt and a fleet export each: over a minute on a loaded machine.
describe.runIf(run)('Sigma rules on the real kernel', () => {
  it('fires the rules written for scripted attacks, live and in replay alike; hunt finds the same, in the recording and in its export', () => {
    const rec = record(ATTACK);
    const alerts = replayed(rec);
    const titles = new Set(alerts.map((a) => a.title));
    for (const t of ['Decode Base64 Encoded Text', 'Linux Base64 Encoded Pipe to Shell', 'New Cron File Created', 'Setuid and Setgid', 'Communication To Ngrok Tunneling Service - Linux',
      'OMIGOD SCX RunAsProvider ExecuteScript', 'OMIGOD SCX RunAsProvider ExecuteShellCommand']) {
      expect(titles, `${t} among ${[...titles].join(', ')}`).toContain(t);
    }
    // Two connects of one tree to the tunnel are one alert and a summary of both; a hunt lists each.
    expect(alerts.filter((a) => a.title === 'Communication To Ngrok Tunneling Service - Linux (2 alerts from this process tree)')).toHaveLength(1);
    const matches = alertEvents(alerts).sort();
    expect(hunted(rec).sort()).toEqual(matches);
    const fleet = join(tempDir(), 'fleet');
    const ex = cli('export', rec, '--parquet', fleet);
    expect(ex.code, ex.stderr).toBe(0);
    expect(hunted('--fleet', fleet).sort()).toEqual(matches);
  }, 180_000);

  it('fires SigmaHQ\'s auditd rules on SYSCALL, EXECVE and PATH records, live and in replay alike; hunt finds the same', () => {
    const rec = record(AUDITED);
    expect(spawnSync('grep', ['-q', 'flightrec-sigma-test', '/etc/passwd']).status).toBe(1);
    const alerts = replayed(rec);
    const titles = new Set(alerts.map((a) => a.title));
    for (const t of ['ASLR Disabled Via Sysctl or Direct Syscall - Linux', 'Suspicious Commands Linux', 'Split A File Into Pieces - Linux', 'Modification of ld.so.preload', 'Creation Of An User Account', 'Password Policy Discovery - Linux']) {
      expect(titles, `${t} among ${[...titles].join(', ')}`).toContain(t);
    }
    // Repeats of a rule in one process tree are one alert and a summary; a hunt lists each
    // match, once per event and rule (an event may make two records a rule matches).
    const matches = alertEvents(alerts).sort();
    const distinct = (m: string[]): string[] => [...new Set(m)].sort();
    expect(distinct(hunted(rec))).toEqual(matches);
    const fleet = join(tempDir(), 'fleet');
    const ex = cli('export', rec, '--parquet', fleet);
    expect(ex.code, ex.stderr).toBe(0);
    expect(distinct(hunted('--fleet', fleet))).toEqual(matches);
  }, 180_000);

  it('raises nothing high or critical on a build and a backup with tar', () => {
    const work = tempDir();
    const rec = record(BENIGN(work));
    expect(spawnSync('tar', ['tzf', join(work, 'backup.tgz')]).status).toBe(0);
    const alerts = replayed(rec);
    expect(alerts.filter((a) => a.severity === 'critical' || a.severity === 'emergency').map((a) => a.title)).toEqual([]);
    expect(hunted(rec).sort()).toEqual(alertEvents(alerts).sort());
  });
});
