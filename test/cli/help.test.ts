// A command called without what it needs to do anything prints its help to stdout and exits 0,
// as kubectl and cargo do; an unknown command is still a one-line usage error.
import { describe, expect, it } from 'vitest';
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
