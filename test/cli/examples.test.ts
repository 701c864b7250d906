// The examples each command's --help ends with (src/cli/examples.ts): every command has
// them, each parses through the program, and those that need no kernel run, in order, in
// one directory, against the synthetic recording the first one makes.
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { allCommands, commandTree } from '../../src/cli/command-tree.js';
import { EXAMPLES, exampleLine, examplesHelp } from '../../src/cli/examples.js';
import { program } from '../../src/cli/program.js';
import { CLI, ROOT, cli, tempDir } from '../helpers.js';

const ALL = Object.entries(EXAMPLES).flatMap(([path, list]) => list.map((e) => ({ path, e })));
const root = commandTree(await program());
const commands = allCommands(root).filter((c) => !c.implicitHelp);

/** The program with every command's action replaced by nothing: parsing only, as commander does before running. */
async function parsingOnly(): Promise<Command> {
  const p = await program();
  const stub = (c: Command): void => {
    if (c.commands.length === 0 && c !== p) c.action(() => undefined);
    c.commands.forEach(stub);
  };
  stub(p);
  return p;
}

describe('examples', () => {
  it('are given for every command a person runs, and only for commands that exist', () => {
    const paths = commands.map((c) => c.path.join(' '));
    const runnable = commands.filter((c) => c.commands.length === 0).map((c) => c.path.join(' '));
    expect(runnable.filter((p) => !(p in EXAMPLES))).toEqual([]);
    expect(Object.keys(EXAMPLES).filter((k) => !paths.includes(k))).toEqual([]);
  });

  it('end every command\'s --help, a group\'s with its commands\'', () => {
    for (const c of commands) {
      const r = cli(...c.path, '--help');
      expect(r.code, c.path.join(' ')).toBe(0);
      const help = examplesHelp(c.path);
      expect(help, c.path.join(' ')).toContain('Examples:');
      expect(r.stdout.trimEnd().endsWith(help.trimEnd()), `${c.path.join(' ')} --help ends with its examples`).toBe(true);
    }
  });

  it('show in flightrec with no arguments, which prints its help and exits 0', () => {
    const r = cli();
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^Usage: flightrec \[options\] \[command\]/);
    for (const e of EXAMPLES['']!) expect(r.stdout).toContain(exampleLine(e));
  });

  it.each(ALL.map(({ path, e }) => [exampleLine(e), path, e] as const))('%s parses', async (_line, _path, e) => {
    await expect((await parsingOnly()).parseAsync([...e.argv], { from: 'user' })).resolves.toBeInstanceOf(Command);
    // and is one command line to a shell, redirections included
    const sh = spawnSync('bash', ['-n', '-c', exampleLine(e)], { encoding: 'utf8' });
    expect([sh.status, sh.stderr]).toEqual([0, '']);
  });

  it('parsing only still refuses what the program refuses', async () => {
    await expect((await parsingOnly()).parseAsync(['info', 'rec', '--nosuch'], { from: 'user' })).rejects.toBeInstanceOf(CommanderError);
    await expect((await parsingOnly()).parseAsync(['slice', 'rec'], { from: 'user' })).rejects.toThrow(/required option '-o, --output <dir>'/);
  });

  it('run, those that need no kernel, one after the other on the recording the first makes', () => {
    const cwd = tempDir();
    cpSync(join(ROOT, 'fixtures', 'sigma', 'rules', 'linux', 'file_event'), join(cwd, 'rules'), { recursive: true });
    const ran: string[] = [];
    for (const { e } of ALL.filter((x) => x.e.kernel !== true)) {
      const r = spawnSync(process.execPath, [CLI, ...e.argv], { cwd, encoding: 'utf8', input: '', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
      expect(r.status, `${exampleLine(e)}: ${r.stderr}`).toBe(0);
      ran.push(e.argv.slice(0, 2).join(' '));
    }
    // the first made the recording the others read
    expect(ALL.find((x) => x.e.kernel !== true)!.e.argv).toEqual(['demo', '-o', 'rec']);
    for (const c of ['info', 'verify', 'seal', 'replay', 'detectors', 'slice', 'sql', 'shell', 'export', 'notebook run', 'baseline learn', 'completion bash', 'man', 'sigma check', 'hunt']) {
      expect(ran.some((r) => r === c || r.startsWith(`${c} `) || r.split(' ')[0] === c), c).toBe(true);
    }
  }, 600_000);
});
