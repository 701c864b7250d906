// `flightrec man`: the manual page, flightrec(1), as roff (see manpage.ts).
// The page's writer is loaded when the page is asked for, not with the program (startup, issue 22).
import type { Command } from 'commander';

export function register(program: Command): void {
  program.command('man')
    .description('print the manual page, flightrec(1), as roff: every command with its options and examples')
    .action(async () => {
      const [{ commandTree }, { manPage }] = await Promise.all([import('./command-tree.js'), import('./manpage.js')]);
      process.stdout.write(manPage(commandTree(program)));
    });
}
