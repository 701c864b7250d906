// `flightrec completion bash|zsh|fish`: each script is run in its shell and asked to
// complete command lines, in a directory holding a directory `rec` and a file `notes.txt`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { allCommands, commandTree, valueKind } from '../../src/cli/command-tree.js';
import { bashCompletion } from '../../src/cli/completion/bash.js';
import { fishCompletion } from '../../src/cli/completion/fish.js';
import { kindWord } from '../../src/cli/completion/shape.js';
import { zshCompletion } from '../../src/cli/completion/zsh.js';
import { program } from '../../src/cli/program.js';
import { cli, tempDir } from '../helpers.js';
import { bashComplete, fishComplete, run, shellAvailable, zshComplete } from './shells.js';

let cwd: string;
const scripts: Record<string, string> = {};

beforeAll(() => {
  cwd = tempDir();
  mkdirSync(join(cwd, 'rec'));
  writeFileSync(join(cwd, 'notes.txt'), '');
  const dir = tempDir();
  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = cli('completion', shell);
    expect([r.code, r.stderr]).toEqual([0, '']);
    scripts[shell] = join(dir, `flightrec.${shell}`);
    writeFileSync(scripts[shell], r.stdout);
  }
});

/** A program other than flightrec's: what the scripts offer comes from commander, not from a list. */
function toy(): Command {
  const p = new Command('flightrec').option('--loud', 'louder');
  p.command('alpha').description('the first').argument('<recording>', 'recording directory').option('--zeta <file>', 'a file');
  p.command('beta').description('the second').command('gamma').description('nested');
  return p;
}

describe('flightrec completion', () => {
  it('refuses a shell it has no script for, in one line naming the choices', () => {
    const r = cli('completion', 'tcsh');
    expect([r.code, r.stdout, r.stderr]).toEqual([2, '', 'flightrec: unknown shell tcsh: use one of bash, zsh, fish\n']);
    const none = cli('completion');
    expect(none.code).toBe(2);
    expect(none.stderr).toBe("flightrec: missing required argument 'shell' (see flightrec --help)\n");
  });

  it('says in its help how to install each script', () => {
    const r = cli('completion', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('flightrec completion bash > /etc/bash_completion.d/flightrec');
    expect(r.stdout).toContain('source <(flightrec completion bash)');
    expect(r.stdout).toContain('flightrec completion zsh > /usr/local/share/zsh/site-functions/_flightrec');
    expect(r.stdout).toContain('flightrec completion fish > ~/.config/fish/completions/flightrec.fish');
  });
});

describe('what a value is', () => {
  it('is read off its placeholder, else the prose of its description', () => {
    expect(valueKind('dir', 'anything', undefined)).toEqual({ kind: 'dir' });
    expect(valueKind('recordings', 'recordings of normal work', undefined)).toEqual({ kind: 'dir' });
    expect(valueKind('args', 'recording directories, then the query', undefined)).toEqual({ kind: 'dir' });
    expect(valueKind('list', 'built-in names, or JavaScript module files (default: builtin)', undefined)).toEqual({ kind: 'file' });
    // a table named file in a list is not a file
    expect(valueKind('list', 'tables to record, comma-separated (default syscall,proc,file,net)', undefined)).toEqual({ kind: 'any' });
    expect(valueKind('format', 'output format', ['a', 'b'])).toEqual({ kind: 'words', words: ['a', 'b'] });
  });

  it('is right for flightrec\'s own options and arguments', async () => {
    const kinds = Object.fromEntries(allCommands(commandTree(await program())).flatMap((c) => [
      ...c.options.filter((o) => o.takes !== 'none').map((o) => [`${c.path.join(' ')} ${o.names.at(-1)}`, kindWord(o.value)]),
      ...c.arguments.map((a) => [`${c.path.join(' ')} <${a.name}>`, kindWord(a.value)]),
    ]));
    expect(kinds).toMatchObject({
      'record <command>': 'command', 'record --output': 'dir', 'record --tables': 'any', 'record --detectors': 'file', 'record --syslog': 'any',
      'record --webhook': 'any', 'record --summary-json': 'file', 'info <recording>': 'dir', 'sql <args>': 'dir', 'sql --output': 'file',
      'sql --fleet': 'dir', 'slice --output': 'dir', 'slice --from': 'any', 'sql --tz': 'words:UTC,local', 'notebook run <notebook>': 'file', 'notebook run <recordings>': 'dir',
      'baseline learn <recordings>': 'dir', 'baseline learn --output': 'file', 'completion <shell>': 'words:bash,zsh,fish',
    });
  });
});

describe('bash', () => {
  const complete = (...words: string[]): string[] => bashComplete(scripts.bash!, cwd, 'flightrec', ...words);

  it('passes bash -n', () => {
    const r = run('bash', ['-n', scripts.bash!], cwd);
    expect([r.code, r.stderr]).toEqual([0, '']);
  });

  it('completes commands and subcommands', () => {
    expect(complete('re')).toEqual(['record', 'replay']);
    expect(complete('--debug', 'inf')).toEqual(['info']);
    expect(complete('notebook', '')).toEqual(['run', 'help']);
    expect(complete('baseline', 'l')).toEqual(['learn']);
    // `help` takes the name of a command
    expect(complete('help', 'no')).toEqual(['notebook']);
  });

  it('completes each command\'s options, and the program\'s', () => {
    const opts = complete('baseline', 'learn', '-');
    expect(opts).toEqual(expect.arrayContaining(['-o', '--output', '-h', '--help', '--debug']));
    expect(opts).not.toContain('--json');
    expect(complete('info', '--j')).toEqual(['--json']);
    // after -- everything is the command's
    expect(complete('record', '-o', 'x', '--', '-')).not.toContain('--output');
  });

  it('offers directories for recordings, files for files, commands for a command to run', () => {
    expect(complete('info', '')).toEqual(['rec']);
    expect(complete('sql', '--fleet', '')).toEqual(['rec']);
    expect(complete('sql', 'rec', '-o', '').sort()).toEqual(['notes.txt', 'rec']);
    expect(complete('sql', 'rec', '--output', '=', '').sort()).toEqual(['notes.txt', 'rec']);
    expect(complete('notebook', 'run', '').sort()).toEqual(['notes.txt', 'rec']);
    expect(complete('notebook', 'run', 'triage', '')).toEqual(['rec']);
    expect(complete('record', '-o', 'x', '--', 'bas')).toContain('bash');
    expect(complete('record', '-o', 'x', '--', 'ls', '').sort()).toEqual(['notes.txt', 'rec']);
    expect(complete('completion', '')).toEqual(['bash', 'zsh', 'fish']);
  });

  it('skips the values of options, as commander takes them', () => {
    // --max-rows takes a number: nothing to offer; then the recording
    expect(complete('notebook', 'run', '--max-rows', '')).toEqual([]);
    expect(complete('notebook', 'run', '--max-rows', '5', 'triage', '')).toEqual(['rec']);
    // --pid takes values until the next option
    expect(complete('record', '--pid', '1', '2', '')).toEqual([]);
    expect(complete('record', '--pid', '1', '-q', '--ou')).toEqual(['--output']);
  });

  it('follows the program it is generated from', () => {
    const script = join(tempDir(), 'toy.bash');
    writeFileSync(script, bashCompletion(commandTree(toy())));
    expect(bashComplete(script, cwd, 'flightrec', '')).toEqual(['alpha', 'beta', 'help']);
    expect(bashComplete(script, cwd, 'flightrec', 'beta', '')).toEqual(['gamma', 'help']);
    expect(bashComplete(script, cwd, 'flightrec', 'alpha', '-')).toEqual(['--zeta', '-h', '--help', '--loud']);
    expect(bashComplete(script, cwd, 'flightrec', 'alpha', '--zeta', '').sort()).toEqual(['notes.txt', 'rec']);
    expect(bashComplete(script, cwd, 'flightrec', 'alpha', '')).toEqual(['rec']);
  });
});

describe('zsh', () => {
  const has = shellAvailable('zsh');

  it.runIf(has)('passes zsh -n', () => {
    const r = run('zsh', ['-n', scripts.zsh!], cwd);
    expect([r.code, r.stderr]).toEqual([0, '']);
  });

  it.runIf(has)('completes commands, options and values in an interactive zsh', () => {
    const list = (line: string): string[] | string => zshComplete(scripts.zsh!, cwd, line, 'list');
    const line = (typed: string): string[] | string => zshComplete(scripts.zsh!, cwd, typed, 'line');
    expect(list('flightrec re')).toEqual(['record', 'replay']);
    expect(list('flightrec info --')).toEqual(['--allow-damaged', '--debug', '--help', '--json', '--tz', '--version']);
    expect(line('flightrec notebook r')).toBe('flightrec notebook run ');
    expect(line('flightrec completion z')).toBe('flightrec completion zsh ');
    // a recording is a directory: the only one here is taken
    expect(line('flightrec info ')).toBe('flightrec info rec/');
    expect(line('flightrec sql --fle')).toBe('flightrec sql --fleet=');
    expect(line('flightrec replay rec -o no')).toBe('flightrec replay rec -o notes.txt ');
  });

  it.runIf(has)('follows the program it is generated from', () => {
    const script = join(tempDir(), '_toy');
    writeFileSync(script, zshCompletion(commandTree(toy())));
    expect(zshComplete(script, cwd, 'flightrec ', 'list')).toEqual(['alpha', 'beta', 'help']);
    expect(zshComplete(script, cwd, 'flightrec beta g', 'line')).toBe('flightrec beta gamma ');
    expect(zshComplete(script, cwd, 'flightrec alpha --z', 'line')).toBe('flightrec alpha --zeta=');
  });
});

describe('fish', () => {
  const has = shellAvailable('fish');

  it.runIf(has)('passes fish -n', () => {
    const r = run('fish', ['--no-config', '-n', scripts.fish!], cwd);
    expect([r.code, r.stderr]).toEqual([0, '']);
  });

  it.runIf(has)('completes commands with their descriptions, options and values', () => {
    const complete = (line: string): Map<string, string> => fishComplete(scripts.fish!, cwd, line);
    expect([...complete('flightrec re').keys()]).toEqual(['record', 'replay']);
    expect(complete('flightrec ').get('info')).toBe('summarize a recording: time range, rows and bytes per table, losses, integrity');
    expect([...complete('flightrec notebook ').keys()]).toEqual(['help', 'run']);
    expect([...complete('flightrec info --').keys()].sort()).toEqual(['--allow-damaged', '--debug', '--help', '--json', '--tz', '--version']);
    expect([...complete('flightrec info ').keys()]).toEqual(['rec/']);
    expect([...complete('flightrec sql rec -o ').keys()].sort()).toEqual(['notes.txt', 'rec/']);
    expect([...complete('flightrec sql rec --output=').keys()].sort()).toEqual(['--output=notes.txt', '--output=rec/']);
    expect([...complete('flightrec completion ').keys()].sort()).toEqual(['bash', 'fish', 'zsh']);
    expect([...complete('flightrec notebook run --max-rows ').keys()]).toEqual([]);
    expect([...complete('flightrec record -o x -- bas').keys()]).toContain('bash');
  });

  it.runIf(has)('follows the program it is generated from', () => {
    const script = join(tempDir(), 'toy.fish');
    writeFileSync(script, fishCompletion(commandTree(toy())));
    expect([...fishComplete(script, cwd, 'flightrec ').keys()]).toEqual(['alpha', 'beta', 'help']);
    expect([...fishComplete(script, cwd, 'flightrec beta ').keys()]).toEqual(['gamma', 'help']);
    expect([...fishComplete(script, cwd, 'flightrec alpha --zeta ').keys()].sort()).toEqual(['notes.txt', 'rec/']);
  });
});
