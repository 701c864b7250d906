// Sigma on the command line, over the committed fixtures: every SigmaHQ Linux rule is
// supported or refused with a reason; replay --sigma and hunt find the same matches in every
// fixture; rule files that are wrong or hostile are refused in one line.
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sigmaDetector } from '../../src/detect/sigma/detector.js';
import { readRuleFiles } from '../../src/detect/sigma/rules.js';
import { Recording } from '../../src/format/recording.js';
import { RecordingWriter } from '../../src/format/recording-writer.js';
import { syscallNumbers } from '../../src/detect/predicate.js';
import { SyntheticClock, batchFromRows, rng, syntheticRows } from '../../src/testing/synthetic.js';
import { replay } from '../../src/replay/replay.js';
import { ROOT, alertEvents, cli, cliWithin, tempDir } from '../helpers.js';

const SIGMA = join(ROOT, 'fixtures', 'sigma');
const RULES = join(SIGMA, 'rules');
const rec = (name: string): string => join(ROOT, 'fixtures', name, 'rec');

interface Checked { status: string; file: string; title: string | null; source: string | null; reason: string | null; note: string | null }

describe('flightrec sigma check', () => {
  it('names every rule supported, with its log source, or refused, with the reason', () => {
    const r = cli('sigma', 'check', SIGMA, '--json');
    expect(r.code).toBe(1); // some are refused
    const rows = JSON.parse(r.stdout) as Checked[];
    expect(rows.length).toBe(242);
    for (const x of rows) expect(x.status === 'supported' ? x.source : x.reason, x.file).toBeTruthy();
    const category = (x: Checked): string => x.file.split('/').at(-2)!;
    // Every process_creation, file_event and network_connection rule runs.
    expect(rows.filter((x) => ['process_creation', 'file_event', 'network_connection'].includes(category(x)) && x.status !== 'supported')).toEqual([]);
    // auditd: all but the rules that need an auditd rule's key, the effective uid, or only records flightrec does not make.
    const key = "field 'key' not in this log source (key: the key of the auditd rule (-k) that logged the record: a recording is made without the host's audit rules)";
    expect(Object.fromEntries(rows.filter((x) => x.file.includes('/auditd/') && x.status !== 'supported').map((x) => [x.file.split('/').at(-1), x.reason]))).toEqual({
      'lnx_auditd_susp_c2_commands.yml': key,
      'lnx_auditd_network_service_scanning.yml': key,
      'lnx_auditd_web_rce.yml': "field 'euid' not in this log source (euid: the identities of a process are those of its proc rows, which a set*id call inside it does not update)",
      'lnx_auditd_disable_system_firewall.yml': "it matches only audit records of type 'SERVICE_STOP', which flightrec does not make (it makes SYSCALL, EXECVE, PATH from the syscall, proc and file tables)",
    });
    // Rules that run though a selection wants records flightrec does not make, or on the exec calls only, say so.
    const exec = 'it names no syscall, so its SYSCALL records are those of execve and execveat (as the program watches, -w PROG -p x, of the audit rules it is written for log them)';
    expect(rows.filter((x) => x.note !== null).map((x) => `${x.file.split('/').at(-1)}: ${x.note}`)).toEqual([
      `lnx_auditd_coinminer.yml: ${exec}`,
      "lnx_auditd_keylogging_with_pam_d.yml: 'selection_tty_events' never matches: type 'TTY', 'USER_TTY', which flightrec does not make",
      `lnx_auditd_create_account.yml: 'selection_add_user_record_type' never matches: type 'ADD_USER', which flightrec does not make; ${exec}`,
      `lnx_auditd_load_module_insmod.yml: ${exec}`,
      `lnx_auditd_split_file_into_pieces.yml: ${exec}`,
      `lnx_auditd_susp_exe_folders.yml: ${exec}`,
    ]);
    const text = cli('sigma', 'check', RULES);
    expect(text.stdout).toMatch(/\n184 rules supported \(49 auditd, 8 file_event, 5 network_connection, 122 process_creation\), 26 refused: 15 no category or service: log lines; 3 field … not in this log source; .*1 it matches only audit records of type …/);
  });

  it('refuses rule files that are not rules in one line, and runs nothing', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.yml'), 'title: [unclosed\n');
    let r = cli('replay', rec('plain-exec'), '--sigma', join(dir, 'bad.yml'));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^flightrec: .*bad\.yml/);
    r = cli('replay', rec('plain-exec'), '--sigma', join(dir, 'missing.yml'));
    expect(r.stderr.trim()).toBe(`flightrec: --sigma ${join(dir, 'missing.yml')}: no such file or directory`);
    mkdirSync(join(dir, 'empty'));
    r = cli('hunt', rec('plain-exec'), '--sigma', join(dir, 'empty'));
    expect(r.stderr.trim()).toMatch(/no \.yml or \.yaml rule files there$/);
    symlinkSync('/etc/passwd', join(dir, 'link.yml'));
    r = cli('sigma', 'check', join(dir, 'link.yml'));
    expect(r.stderr.trim()).toMatch(/link\.yml: a symbolic link/);
    expect(cli('replay', rec('plain-exec'), '--detectors', 'sigma').stderr.trim()).toBe('flightrec: detector sigma runs the rules --sigma gives: add --sigma <rule files or directories>');
  });

  it('replay --sigma and hunt find the same matches in every fixture', () => {
    const fixtures = readdirSync(join(ROOT, 'fixtures')).filter((f) => f !== 'sigma' && f !== 'scenarios' && !f.includes('.')).map(rec);
    const sigma = sigmaDetector(readRuleFiles([RULES]));
    const replayed = fixtures.flatMap((dir) => {
      const r = replay(Recording.open(dir), [sigma]);
      expect(r.failures).toEqual([]);
      // A summary of repeats in one process tree stands for each of its alerts' events.
      return r.alerts.flatMap((a) => alertEvents([a]).map((e) => `${dir} ${e} ${(JSON.parse(a.evidence) as { rule_id: string }).rule_id}`));
    });
    // Every fixture's syscall rows are read for auditd's SYSCALL records: longer than cli()'s 30 s on a loaded machine.
    const hunt = cliWithin(120_000, 'hunt', ...fixtures, '--sigma', RULES, '-f', 'json');
    expect(hunt.code, hunt.stderr).toBe(0);
    const hunted = (JSON.parse(hunt.stdout) as Array<{ recording: string; seq: string; rule: string; rule_id: string }>).map((m) => `${m.recording} ${m.seq} ${m.rule} ${m.rule_id}`);
    const distinct = (m: string[]): string[] => [...new Set(m)].sort();
    expect(distinct(hunted)).toEqual(distinct(replayed));
    expect(replayed.length).toBeGreaterThan(20);
    // auditd rules take part, on each record type: SYSCALL, EXECVE (a keyword search), PATH.
    for (const t of ['System Info Discovery via Sysinfo Syscall', 'Binary Padding - Linux', 'Use Of Hidden Paths Or Files']) expect(replayed.some((m) => m.includes(` ${t} `)), t).toBe(true);
  }, 180_000);

  it('LogonId and auditd\'s auid are the login uid of proc rows: replay and hunt find the same', () => {
    // Two execs, of the same program, in a login session of uid 1000 and outside any (unset).
    const dir = join(tempDir(), 'rec');
    const w = RecordingWriter.create(dir);
    const rand = rng(5);
    const clock = new SyntheticClock(rand);
    const execve = syscallNumbers('x86_64').get('execve')!;
    const [proc, sys] = [syntheticRows('proc', 2, clock, rand), syntheticRows('syscall', 2, clock, rand)];
    [1000, 4294967295].forEach((loginuid, i) => {
      Object.assign(proc[i]!, { pid: 10 + i, tid: 10 + i, kind: 1, filename: '/usr/bin/id', argv: ['id'], uid: 0, loginuid });
      Object.assign(sys[i]!, { pid: 10 + i, tid: 10 + i, nr: execve, ret: 0n });
    });
    w.append('proc', batchFromRows('proc', proc));
    w.append('syscall', batchFromRows('syscall', sys));
    w.close();
    const rules = join(tempDir(), 'rules');
    mkdirSync(rules);
    const rule = (id: string, logsource: string, selection: string): void => writeFileSync(join(rules, `${id}.yml`),
      `title: ${id}\nid: ${id}\nlogsource:\n${logsource}\ndetection:\n    sel:\n${selection}\n    condition: sel\nlevel: high\n`);
    rule('logon-1000', '    product: linux\n    category: process_creation', '        LogonId: 1000\n        Image|endswith: /id');
    rule('auid-1000', '    product: linux\n    service: auditd', '        type: SYSCALL\n        auid: 1000\n        exe|endswith: /id');
    const r = replay(Recording.open(dir), [sigmaDetector(readRuleFiles([rules]))]);
    const replayed = r.alerts.map((a) => `${a.seq} ${(JSON.parse(a.evidence) as { rule_id: string }).rule_id}`).sort();
    expect(replayed).toEqual([`${proc[0]!.seq} logon-1000`, `${sys[0]!.seq} auid-1000`].sort());
    const hunt = cli('hunt', dir, '--sigma', rules, '-f', 'json');
    expect(hunt.code, hunt.stderr).toBe(0);
    expect((JSON.parse(hunt.stdout) as Array<{ seq: string; rule_id: string }>).map((m) => `${m.seq} ${m.rule_id}`).sort()).toEqual(replayed);
  });

  it('prints a hunt\'s SQL, which flightrec sql runs to the same matches', () => {
    const file = join(RULES, 'linux', 'process_creation', 'proc_creation_lnx_susp_execution_tmp_folder.yml');
    const show = cli('hunt', '--sigma', file, '--show-sql');
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/^WITH sigma_process_creation AS MATERIALIZED/);
    const viaSql = cli('sql', rec('staging-exec'), show.stdout, '-f', 'csv');
    const hunt = cli('hunt', rec('staging-exec'), '--sigma', file, '-f', 'csv');
    expect(viaSql.stdout).toBe(hunt.stdout);
    expect(hunt.stdout.split('\n').filter(Boolean).length).toBe(2);
  });
});
