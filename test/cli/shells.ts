// Helpers for the tests that run the completion scripts in real shells. A shell that is not
// installed is skipped with the reason printed, except under CI, where scripts/setup.sh
// installs bash, zsh and fish, and a skip is a failure.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';

/** Whether `name` runs here; throws under CI when it does not. */
export function shellAvailable(name: string): boolean {
  const r = spawnSync(name, ['-c', 'exit 0'], { encoding: 'utf8' });
  if (r.status === 0) return true;
  if (process.env.CI) throw new Error(`${name} is not installed, and CI runs the ${name} completion tests (scripts/setup.sh installs it)`);
  console.warn(`skipping the ${name} completion tests: ${name} is not installed`);
  return false;
}

/** A home of its own for each shell run, so no user's configuration takes part and nothing of theirs is written. */
function isolated(): NodeJS.ProcessEnv {
  const home = tempDir('flightrec-shell-home-');
  return { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_DATA_HOME: join(home, 'data'), TERM: 'dumb', LANG: 'C.UTF-8' };
}

export interface ShellRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(cmd: string, args: readonly string[], cwd: string, input = ''): ShellRun {
  const r = spawnSync(cmd, args, { cwd, input, encoding: 'utf8', timeout: 30_000, env: isolated() });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** What the bash script offers for the words typed (the last is the one being completed). */
export function bashComplete(script: string, cwd: string, ...words: string[]): string[] {
  const r = run('bash', ['--norc', '--noprofile', '-c',
    'source "$1" || exit 9; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _flightrec; printf "%s\\n" "${COMPREPLY[@]}"', '_', script, ...words], cwd);
  if (r.code !== 0 || r.stderr !== '') throw new Error(`bash completion failed (${r.code}): ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}

/** What the fish script offers for the command line, and the descriptions (name -> description). */
export function fishComplete(script: string, cwd: string, line: string): Map<string, string> {
  const r = run('fish', ['--no-config', '-c', 'source $argv[1]; or exit 9; complete -C $argv[2]', script, line], cwd);
  if (r.code !== 0 || r.stderr !== '') throw new Error(`fish completion failed (${r.code}): ${r.stderr}`);
  return new Map(r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t') as [string, string]));
}

// Runs an interactive zsh in a pseudo-terminal (zsh/zpty), types the line and a TAB, and
// reports every match the completion added, then the line as the TAB left it. compinit's
// dump is kept between runs: it takes seconds to make.
let zshDir: string | undefined;

const ZPTY = `zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "stty -echo; PS1='' RPS1=''"
zpty -w z "autoload -U compinit; compinit -u -C -d \${(q)4}"
zpty -w z "source \${(q)1}"
zpty -w z 'zstyle ":completion:*" insert-tab false'
if [[ $3 == list ]]; then
  zpty -w z 'compadd () { if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd "$@"; return $?; fi; typeset -a hits; builtin compadd -A hits "$@"; local ret=$? m=MATCH; (( $#hits )) && print -rl -- "$m:"\${^hits}; return $ret; }'
fi
zpty -w z 'bindkey "^I" complete-word; finish() { local m=LINE; print -r -- "$m:$BUFFER"; exit }; zle -N finish; bindkey "^X" finish'
zpty -n -w z "$2"$'\\t\\x18'
local line
while zpty -r z line; do
  line=\${line//$'\\r'/}
  [[ $line == *LINE:* ]] && { print -r -- "LINE:\${line#*LINE:}"; break }
  [[ $line == *MATCH:* ]] && print -r -- "MATCH:\${line#*MATCH:}"
done
zpty -d z
`;

/**
 * zsh at the end of `line` after a TAB: the matches offered (`list`), or the line as
 * completed (`line`: a single match is inserted).
 */
export function zshComplete(script: string, cwd: string, line: string, mode: 'list' | 'line'): string[] | string {
  zshDir ??= tempDir('flightrec-zsh-');
  const harness = join(zshDir, 'zpty.zsh');
  writeFileSync(harness, ZPTY);
  const r = run('zsh', ['-f', harness, script, line, mode, join(zshDir, 'zcompdump')], cwd);
  const out = r.stdout.split('\n');
  const done = out.find((l) => l.startsWith('LINE:'));
  if (done === undefined) throw new Error(`zsh did not finish the completion (${r.code}): ${r.stdout}${r.stderr}`);
  if (mode === 'line') return done.slice(5);
  return [...new Set(out.filter((l) => l.startsWith('MATCH:')).map((l) => l.slice(6)))].sort();
}
