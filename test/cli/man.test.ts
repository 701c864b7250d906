// flightrec(1): generated from the command definitions, committed as man/flightrec.1, the
// same whatever the host, and readable by man.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allCommands, commandTree } from '../../src/cli/command-tree.js';
import { EXAMPLES, exampleLine } from '../../src/cli/examples.js';
import { MAN_PAGE, manPage } from '../../src/cli/manpage.js';
import { program } from '../../src/cli/program.js';
import { ROOT, cli, cliWith } from '../helpers.js';

const groff = spawnSync('groff', ['-v'], { encoding: 'utf8' }).status === 0;
if (!groff) {
  if (process.env.CI) throw new Error('groff is not installed, and CI renders the man page (scripts/setup.sh installs groff-base)');
  console.warn('skipping the rendering of man/flightrec.1: groff is not installed (its structure is still checked)');
}

const root = commandTree(await program());
const page = (): string => manPage(root);

/** The page as man shows it: plain text, no hyphenation, lines long enough not to wrap options. */
function rendered(roff: string): { text: string; warnings: string } {
  const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-rHY=0', '-rLL=300n', '-P-c'], { input: roff, encoding: 'utf8' });
  return { text: r.stdout.replace(/.\x08/g, ''), warnings: r.stderr };
}

describe('man page', () => {
  it('is up to date in man/flightrec.1', () => {
    expect(readFileSync(join(ROOT, MAN_PAGE), 'utf8') === page(), 'run `npm run build && npm run generate` and commit man/flightrec.1').toBe(true);
  });

  it('is what flightrec man prints, whatever the terminal, clock, locale or home', () => {
    const plain = cli('man');
    expect([plain.code, plain.stderr]).toEqual([0, '']);
    expect(plain.stdout).toBe(readFileSync(join(ROOT, MAN_PAGE), 'utf8'));
    const elsewhere = cliWith({ COLUMNS: '37', TZ: 'Pacific/Kiritimati', LANG: 'tr_TR.UTF-8', LC_ALL: 'tr_TR.UTF-8', HOME: '/nonexistent', XDG_CACHE_HOME: '/elsewhere' }, 'man');
    expect(elsewhere.stdout).toBe(plain.stdout);
    expect(plain.stdout).not.toContain(ROOT);
    expect(plain.stdout).not.toMatch(/20\d\d-\d\d-\d\d/);
  });

  it('has the sections of a man page and every command with its options and examples', () => {
    const roff = page();
    const sections = [...roff.matchAll(/^\.SH (.*)$/gm)].map((m) => m[1]);
    expect(sections).toEqual(['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'COMMANDS', 'EXAMPLES', 'EXIT STATUS', 'ENVIRONMENT', 'FILES', 'SEE ALSO']);
    expect(roff).toMatch(/^\.TH FLIGHTREC 1 "" "flightrec \d+\.\d+\.\d+" "User Commands"$/m);
    // No line a formatter would take for a request it is not.
    for (const l of roff.split('\n')) expect(l, l).toMatch(/^(\.(\\"|TH|SH|SS|TP|PP|RS|RE|nf|fi|br)( |$)|[^.'])|^$/);
  });

  it.runIf(groff)('renders with groff, without warnings, showing each command as --help does', () => {
    const { text, warnings } = rendered(page());
    expect(warnings).toBe('');
    for (const heading of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'COMMANDS', 'EXAMPLES', 'EXIT STATUS', 'ENVIRONMENT', 'FILES', 'SEE ALSO']) {
      expect(text).toMatch(new RegExp(`^${heading}$`, 'm'));
    }
    for (const c of allCommands(root).filter((x) => x.path.length > 0 && x.commands.length === 0 && !x.implicitHelp)) {
      expect(text).toContain(`flightrec ${c.path.join(' ')} ${c.usage}`);
      expect(text).toContain(c.description);
      for (const o of c.options.filter((x) => !x.help)) expect(text).toContain(o.names.join(', '));
      for (const e of EXAMPLES[c.path.join(' ')] ?? []) expect(text).toContain(exampleLine(e));
    }
    expect(text).toContain('$XDG_CACHE_HOME/flightrec/<recording id>/');
    expect(text).toContain('flightrec sql rec "SELECT * FROM processes"');
  });

  it.runIf(groff)('is what man -l shows', () => {
    const r = spawnSync('man', ['-l', join(ROOT, MAN_PAGE)], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '100', MANPAGER: 'cat', PAGER: 'cat' } });
    if (r.error) {
      console.warn(`skipping man -l: ${r.error.message}`);
      return;
    }
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.replace(/.\x08/g, '')).toMatch(/^FLIGHTREC\(1\)\s+User Commands\s+FLIGHTREC\(1\)$/m);
  });
});
