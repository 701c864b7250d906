// The command line as data, read off the commander program: each command's path, usage,
// options and arguments, and what kind of value each takes. Shell completion and the man
// page are generated from this, so neither lists by hand what commander already knows.
import type { Argument, Command, Help, Option } from 'commander';

/**
 * What a value on the command line is, for completing it: a directory, a file, a command
 * to run, one of a list of words, or anything (nothing to offer).
 */
export type ValueKind =
  | { readonly kind: 'dir' | 'file' | 'command' | 'any' }
  | { readonly kind: 'words'; readonly words: readonly string[] };

export interface OptionSpec {
  /** As declared: `-o, --output <dir>`. */
  readonly flags: string;
  /** Every spelling: `-o`, `--output`. */
  readonly names: readonly string[];
  readonly description: string;
  /** The description as --help shows it, with the default value or the choices. */
  readonly helpDescription: string;
  /** Given on every use of the command (commander's requiredOption). */
  readonly mandatory: boolean;
  /** Whether the option takes a value, and how many: `--pid <pid...>` takes all until the next option. */
  readonly takes: 'none' | 'one' | 'optional' | 'many';
  /** The value's placeholder (`dir`), empty for a flag. */
  readonly placeholder: string;
  readonly value: ValueKind;
  /** commander's -h, --help, which every command has of its own. */
  readonly help: boolean;
}

export interface ArgumentSpec {
  readonly name: string;
  readonly description: string;
  /** The description as --help shows it, with the default value or the choices. */
  readonly helpDescription: string;
  readonly required: boolean;
  readonly variadic: boolean;
  readonly value: ValueKind;
}

export interface CommandSpec {
  /** Names from the program down: [] for flightrec itself, ['notebook', 'run']. */
  readonly path: readonly string[];
  readonly aliases: readonly string[];
  readonly description: string;
  /** The usage after the path: `[options] <recording>`. */
  readonly usage: string;
  /** Its own options, help included. */
  readonly options: readonly OptionSpec[];
  readonly arguments: readonly ArgumentSpec[];
  readonly commands: readonly CommandSpec[];
  /** commander's implicit `help [command]`, which exists only as a placeholder of the help. */
  readonly implicitHelp: boolean;
}

const PLACEHOLDER = /[<[]([^>\]]*?)(?:\.\.\.)?[>\]]/;

/** A word of the description's prose (not of a list such as `proc,file,net`). */
const proseWord = (words: string): RegExp => new RegExp(`(^|\\s)(${words})(?=[\\s.,;:)]|$)`);

/**
 * The kind of a value from its placeholder, else from its description: `<dir>` and
 * "recording directories" are directories, `<file>` and "...a Markdown file" are files.
 */
export function valueKind(placeholder: string, description: string, choices: readonly string[] | undefined): ValueKind {
  if (choices !== undefined) return { kind: 'words', words: choices };
  if (/^(dir|directory|recordings?)$/.test(placeholder)) return { kind: 'dir' };
  if (/^(file|path)$/.test(placeholder)) return { kind: 'file' };
  if (placeholder === 'command') return { kind: 'command' };
  if (proseWord('directory|directories').test(description)) return { kind: 'dir' };
  if (proseWord('files?').test(description)) return { kind: 'file' };
  return { kind: 'any' };
}

function optionSpec(o: Option, h: Help, help: boolean): OptionSpec {
  const placeholder = PLACEHOLDER.exec(o.flags)?.[1] ?? '';
  return {
    flags: o.flags,
    names: [o.short, o.long].filter((n): n is string => n !== undefined),
    description: o.description,
    helpDescription: h.optionDescription(o),
    mandatory: o.mandatory,
    takes: o.variadic ? 'many' : o.required ? 'one' : o.optional ? 'optional' : 'none',
    placeholder,
    value: placeholder === '' ? { kind: 'any' } : valueKind(placeholder, o.description, o.argChoices),
    help,
  };
}

function argumentSpec(a: Argument, h: Help): ArgumentSpec {
  return { name: a.name(), description: a.description, helpDescription: h.argumentDescription(a), required: a.required, variadic: a.variadic, value: valueKind(a.name(), a.description, a.argChoices) };
}

/** The program's commands as data, in the order `--help` lists them. */
export function commandTree(cmd: Command, path: readonly string[] = []): CommandSpec {
  const help = cmd.createHelp();
  const subs = help.visibleCommands(cmd);
  const siblings = subs.filter((s) => cmd.commands.includes(s)).map((s) => s.name());
  return {
    path,
    aliases: cmd.aliases(),
    description: cmd.description(),
    usage: cmd.usage(),
    options: help.visibleOptions(cmd).map((o) => optionSpec(o, help, !cmd.options.includes(o))),
    arguments: cmd.registeredArguments.map((a) => argumentSpec(a, help)),
    commands: subs.map((s) => {
      if (cmd.commands.includes(s)) return commandTree(s, [...path, s.name()]);
      // `help [command]` takes the name of a sibling.
      const spec = commandTree(s, [...path, s.name()]);
      return { ...spec, implicitHelp: true, arguments: spec.arguments.map((a) => ({ ...a, value: { kind: 'words', words: siblings } as const })) };
    }),
    implicitHelp: false,
  };
}

/** Every command of the tree, parents before their children. */
export function allCommands(root: CommandSpec): CommandSpec[] {
  return [root, ...root.commands.flatMap(allCommands)];
}

/**
 * The options a command takes: its own, then its ancestors' (commander takes `flightrec info
 * --debug rec` as `flightrec --debug info rec`), but for their help.
 */
export function acceptedOptions(root: CommandSpec, cmd: CommandSpec): OptionSpec[] {
  const out = [...cmd.options];
  let at = root;
  for (const name of cmd.path) {
    out.push(...at.options.filter((o) => !o.help && !out.some((x) => x.names.some((n) => o.names.includes(n)))));
    at = at.commands.find((c) => c.path.at(-1) === name)!;
  }
  return out;
}
