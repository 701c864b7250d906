// `flightrec man`: the manual page, flightrec(1), as roff (see manpage.ts).
import type { Command } from 'commander';
import { commandTree } from './command-tree.js';
import { manPage } from './manpage.js';

export function register(program: Command): void {
  program.command('man')
    .description('print the manual page, flightrec(1), as roff: every command with its options and examples')
    .action(() => {
      process.stdout.write(manPage(commandTree(program)));
    });
}
