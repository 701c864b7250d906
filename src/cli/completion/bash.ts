// `flightrec completion bash`: a bash completion script. Tables of the program's commands,
// options and arguments (as `case` functions, generated), and one function that walks the
// words typed so far through them the way commander parses: subcommands, options and
// their values (`--pid 1 2` takes values until the next option), `--`, then operands.
import { acceptedOptions, allCommands, type CommandSpec } from '../command-tree.js';
import { kindWord, namesOf, pathSpellings, safeName } from './shape.js';

/** A `case` over command paths (every spelling), with REPLY set for each. */
function table(name: string, doc: string, rows: ReadonlyArray<[readonly string[], string]>, key = '"$1"'): string {
  const arms = rows.filter(([, reply]) => reply !== '').map(([patterns, reply]) => `    ${patterns.map((p) => `'${p}'`).join('|')}) REPLY='${reply}' ;;`);
  return [`# ${doc}`, `_flightrec_${name}() {`, `  case ${key} in`, ...arms, `    *) REPLY='' ;;`, '  esac', '}'].join('\n');
}

export function bashCompletion(root: CommandSpec): string {
  const commands = allCommands(root);
  const at = (c: CommandSpec): string[] => pathSpellings(root, c);
  const optionRows: Array<[string[], string]> = commands.flatMap((c) => acceptedOptions(root, c).filter((o) => o.takes !== 'none')
    .map((o): [string[], string] => [at(c).flatMap((p) => o.names.map((n) => `${p}/${safeName(n)}`)), `${o.takes} ${kindWord(o.value)}`]));
  return `# bash completion for flightrec, generated from its commands by \`flightrec completion bash\`.
# Install: flightrec completion bash > /etc/bash_completion.d/flightrec
#      or: source <(flightrec completion bash)   (in ~/.bashrc)

${table('commands', 'the subcommands of a command path', commands.map((c) => [at(c), c.commands.flatMap(namesOf).join(' ')]))}

${table('options', 'the options a command path takes', commands.map((c) => [at(c), acceptedOptions(root, c).flatMap((o) => o.names).map(safeName).join(' ')]))}

${table('option', 'how an option ("path/name") takes a value: "one|optional|many KIND"; flags are not listed', optionRows, '"$1/$2"')}

${table('arguments', 'the kinds of the operands of a command path; a last one ending in ... repeats', commands.map((c) => [at(c), c.arguments.map((a) => `${kindWord(a.value)}${a.variadic ? '...' : ''}`).join(' ')]))}

# COMPREPLY: what a value of kind $1 may be, starting with $2
_flightrec_values() {
  local list
  case $1 in
    dir) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$2") ;;
    file) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$2") ;;
    command) mapfile -t COMPREPLY < <(compgen -c -- "$2") ;;
    words:*) list=\${1#words:}; mapfile -t COMPREPLY < <(compgen -W "\${list//,/ }" -- "$2") ;;
    *) COMPREPLY=() ;;
  esac
}

_flightrec() {
  local cur=\${COMP_WORDS[COMP_CWORD]-} end=$COMP_CWORD
  local path='' npos=0 value='' optional='' many='' dashdash='' eq='' i w takes kind REPLY
  COMPREPLY=()
  # bash splits --option=value at the = (COMP_WORDBREAKS)
  if [[ $cur == = ]] && ((end >= 2)) && [[ \${COMP_WORDS[end-1]} == -* ]]; then
    eq=\${COMP_WORDS[end-1]}; cur=''; ((end -= 1))
  elif ((end >= 3)) && [[ \${COMP_WORDS[end-1]} == = && \${COMP_WORDS[end-2]} == -* ]]; then
    eq=\${COMP_WORDS[end-2]}; ((end -= 2))
  fi
  for ((i = 1; i < end; i++)); do
    w=\${COMP_WORDS[i]}
    if [[ -n $value ]]; then
      value=''
      # an optional value is taken only when it does not look like an option
      [[ -n $optional && $w == -* ]] || continue
    fi
    if [[ -n $dashdash ]]; then ((npos += 1)); continue; fi
    case $w in
      --) dashdash=1; many='' ;;
      -*)
        many=''
        if [[ \${COMP_WORDS[i+1]-} == = ]]; then ((i += 2)); continue; fi
        _flightrec_option "$path" "$w"
        read -r takes kind <<<"$REPLY"
        case $takes in
          one) value=$kind; optional='' ;;
          optional) value=$kind; optional=1 ;;
          many) many=$kind ;;
        esac ;;
      *)
        [[ -n $many ]] && continue
        if ((npos == 0)); then
          _flightrec_commands "$path"
          if [[ " $REPLY " == *" $w "* ]]; then path=\${path:+$path }$w; continue; fi
        fi
        ((npos += 1)) ;;
    esac
  done
  if [[ -n $eq ]]; then
    _flightrec_option "$path" "$eq"
    read -r takes kind <<<"$REPLY"
    [[ -n $takes ]] && _flightrec_values "$kind" "$cur"
    return 0
  fi
  if [[ -n $value ]] && ! [[ -n $optional && $cur == -* ]]; then _flightrec_values "$value" "$cur"; return 0; fi
  if [[ -z $dashdash && $cur == -* ]]; then _flightrec_options "$path"; _flightrec_values "words:\${REPLY// /,}" "$cur"; return 0; fi
  if [[ -n $many ]]; then _flightrec_values "$many" "$cur"; return 0; fi
  if ((npos == 0)) && [[ -z $dashdash ]]; then
    _flightrec_commands "$path"
    if [[ -n $REPLY ]]; then _flightrec_values "words:\${REPLY// /,}" "$cur"; return 0; fi
  fi
  _flightrec_arguments "$path"
  local -a kinds=($REPLY)
  ((\${#kinds[@]} == 0)) && return 0
  kind=\${kinds[npos]-}
  if [[ -z $kind ]]; then
    kind=\${kinds[-1]}
    [[ $kind == *... ]] || return 0
    # the words after a command to run are its arguments
    [[ $kind == command... ]] && kind=file...
  fi
  _flightrec_values "\${kind%...}" "$cur"
}

complete -F _flightrec flightrec
`;
}
