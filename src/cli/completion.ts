// `flightrec completion <shell>`: a completion script for bash, zsh or fish, generated from
// the program's own command definitions (see command-tree.ts).
// The generators are loaded when a script is asked for, not with the program (startup, issue 22).
import { Argument, type Command } from 'commander';
import { UsageError } from '../format/errors.js';
import type { CommandSpec } from './command-tree.js';

const SHELLS: Readonly<Record<string, () => Promise<(root: CommandSpec) => string>>> = {
  bash: async () => (await import('./completion/bash.js')).bashCompletion,
  zsh: async () => (await import('./completion/zsh.js')).zshCompletion,
  fish: async () => (await import('./completion/fish.js')).fishCompletion,
};

export function register(program: Command): void {
  const shells = Object.keys(SHELLS);
  program.command('completion')
    .description('print a shell completion script for flightrec\'s commands, options and arguments')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(shells).argParser((s: string) => {
      // commander knows the choices (for completion); the error is flightrec's one line
      if (!shells.includes(s)) throw new UsageError(`unknown shell ${s}: use one of ${shells.join(', ')}`);
      return s;
    }))
    .action(async (shell: string) => {
      const [script, { commandTree }] = await Promise.all([SHELLS[shell]!(), import('./command-tree.js')]);
      process.stdout.write(script(commandTree(program)));
    });
}
