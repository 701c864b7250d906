// `flightrec completion zsh`: a zsh completion function, one `_arguments` call per command
// (its options, its operands, or its subcommands and a dispatch to theirs), generated from
// the program's commands.
import { acceptedOptions, allCommands, type ArgumentSpec, type CommandSpec, type OptionSpec, type ValueKind } from '../command-tree.js';
import { namesOf, safeName } from './shape.js';

/** A zsh single-quoted string. */
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
/** Text in an _arguments description, `[...]`. */
const bracketed = (s: string): string => s.split('\n')[0]!.replace(/[\\[\]]/g, '\\$&');
/** Text in an _arguments message or a _describe entry's name, between colons. */
const colonFree = (s: string): string => s.replace(/[\\:]/g, '\\$&');

const fn = (c: CommandSpec): string => ['_flightrec', ...c.path].join('__');

function action(v: ValueKind): string {
  switch (v.kind) {
    case 'dir': return '_files -/';
    case 'file': return '_files';
    case 'command': return '_command_names -e';
    case 'words': return `(${v.words.map(safeName).join(' ')})`;
    case 'any': return ' ';
  }
}

function optionSpecs(o: OptionSpec): string[] {
  const others = o.takes === 'many' ? '*' : o.names.length > 1 ? `(${o.names.join(' ')})` : '';
  const value = o.takes === 'none' ? '' : `:${o.takes === 'optional' ? ':' : ''}${colonFree(o.placeholder)}:${action(o.value)}`;
  return o.names.map((n) => {
    // -o value or -ovalue; --output value or --output=value (commander takes all of these)
    const attach = o.takes === 'none' ? '' : n.startsWith('--') ? '=' : '+';
    return q(`${others}${safeName(n)}${attach}[${bracketed(o.description)}]${value}`);
  });
}

function operandSpecs(args: readonly ArgumentSpec[]): string[] {
  return args.map((a) => {
    // a command to run takes the rest of the line as its own
    if (a.variadic && a.value.kind === 'command') return q(`*::${colonFree(a.name)}:_normal`);
    const how = a.variadic ? '*' : a.required ? '' : ':';
    return q(`${how}:${colonFree(a.name)}:${action(a.value)}`);
  });
}

function commandFunction(root: CommandSpec, c: CommandSpec): string {
  const specs = acceptedOptions(root, c).flatMap(optionSpecs);
  const body: string[] = [`${fn(c)}() {`];
  if (c.commands.length === 0) {
    body.push(`  _arguments -S ${[...specs, ...operandSpecs(c.arguments)].join(' \\\n    ')}`, '}');
    return body.join('\n');
  }
  const entries = c.commands.flatMap((s) => namesOf(s).map((n) => q(`${colonFree(n)}:${s.description.split('\n')[0]}`)));
  const dispatch = c.commands.map((s) => `    ${namesOf(s).join('|')}) ${fn(s)} ;;`);
  body.push(
    '  local curcontext=$curcontext state state_descr line ret=1',
    '  typeset -A opt_args',
    `  _arguments -C -S ${[...specs, q('1: :->command'), q('*:: :->argument')].join(' \\\n    ')} && ret=0`,
    '  case $state in',
    '    command)',
    `      local -a commands=(\n        ${entries.join('\n        ')}\n      )`,
    `      _describe -t commands ${q(`${['flightrec', ...c.path].join(' ')} command`)} commands && ret=0 ;;`,
    '    argument)',
    `      curcontext=\${curcontext%:*:*}:${['flightrec', ...c.path].join('-')}-$words[1]:`,
    '      case $words[1] in',
    ...dispatch.map((d) => `    ${d.replace(/ ;;$/, ' && ret=0 ;;')}`),
    '      esac ;;',
    '  esac',
    '  return ret',
    '}',
  );
  return body.join('\n');
}

export function zshCompletion(root: CommandSpec): string {
  return `#compdef flightrec
# zsh completion for flightrec, generated from its commands by \`flightrec completion zsh\`.
# Install: flightrec completion zsh > "\${fpath[1]}/_flightrec" (a directory of $fpath), then start a new shell;
#      or: source <(flightrec completion zsh)   (in ~/.zshrc, after compinit)

${allCommands(root).map((c) => commandFunction(root, c)).join('\n\n')}

# autoloaded from $fpath this file is the body of _flightrec, sourced it registers it
if [[ $funcstack[1] == _flightrec ]]; then
  _flightrec "$@"
else
  compdef _flightrec flightrec
fi
`;
}
