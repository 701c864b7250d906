// `flightrec doctor` on the real kernel, and the one-line answers for a kernel flightrec
// cannot use (a missing BTF simulated by pointing the loader at a file that does not exist).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cli, cliWith, tempDir } from '../helpers.js';
import { kernelAvailable } from './kernel.js';

const run = kernelAvailable();

interface Report {
  kernel: string;
  can_record: boolean;
  problem: string | null;
  features: Array<{ name: string; present: boolean; since: string; required: boolean }>;
  tables: Array<{ table: string; available: boolean; note: string | null }>;
}

describe.runIf(run)('flightrec doctor', () => {
  it('names the kernel, every feature with the first kernel that has it, and the tables it can record', () => {
    const r = cli('doctor', '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.kernel).toBe(spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim());
    expect(report.can_record).toBe(true);
    const feature = (name: string): Report['features'][number] => report.features.find((f) => f.name.startsWith(name))!;
    expect(feature('BPF ring buffer')).toMatchObject({ present: true, since: '5.8', required: true });
    expect(feature('task storage')).toMatchObject({ since: '5.13', required: false });
    expect(feature('hardware cycle counter').present).toBe(false); // no PMU on this machine
    const tables = Object.fromEntries(report.tables.map((t) => [t.table, t.available]));
    expect(tables).toMatchObject({ syscall: true, proc: true, file: true, net: true, dns: true, mem: true, bio: true, sample: true, pt: false });
    const text = cli('doctor');
    expect(text.stdout).toMatch(/^verdict +flightrec can record on this kernel$/m);
  });

  it('a kernel without BTF gets one line naming it, from doctor and from record', () => {
    const env = { FLIGHTREC_KERNEL_BTF: '/nonexistent/vmlinux' };
    const d = cliWith(env, 'doctor', '--json');
    expect(d.code).toBe(1);
    expect((JSON.parse(d.stdout) as Report).problem).toMatch(/^this kernel has no BTF \(\/nonexistent\/vmlinux is missing\): .*CONFIG_DEBUG_INFO_BTF=y/);
    const dir = join(tempDir(), 'rec');
    const r = cliWith(env, 'record', '-o', dir, '--', 'true');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^flightrec: this kernel has no BTF \(\/nonexistent\/vmlinux is missing\): flightrec needs a kernel built with CONFIG_DEBUG_INFO_BTF=y/)]);
  });

  it('says what it could not probe without privileges', () => {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all',
      process.execPath, CLI, 'doctor', '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect((JSON.parse(r.stdout) as Report).problem).toMatch(/may not load BPF programs .*run as root/);
  });

  it('FLIGHTREC_WITHOUT runs the older kernels\' side here, and refuses a feature it does not know', () => {
    const dir = join(tempDir(), 'rec');
    const bad = spawnSync(process.execPath, [CLI, 'record', '-o', dir, '--', 'true'], { encoding: 'utf8', env: { ...process.env, FLIGHTREC_WITHOUT: 'taskBtf,warpDrive' } });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe('flightrec: FLIGHTREC_WITHOUT=taskBtf,warpDrive: warpDrive is not one of taskBtf, taskStorage, taskPtRegs, exitGroupDead');
    // What each table records this way is checked in scenarios.test.ts; here, that the
    // manifest says which side of each difference the programs took.
    const ok = spawnSync(process.execPath, [CLI, 'record', '-q', '-o', dir, '--', 'true'],
      { encoding: 'utf8', env: { ...process.env, FLIGHTREC_WITHOUT: 'taskBtf,taskStorage,taskPtRegs,exitGroupDead' } });
    expect(ok.status, ok.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { source: { kernel_features: Record<string, boolean> } };
    expect(manifest.source.kernel_features).toEqual({ task_btf: false, task_storage: false, task_pt_regs: false, exit_group_dead: false, bio_queue_has_queue: false });
  });
});
