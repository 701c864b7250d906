#!/bin/sh
# shellcheck shell=sh
# /init of the qemu guests run.sh boots (busybox sh, PID 1; initramfs.sh puts it in place).
# It loads the 9p/overlay/ext4 modules, mounts the host's root read-only over 9p with a tmpfs
# overlay on top, chroots into it and runs the command run.sh left in the control share
# (/run/flightrec-ctl/cmd.sh) with stdout and stderr on two virtio ports, writes its exit code
# to /run/flightrec-ctl/rc and powers off. Everything this script says goes to the console,
# ttyS0, which run.sh keeps in a log file, so the command's own output stays clean.
#
# Guest layout (what the command sees):
#   /                      the host's /, read-only 9p under a tmpfs overlay (writes are lost)
#   /run, /dev/shm         fresh tmpfs (/tmp is the overlay's: the host's, writes are lost)
#   /run/flightrec-scratch an ext4 scratch disk (a real block device, for block I/O)
#   /run/flightrec-ctl     run.sh's control directory (cmd.sh, rc)
#   /run/flightrec-out     the writable host directory of run.sh --out, when given; also
#                          mounted at its host path
#   /sys/fs/bpf, /sys/kernel/debug, /sys/fs/cgroup (cgroup2), lo up

PATH=/bin
export PATH
N=/newroot

say() { echo "flightrec-guest: $*"; }

# The end, whatever happened: with no rc file, run.sh reports the failure and the console tail.
poweroff_now() {
  sync
  echo o >/proc/sysrq-trigger
  sleep 10 # sysrq's power-off is asynchronous; never let PID 1 exit (that is a panic)
}

fail() {
  say "FATAL: $*"
  poweroff_now
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
say "booted $(uname -r) at $(cut -d' ' -f1 /proc/uptime)s"

# Modules in dependency order (fetch.sh wrote it); the ones a kernel builds in are not there.
while read -r m; do
  insmod "/modules/$m.ko" || say "insmod $m failed"
done </modules/order

# The 9p shares, by tag: hostroot (always), ctl (always), out (with run.sh --out).
tags=" "
for t in /sys/bus/virtio/devices/*/mount_tag; do
  [ -e "$t" ] && tags="$tags$(tr -d '\0' <"$t") "
done
case $tags in *" hostroot "*) ;; *) fail "no hostroot 9p share (tags:$tags)" ;; esac

# The host's root: read-only, so the page cache may keep what it read (cache=loose), which is
# what makes node's thousands of small reads bearable under emulation. msize: the largest
# message the virtio transport takes on every kernel here.
mkdir -p /lower /upper "$N"
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /lower ||
  fail "cannot mount the host root over 9p"
mount -t tmpfs -o mode=0755 upper /upper
mkdir -p /upper/data /upper/work
mount -t overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work overlay "$N" ||
  fail "cannot mount the overlay on the host root"

mount -t proc proc "$N/proc"
mount -t sysfs sysfs "$N/sys"
mount -t devtmpfs devtmpfs "$N/dev"
mkdir -p "$N/dev/pts" "$N/dev/shm"
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts "$N/dev/pts"
mount -t tmpfs -o mode=1777 shm "$N/dev/shm"
# What udev would make and scripts use (>/dev/stderr, /dev/fd/N).
ln -sf /proc/self/fd "$N/dev/fd"
ln -sf /proc/self/fd/0 "$N/dev/stdin"
ln -sf /proc/self/fd/1 "$N/dev/stdout"
ln -sf /proc/self/fd/2 "$N/dev/stderr"
mount -t tmpfs -o mode=0755 run "$N/run"
mkdir -p "$N/run/lock" "$N/run/flightrec-ctl"
mount -t bpf bpf "$N/sys/fs/bpf"
mount -t debugfs debugfs "$N/sys/kernel/debug"
mount -t cgroup2 cgroup2 "$N/sys/fs/cgroup"

mount -t 9p -o trans=virtio,version=9p2000.L,cache=none,msize=512000 ctl "$N/run/flightrec-ctl" ||
  fail "cannot mount the control share"
case $tags in *" out "*)
  mkdir -p "$N/run/flightrec-out"
  mount -t 9p -o trans=virtio,version=9p2000.L,cache=none,msize=512000 out "$N/run/flightrec-out" ||
    fail "cannot mount the out share"
  # ...and at its path on the host too, so that paths written there mean the same on both
  # sides.
  if [ -s "$N/run/flightrec-ctl/out-path" ]; then
    out_path=$(cat "$N/run/flightrec-ctl/out-path")
    { mkdir -p "$N$out_path" && mount -o bind "$N/run/flightrec-out" "$N$out_path"; } ||
      fail "cannot mount the out share at $out_path"
  fi
  ;;
esac
# The scratch disk run.sh attaches (its writes are discarded when the guest stops).
if [ -b /dev/vda ]; then
  mkdir -p "$N/run/flightrec-scratch"
  mount -t ext4 /dev/vda "$N/run/flightrec-scratch" || fail "cannot mount the scratch disk"
  chmod 1777 "$N/run/flightrec-scratch"
fi

ip link set lo up
hostname flightrec-guest

# The command's stdout and stderr go to the host through two virtio serial ports, named by
# run.sh (the 8250 UARTs cost a host system call per byte: ~150 KB/s). The command writes to
# pipes that relays copy to the ports: a port opens only once (a reopen of /dev/stdout would
# fail with EBUSY), pipes are what it would get in CI (no tty), and the relays can be told
# apart from the command's own processes at the end.
port() {
  for d in /sys/class/virtio-ports/*; do
    [ "$(cat "$d/name" 2>/dev/null)" = "$1" ] && echo "/dev/${d##*/}" && return 0
  done
  return 1
}
i=0
until out_port=$(port flightrec.out) && err_port=$(port flightrec.err) && [ -c "$out_port" ] && [ -c "$err_port" ]; do
  [ $i -lt 50 ] || fail "no virtio ports flightrec.out and flightrec.err"
  sleep 0.1
  i=$((i + 1))
done
mkfifo /out.fifo /err.fifo
cat /out.fifo >"$out_port" &
relay_out=$!
cat /err.fifo >"$err_port" &
relay_err=$!

say "command starts at $(cut -d' ' -f1 /proc/uptime)s"
chroot "$N" /bin/bash /run/flightrec-ctl/cmd.sh </dev/null >/out.fifo 2>/err.fifo
rc=$?
say "command exited with $rc at $(cut -d' ' -f1 /proc/uptime)s"

# Processes the command left behind may hold the pipes open: give them a moment, then end
# every process but this one and the relays, so the relays see end-of-file and drain.
i=0
while [ $i -lt 20 ] && { kill -0 $relay_out 2>/dev/null || kill -0 $relay_err 2>/dev/null; }; do
  sleep 0.1
  i=$((i + 1))
done
for p in /proc/[0-9]*; do
  p=${p#/proc/}
  case $p in 1 | "$relay_out" | "$relay_err") continue ;; esac
  # Kernel threads have no executable; leave them be.
  [ -e "/proc/$p/exe" ] && kill -KILL "$p" 2>/dev/null
done
wait $relay_out $relay_err

echo "$rc" >"$N/run/flightrec-ctl/rc"
umount "$N/run/flightrec-out" 2>/dev/null
umount "$N/run/flightrec-ctl"
poweroff_now
