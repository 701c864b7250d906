// `flightrec completion <shell>`: a completion script for bash, zsh or fish, generated from
// the program's own command definitions (see command-tree.ts).
import { Argument, type Command } from 'commander';
import { UsageError } from '../format/errors.js';
import { commandTree, type CommandSpec } from './command-tree.js';
import { bashCompletion } from './completion/bash.js';
import { fishCompletion } from './completion/fish.js';
import { zshCompletion } from './completion/zsh.js';

const SHELLS: Readonly<Record<string, (root: CommandSpec) => string>> = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion };

export function register(program: Command): void {
  const shells = Object.keys(SHELLS);
  program.command('completion')
    .description('print a shell completion script for flightrec\'s commands, options and arguments')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(shells).argParser((s: string) => {
      // commander knows the choices (for completion); the error is flightrec's one line
      if (!shells.includes(s)) throw new UsageError(`unknown shell ${s}: use one of ${shells.join(', ')}`);
      return s;
    }))
    .action((shell: string) => {
      process.stdout.write(SHELLS[shell]!(commandTree(program)));
    });
}
