#!/usr/bin/env bash
# Builds the initramfs of one cached kernel (see fetch.sh, which calls this): busybox-static,
# the kernel's modules (modules/*.ko in load order) and guest-init.sh as /init, which mounts the
# host's root over 9p and runs run.sh's command in it.
#
#   scripts/kernels/initramfs.sh <cache dir of a series, e.g. /var/cache/flightrec/kernels/6.1>
#
# Writes <dir>/initramfs.cpio.gz. Needs busybox-static and cpio; root, to make /dev/console.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: initramfs.sh <kernel cache dir>}
BUSYBOX=/bin/busybox

[[ -s $dir/modules/order ]] || { echo "initramfs.sh: $dir has no modules/order; run fetch.sh first" >&2; exit 1; }
# The guest has no libc of its own until it reaches the host's root: busybox must be static.
# (ldd fails on a static binary.)
if [[ ! -x $BUSYBOX ]] || ldd "$BUSYBOX" >/dev/null 2>&1; then
  echo "initramfs.sh: $BUSYBOX is missing or not static: apt-get install busybox-static" >&2
  exit 1
fi
command -v cpio >/dev/null || { echo "initramfs.sh: cpio is missing: apt-get install cpio" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/flightrec-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,dev,proc,sys,modules,newroot}
cp "$BUSYBOX" "$stage/bin/busybox"
# Every applet as a link, so /init can call them by name.
for applet in $("$BUSYBOX" --list); do
  [[ $applet == busybox ]] || ln -s busybox "$stage/bin/$applet"
done
cp "$dir"/modules/*.ko "$dir/modules/order" "$stage/modules/"
cp "$dir/release" "$stage/release"
install -m 0755 "$HERE/guest-init.sh" "$stage/init"
# The kernel opens /dev/console for /init before anything is mounted.
mknod -m 0600 "$stage/dev/console" c 5 1

# gzip -1: a third of the size, and no slower to boot than an uncompressed archive (measured).
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | gzip -1 >"$dir/initramfs.cpio.gz.tmp"
mv "$dir/initramfs.cpio.gz.tmp" "$dir/initramfs.cpio.gz"
echo "initramfs.sh: $dir/initramfs.cpio.gz ($(du -h "$dir/initramfs.cpio.gz" | cut -f1))" >&2
