// `flightrec completion fish`: a fish completion script. Tables of the program's commands,
// options and arguments (as `switch` functions, generated), one function that walks the
// tokens typed so far through them the way commander parses (see bash.ts), and one that
// prints the candidates for the token at the cursor, with their descriptions.
import { acceptedOptions, allCommands, type CommandSpec } from '../command-tree.js';
import { kindWord, namesOf, pathSpellings, safeName } from './shape.js';

/** A fish single-quoted string. */
const q = (s: string): string => `'${s.replace(/[\\']/g, '\\$&')}'`;

/** Only the first line of a description: a candidate's description is one line. */
const line = (s: string): string => s.split('\n')[0]!;

function table(name: string, doc: string, rows: ReadonlyArray<[readonly string[], readonly string[]]>, key = '"$argv[1]"'): string {
  const arms = rows.filter(([, out]) => out.length > 0)
    .map(([patterns, out]) => `        case ${patterns.map(q).join(' ')}\n${out.map((o) => `            echo ${q(o)}`).join('\n')}`);
  return [`# ${doc}`, `function __flightrec_${name}`, `    switch ${key}`, ...arms, '    end', 'end'].join('\n');
}

export function fishCompletion(root: CommandSpec): string {
  const commands = allCommands(root);
  const at = (c: CommandSpec): string[] => pathSpellings(root, c);
  return `# fish completion for flightrec, generated from its commands by \`flightrec completion fish\`.
# Install: flightrec completion fish > ~/.config/fish/completions/flightrec.fish

${table('commands', 'the subcommands of a command path: name, tab, description', commands.map((c) => [at(c), c.commands.flatMap((s) => namesOf(s).map((n) => `${n}\t${line(s.description)}`))]))}

${table('options', 'the options a command path takes: name, tab, description', commands.map((c) => [at(c), acceptedOptions(root, c).flatMap((o) => o.names.map((n) => `${safeName(n)}\t${line(o.description)}`))]))}

${table('option', 'how an option ("path/name") takes a value: "one|optional|many KIND"; flags are not listed', commands.flatMap((c) => acceptedOptions(root, c).filter((o) => o.takes !== 'none')
    .map((o): [string[], string[]] => [at(c).flatMap((p) => o.names.map((n) => `${p}/${n}`)), [`${o.takes} ${kindWord(o.value)}`]])), '"$argv[1]/$argv[2]"')}

${table('arguments', 'the kinds of the operands of a command path, one a line; a last one ending in ... repeats', commands.map((c) => [at(c), c.arguments.map((a) => `${kindWord(a.value)}${a.variadic ? '...' : ''}`)]))}

# files, or directories with "dir": the same as fish completes them for any command
function __flightrec_paths --argument-names kind token
    set -l found (complete -C"__flightrec_no_such_command $token")
    if test "$kind" = dir
        string match -r -- '^[^\\t]*/(\\t.*)?$' $found
    else
        printf '%s\\n' $found
    end
end

# the candidates for a value of kind $argv[1] that starts with $argv[2]
function __flightrec_values --argument-names kind token
    switch $kind
        case dir file
            __flightrec_paths $kind $token
        case command
            complete -C "$token"
        case 'words:*'
            string split , -- (string replace words: '' -- $kind)
    end
end

# the command path typed so far, operands after it, and the kind of value the token at the cursor is
function __flightrec_state
    set -l words (commandline -opc)
    set -e words[1]
    set -l path ''
    set -l npos 0
    set -l value ''
    set -l optional 0
    set -l many ''
    set -l dashdash 0
    for w in $words
        if test -n "$value"
            set value ''
            # an optional value is taken only when it does not look like an option
            if test $optional = 0; or not string match -q -- '-*' $w
                continue
            end
        end
        if test $dashdash = 1
            set npos (math $npos + 1)
            continue
        end
        switch $w
            case --
                set dashdash 1
                set many ''
            case '--*=*'
                set many ''
            case '-*'
                set many ''
                set -l spec (string split ' ' -- (__flightrec_option "$path" $w))
                switch "$spec[1]"
                    case one
                        set value $spec[2]
                        set optional 0
                    case optional
                        set value $spec[2]
                        set optional 1
                    case many
                        set many $spec[2]
                end
            case '*'
                test -n "$many"; and continue
                if test $npos = 0; and contains -- $w (__flightrec_commands "$path" | string replace -r '\\t.*' '')
                    set path (string trim -- "$path $w")
                    continue
                end
                set npos (math $npos + 1)
        end
    end
    printf '%s\\n' "$path" $npos "$value" $optional "$many" $dashdash
end

function __flightrec_complete
    set -l state (__flightrec_state)
    set -l path $state[1]
    set -l token (commandline -ct)
    if test $state[6] = 0; and string match -qr -- '^--[^=]+=' $token
        set -l parts (string split -m 1 = -- $token)
        set -l spec (string split ' ' -- (__flightrec_option "$path" $parts[1]))
        test -n "$spec[1]"; and printf '%s\\n' $parts[1]=(__flightrec_values $spec[2] $parts[2])
        return
    end
    if test -n "$state[3]"; and not begin; test $state[4] = 1; and string match -q -- '-*' $token; end
        __flightrec_values $state[3] $token
        return
    end
    if test $state[6] = 0; and string match -q -- '-*' $token
        __flightrec_options "$path"
        return
    end
    if test -n "$state[5]"
        __flightrec_values $state[5] $token
        return
    end
    if test $state[2] = 0; and test $state[6] = 0
        set -l subs (__flightrec_commands "$path")
        if set -q subs[1]
            printf '%s\\n' $subs
            return
        end
    end
    set -l kinds (__flightrec_arguments "$path")
    set -q kinds[1]; or return
    set -l n (math $state[2] + 1)
    set -l kind $kinds[-1]
    if test $n -le (count $kinds)
        set kind $kinds[$n]
    else if not string match -q -- '*...' $kind
        return
    else if test $kind = command...
        # the words after a command to run are its arguments
        set kind file...
    end
    __flightrec_values (string replace -r '\\.\\.\\.$' '' -- $kind) $token
end

complete -c flightrec -f -a '(__flightrec_complete)'
`;
}
