#!/usr/bin/env bash
# Runs a command on one of Debian's stock kernels (5.10, 6.1, 6.12) under qemu, so that the
# real-kernel tests can check flightrec on kernels other than the host's:
#
#   scripts/kernels/run.sh <5.10|6.1|6.12> [options] -- <command...>
#     --timeout S        kill the guest after S seconds (default 600); exit 124
#     --out DIR          share DIR writable in the guest, at its own path and at /run/flightrec-out
#                        (created if missing; may be under /tmp)
#     --env NAME[=VAL]   pass another variable (repeatable; without =VAL, the caller's value)
#     --log FILE         the guest's console log (kernel log and init's messages);
#                        default ${TMPDIR:-/tmp}/flightrec-kernel-<series>.log
#     --mem MB, --smp N  guest size (default 2048 MB, 2 vCPUs)
#
# The guest runs the host's own root, read-only over 9p with a tmpfs overlay (writes vanish with
# the guest; /tmp and /var/tmp included), a fresh /run, an ext4 scratch disk on
# /run/flightrec-scratch (FLIGHTREC_SCRATCH), bpffs, debugfs and cgroup2
# mounted, lo up (see guest-init.sh). The command runs as root from the caller's working
# directory, stdin empty, stdout and stderr not ttys; its
# output comes out on this script's stdout and stderr, byte for byte, with the kernel's log
# kept apart in the --log file. The exit code is the command's; 124 when the guest timed out;
# 125 when the guest failed before the command could report (the log's tail is printed); 2
# for a usage error. Passed through: CI, PATH, HOME, LANG, LC_*, TZ, TERM, NO_COLOR,
# FORCE_COLOR, NODE_OPTIONS, DEBUG, FLIGHTREC_*, VITEST_*; set: FLIGHTREC_GUEST=<series>,
# FLIGHTREC_OUT=/run/flightrec-out with --out.
#
# The kernel comes from fetch.sh's cache (fetched on first use; ${FLIGHTREC_KERNEL_CACHE}).
# qemu runs under TCG (/dev/kvm here is PVM, which cannot run stock kernels): user code runs
# about 30 times slower than on the host.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${FLIGHTREC_KERNEL_CACHE:-/var/cache/flightrec/kernels}
ME=run.sh

usage() { echo "usage: $ME <5.10|6.1|6.12> [--timeout S] [--out DIR] [--env NAME[=VAL]] [--log FILE] [--mem MB] [--smp N] -- <command...>" >&2; exit 2; }

(($# > 0)) || usage
series=$1
shift
case $series in 5.10 | 6.1 | 6.12) ;; *) usage ;; esac
timeout_s=600 out='' log='' mem=2048 smp=2 extra_env=()
while (($# > 0)); do
  case $1 in
    --timeout) timeout_s=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --env) extra_env+=("${2:?}"); shift 2 ;;
    --log) log=${2:?}; shift 2 ;;
    --mem) mem=${2:?}; shift 2 ;;
    --smp) smp=${2:?}; shift 2 ;;
    --) shift; break ;;
    *) usage ;;
  esac
done
(($# > 0)) || usage
[[ $timeout_s =~ ^[0-9]+$ && $mem =~ ^[0-9]+$ && $smp =~ ^[0-9]+$ ]] || usage
log=${log:-${TMPDIR:-/tmp}/flightrec-kernel-$series.log}
ME="run.sh $series"

command -v qemu-system-x86_64 >/dev/null || { echo "$ME: qemu-system-x86_64 is missing: apt-get install qemu-system-x86" >&2; exit 125; }

# The kernel (fetch.sh is a no-op when the cache is there and was checked today).
"$HERE/fetch.sh" "$series" || { echo "$ME: no kernel: fetch.sh $series failed" >&2; exit 125; }
kdir=$CACHE/$series

# fetch.sh's pristine ext4 scratch disk; each guest writes to a throw-away snapshot of it.
scratch=$CACHE/scratch-ext4.img

tmp=$(mktemp -d "${TMPDIR:-/tmp}/flightrec-qemu.XXXXXX")
qemu_pid='' relay_out='' relay_err=''
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  # qemu_pid is timeout(1)'s: it passes SIGTERM on to qemu (a SIGKILL would orphan qemu).
  if [[ -n $qemu_pid ]]; then
    kill -TERM "$qemu_pid" 2>/dev/null || true
    wait "$qemu_pid" 2>/dev/null || true
  fi
  [[ -z $relay_out ]] || kill "$relay_out" 2>/dev/null || true
  [[ -z $relay_err ]] || kill "$relay_err" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
for sig in INT:130 TERM:143 HUP:129; do
  # shellcheck disable=SC2064 # one trap per signal, with its own exit code
  trap "echo '$ME: interrupted (SIG${sig%:*})' >&2; exit ${sig#*:}" "${sig%:*}"
done

# The command, as a script the guest's /init runs with the host's bash (printf %q quotes for
# bash). Variables first, then the working directory, then the command itself.
mkdir "$tmp/ctl"
{
  echo '#!/bin/bash'
  for name in $(compgen -e); do
    case $name in
      CI | PATH | HOME | LANG | LC_* | TZ | TERM | NO_COLOR | FORCE_COLOR | NODE_OPTIONS | DEBUG | FLIGHTREC_* | VITEST_*)
        printf 'export %s=%q\n' "$name" "${!name}" ;;
    esac
  done
  for e in "${extra_env[@]}"; do
    if [[ $e == *=* ]]; then printf 'export %s=%q\n' "${e%%=*}" "${e#*=}"; else printf 'export %s=%q\n' "$e" "${!e-}"; fi
  done
  printf 'export FLIGHTREC_GUEST=%q\n' "$series"
  echo 'export FLIGHTREC_SCRATCH=/run/flightrec-scratch'
  [[ -z $out ]] || echo 'export FLIGHTREC_OUT=/run/flightrec-out'
  printf 'cd -- %q || { echo %q >&2; exit 125; }\n' "$PWD" "$ME: cannot enter $PWD in the guest"
  printf 'exec'
  printf ' %q' "$@"
  printf '\n'
} >"$tmp/ctl/cmd.sh"

# shellcheck disable=SC2054 # qemu's option values have commas
virtfs=(
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
  -virtfs "local,path=$tmp/ctl,mount_tag=ctl,security_model=none"
)
if [[ -n $out ]]; then
  mkdir -p "$out"
  out=$(cd "$out" && pwd -P)
  [[ $out != / ]] || { echo "$ME: --out / would hide the guest's root" >&2; exit 2; }
  virtfs+=(-virtfs "local,path=$out,mount_tag=out,security_model=none")
  echo "$out" >"$tmp/ctl/out-path"
fi

# The command's stdout and stderr reach this script through two virtio serial ports and FIFOs.
# This script holds a write end of each too, so the relays end even if qemu never opens them.
mkfifo "$tmp/out.fifo" "$tmp/err.fifo"
cat "$tmp/out.fifo" &
relay_out=$!
cat "$tmp/err.fifo" >&2 &
relay_err=$!
exec 7>"$tmp/out.fifo" 8>"$tmp/err.fifo"

# panic=-1 with -no-reboot: a panicking guest ends qemu at once instead of waiting for the
# timeout. random.trust_cpu: RDRAND (emulated) seeds the pool, so getrandom() never waits.
# mitigations=off: the emulated CPU pays dearly for page-table isolation; for root (which
# has CAP_PERFMON) the BPF verifier behaves the same either way.
# thread=single: one host thread runs both vCPUs in turn. With a thread per vCPU (multi) on
# this 2-core host, 5.10 guests hung in soft lockups at a patched tracepoint site while the
# recorder attached its programs, and the scenarios ran 2-3x slower.
append="console=ttyS0 panic=-1 random.trust_cpu=on mitigations=off rdinit=/init"
: >"$log"
start=$(date +%s.%N)
timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 \
  -nodefaults -no-user-config -display none -no-reboot \
  -machine pc -accel tcg,thread=single -cpu max -smp "$smp" -m "$mem" \
  -kernel "$kdir/vmlinuz" -initrd "$kdir/initramfs.cpio.gz" -append "$append" \
  -chardev "file,id=console,path=$log" -serial chardev:console \
  -device virtio-serial-pci,id=ports \
  -chardev "file,id=out,path=$tmp/out.fifo" -device virtserialport,bus=ports.0,chardev=out,name=flightrec.out \
  -chardev "file,id=err,path=$tmp/err.fifo" -device virtserialport,bus=ports.0,chardev=err,name=flightrec.err \
  "${virtfs[@]}" \
  -drive "file=$scratch,format=raw,if=virtio,snapshot=on" \
  2>"$tmp/qemu.err" &
qemu_pid=$!
qemu_rc=0
wait "$qemu_pid" || qemu_rc=$?
qemu_pid=''
end=$(date +%s.%N)
exec 7>&- 8>&-
wait "$relay_out" "$relay_err" || true
relay_out='' relay_err=''

{
  echo "--- run.sh: $(cat "$kdir/package"), qemu exit $qemu_rc after $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')s"
  cat "$tmp/qemu.err"
} >>"$log"

# The console's last lines, indented (the serial console ends kernel lines with CR LF).
log_tail() { tail -n 40 "$log" | tr -d '\r' | sed 's/^/  | /' >&2; }
if ((qemu_rc == 124 || qemu_rc == 137)); then
  echo "$ME: the guest did not finish within ${timeout_s}s and was killed; last lines of $log:" >&2
  log_tail
  exit 124
fi
if [[ ! -s $tmp/ctl/rc ]]; then
  echo "$ME: the guest stopped without the command's exit code (qemu exit $qemu_rc); last lines of $log:" >&2
  log_tail
  exit 125
fi
rc=$(cat "$tmp/ctl/rc")
# A kernel warning or oops while the command ran is worth a line even when it succeeded.
if sed -n '/^flightrec-guest: command starts/,$p' "$log" | grep -q -E 'BUG:|WARNING:|Oops|Call Trace:|general protection'; then
  echo "$ME: the guest kernel logged a warning or oops while the command ran; see $log" >&2
fi
exit "$rc"
