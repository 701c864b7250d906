// A command called without what it needs to do anything prints its help to stdout and exits 0,
// as kubectl and cargo do; an unknown command is still a one-line usage error.
import { describe, expect, it } from 'vitest';
import { program } from '../../src/cli/program.js';
import { cli } from '../helpers.js';

describe('help without arguments', () => {
  it.each([
    [[], 'Usage: flightrec [options] [command]', 'record'],
    [['notebook'], 'Usage: flightrec notebook', 'run'],
    [['baseline'], 'Usage: flightrec baseline', 'learn'],
  ])('flightrec %j prints its help and exits 0', (args, usage, command) => {
    const r = cli(...args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(usage);
    expect(r.stdout).toContain(command);
    expect(r.stdout).not.toContain('(outputHelp)');
  });

  it('an unknown command is one line on stderr, exit 2', () => {
    const r = cli('nosuch');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("flightrec: unknown command 'nosuch' (see flightrec --help)\n");
  });
});

describe('the program a command line gets', () => {
  const names = async (args: string[]): Promise<string[]> => (await program(args)).commands.map((c) => c.name());

  it('has only the command it names (with those its module defines), so a run loads only that command', async () => {
    expect(await names(['verify', 'rec'])).toEqual(['verify']);
    expect(await names(['--debug', 'hunt', 'rec', '-r', 'rules'])).toEqual(['sigma', 'hunt']);
  });

  it('has every command for help, completion, the man page and a mistyped command', async () => {
    const all = await names([]);
    expect(all).toEqual(expect.arrayContaining(['record', 'sql', 'verify', 'completion', 'man']));
    for (const args of [['--help'], ['help', 'verify'], ['completion', 'bash'], ['man'], ['verfy']]) expect(await names(args)).toEqual(all);
  });
});
