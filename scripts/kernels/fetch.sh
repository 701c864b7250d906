#!/usr/bin/env bash
# Fetches the newest Debian kernel image of each series named (5.10, 6.1, 6.12; default: all
# three) into a cache outside the repository, keeping only what a qemu guest needs, and builds
# each kernel's initramfs (initramfs.sh). The kernel tests boot these under qemu (run.sh).
#
#   scripts/kernels/fetch.sh [--force] [5.10|6.1|6.12 ...]
#
# Cache: ${FLIGHTREC_KERNEL_CACHE:-/var/cache/flightrec/kernels}/<series>/ holds
#   vmlinuz, modules/*.ko (uncompressed), modules/order (insmod order), release (uname -r),
#   package (package name and version), initramfs.cpio.gz; and scratch-ext4.img for all.
# Idempotent: the archive is asked for newer images at most once a day (--force asks now); a
# newer image replaces the cached one. When the archive cannot be reached, the cached kernel
# is used with a one-line warning, so a run with the cache present and no network works.
# Needs root (apt), dpkg-deb, xz (xz-utils), mkfs.ext4 (e2fsprogs), busybox-static, cpio.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${FLIGHTREC_KERNEL_CACHE:-/var/cache/flightrec/kernels}
ALL_SERIES=(5.10 6.1 6.12)
MIRROR=http://deb.debian.org/debian
SECURITY=http://deb.debian.org/debian-security
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# Modules the guest loads; their dependencies are added from each module's .modinfo. Whatever
# a kernel has built in (6.12 builds virtio in) is simply not found and skipped.
#   virtio_pci, 9pnet_virtio, 9p: the host's root and the result/control shares over 9p;
#   overlay: a tmpfs layer over the read-only root; virtio_blk, ext4, crc32c_generic (ext4's
#   soft dependency): a scratch disk (/run/flightrec-scratch), so block I/O makes real block
#   requests;
#   virtio_console: the ports that carry the command's stdout and stderr to the host.
ROOT_MODULES=(virtio_pci 9pnet_virtio 9p overlay virtio_blk ext4 crc32c_generic virtio_console)

force=0
series=()
for a in "$@"; do
  case $a in
    --force) force=1 ;;
    5.10 | 6.1 | 6.12) series+=("$a") ;;
    *) echo "fetch.sh: unknown argument '$a' (series are ${ALL_SERIES[*]}; option: --force)" >&2; exit 2 ;;
  esac
done
((${#series[@]} > 0)) || series=("${ALL_SERIES[@]}")

mkdir -p "$CACHE"
# One fetch at a time per cache: apt's lists and the unpack directories are shared.
exec 9>"$CACHE/.lock"
flock 9

# A private apt configuration: these suites never enter the system's sources.
APT_DIR=$CACHE/apt
mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
cat >"$APT_DIR/sources.list" <<EOF
deb [signed-by=$KEYRING] $MIRROR bullseye main
deb [signed-by=$KEYRING] $MIRROR bullseye-updates main
deb [signed-by=$KEYRING] $SECURITY bullseye-security main
deb [signed-by=$KEYRING] $MIRROR bookworm main
deb [signed-by=$KEYRING] $MIRROR bookworm-updates main
deb [signed-by=$KEYRING] $SECURITY bookworm-security main
deb [signed-by=$KEYRING] $MIRROR bookworm-backports main
deb [signed-by=$KEYRING] $MIRROR trixie main
deb [signed-by=$KEYRING] $MIRROR trixie-updates main
deb [signed-by=$KEYRING] $SECURITY trixie-security main
EOF
APT_OPTS=(
  -o "Dir::Etc::sourcelist=$APT_DIR/sources.list" -o Dir::Etc::sourceparts=-
  -o "Dir::State::Lists=$APT_DIR/lists" -o "Dir::Cache=$APT_DIR/cache"
  -o APT::Sandbox::User=root          # downloads land in our own directories, not _apt's
  -o Acquire::Retries=1 -o Acquire::http::Timeout=20
  -o Acquire::Languages=none -o APT::Architecture=amd64 -o APT::Architectures=amd64
)

log() { echo "fetch.sh: $*" >&2; }

# Whether a series' cache is complete (a partial unpack is never renamed into place, but a
# hand-edited cache could be anything).
cached() { [[ -s $CACHE/$1/vmlinuz && -s $CACHE/$1/release && -s $CACHE/$1/package && -s $CACHE/$1/modules/order ]]; }

# Whether the cached modules are the ones ROOT_MODULES asks for (the package's module tree is
# not kept, so a changed list means unpacking the package again).
current() { cached "$1" && [[ $(cat "$CACHE/$1/modules/roots" 2>/dev/null) == "${ROOT_MODULES[*]}" ]]; }

# Whether the archive was asked about this series in the last day.
checked_today() { [[ -n $(find "$CACHE/$1/.checked" -mmin -1440 2>/dev/null) ]]; }

# apt-get update at most once per invocation, and not at all when the lists are less than a
# day old (run.sh calls this once per series: the first series of the day updates for all).
updated=
apt_update() {
  [[ -z $updated ]] || return "$updated"
  updated=0
  if ((force == 0)) && [[ -n $(find "$APT_DIR/.updated" -mmin -1440 2>/dev/null) ]]; then return 0; fi
  timeout 300 apt-get "${APT_OPTS[@]}" -q update >"$APT_DIR/update.log" 2>&1 || updated=1
  # apt-get update exits 0 even when every fetch failed; the "W: Failed to fetch" / "Err:"
  # lines are what tell.
  if grep -q -E '^(Err:|W: Failed to fetch|E: )' "$APT_DIR/update.log"; then updated=1; fi
  ((updated == 1)) || touch "$APT_DIR/.updated"
  return "$updated"
}

# The image packages of a series: signed generic amd64 images only (no -rt, -cloud, -dbg,
# -unsigned; the signed package holds the same kernel and modules).
#   5.10: linux-image-5.10.0-N-amd64, 6.1: linux-image-6.1.0-N-amd64,
#   6.12: linux-image-6.12.N+debM[.K]-amd64 (bookworm-backports builds +deb12, trixie +deb13).
name_pattern() {
  case $1 in
    5.10) echo '^linux-image-5\.10\.0-[0-9]+-amd64$' ;;
    6.1) echo '^linux-image-6\.1\.0-[0-9]+-amd64$' ;;
    6.12) echo '^linux-image-6\.12\.[0-9]+\+deb[0-9.]+-amd64$' ;;
  esac
}

# Prints "package version" of the newest image of a series the archive offers.
newest() {
  local pattern best_p='' best_v='' p v
  pattern=$(name_pattern "$1")
  while read -r p v; do
    if [[ -z $best_v ]] || dpkg --compare-versions "$v" gt "$best_v"; then best_p=$p best_v=$v; fi
  done < <(apt-cache "${APT_OPTS[@]}" dumpavail |
    awk -v pat="$pattern" '/^Package: /{p=$2} /^Version: /{v=$2} /^$/{if (p ~ pat) print p, v; p=""}')
  [[ -n $best_p ]] && echo "$best_p $best_v"
}

# The module file for a module name in a module tree; names use _ and - interchangeably.
module_file() {
  local glob=${2//[-_]/[-_]}
  find "$1" \( -name "$glob.ko" -o -name "$glob.ko.xz" -o -name "$glob.ko.zst" -o -name "$glob.ko.gz" \) -print -quit
}

# A module's uncompressed contents on stdout.
module_cat() {
  case $1 in
    *.xz) xz -dc "$1" ;;
    *.zst) zstd -qdc "$1" ;;
    *.gz) gzip -dc "$1" ;;
    *) cat "$1" ;;
  esac
}

# Copies the modules the guest needs (ROOT_MODULES and their dependencies) from an unpacked
# package's module tree into DEST, uncompressed (busybox insmod cannot read .ko.xz), and writes
# DEST/order, dependencies first. A module that is neither there nor built in is an error.
# (Callers test its status, which turns set -e off inside: every step checks for itself.)
collect_modules() {
  local tree=$1 dest=$2 seen=' ' order=() m
  visit() {
    local name=${1//-/_} f deps d
    [[ $seen == *" $name "* ]] && return 0
    seen+="$name "
    f=$(module_file "$tree" "$name")
    if [[ -z $f ]]; then
      grep -q -E "/${name//_/[-_]}\.ko$" "$tree/modules.builtin" && return 0
      log "module $name is neither in $(basename "$tree") nor built in"
      return 1
    fi
    module_cat "$f" >"$dest/$name.ko" || return 1
    deps=$(tr '\0' '\n' <"$dest/$name.ko" | sed -n 's/^depends=//p' | head -1)
    for d in ${deps//,/ }; do visit "$d" || return 1; done
    order+=("$name")
  }
  for m in "${ROOT_MODULES[@]}"; do visit "$m" || return 1; done
  printf '%s\n' "${order[@]}" >"$dest/order"
  echo "${ROOT_MODULES[*]}" >"$dest/roots"
}

# Downloads and unpacks one image package into the series' cache, replacing what was there.
# A subshell, so that its temporary directory goes whatever happens.
install_image() (
  s=$1 pkg=$2 ver=$3
  work=$(mktemp -d "$CACHE/.work-$s.XXXXXX") || exit 1
  trap 'rm -rf "$work"' EXIT
  log "$s: downloading $pkg $ver"
  (cd "$work" && apt-get "${APT_OPTS[@]}" -q download "$pkg=$ver" >"$work/download.log" 2>&1) ||
    { cat "$work/download.log" >&2; exit 1; }
  dpkg-deb -x "$work"/*.deb "$work/x" || exit 1
  # bullseye/bookworm install modules under /lib/modules, trixie under /usr/lib/modules.
  tree=$(find "$work/x/lib/modules" "$work/x/usr/lib/modules" -mindepth 1 -maxdepth 1 -type d -print -quit 2>/dev/null)
  [[ -n $tree ]] || { log "$pkg has no module tree"; exit 1; }
  release=$(basename "$tree")
  mkdir -p "$work/new/modules" &&
    cp "$work/x/boot/vmlinuz-$release" "$work/new/vmlinuz" &&
    echo "$release" >"$work/new/release" &&
    echo "$pkg $ver" >"$work/new/package" &&
    collect_modules "$tree" "$work/new/modules" || exit 1
  # Swap in whole: a reader never sees half a kernel.
  rm -rf "$CACHE/$s.old"
  if [[ -d $CACHE/$s ]]; then mv "$CACHE/$s" "$CACHE/$s.old" || exit 1; fi
  mv "$work/new" "$CACHE/$s" || exit 1
  rm -rf "$CACHE/$s.old"
  log "$s: $release ($pkg $ver) in $CACHE/$s"
)

status=0
for s in "${series[@]}"; do
  if ((force == 0)) && current "$s" && checked_today "$s"; then
    :
  elif apt_update; then
    if ! latest=$(newest "$s"); then
      log "$s: the archive offers no image matching $(name_pattern "$s")"
      cached "$s" || status=1
    else
      read -r pkg ver <<<"$latest"
      if ! current "$s" || [[ $(cat "$CACHE/$s/package") != "$pkg $ver" ]]; then
        install_image "$s" "$pkg" "$ver" || { log "$s: could not install $pkg $ver"; status=1; }
      fi
      touch "$CACHE/$s/.checked" 2>/dev/null || true
    fi
  elif cached "$s"; then
    log "$s: cannot reach the Debian archive (see $APT_DIR/update.log); using the cached $(cat "$CACHE/$s/package")"
    current "$s" || log "$s: the cached modules are not the ones this script lists (${ROOT_MODULES[*]}); the guest may lack some"
    touch "$CACHE/$s/.checked"
  else
    log "$s: cannot reach the Debian archive (see $APT_DIR/update.log) and nothing is cached"
    status=1
    continue
  fi
  cached "$s" || continue
  # The initramfs is rebuilt when missing or older than what it is made of.
  img=$CACHE/$s/initramfs.cpio.gz
  if [[ ! -s $img || $HERE/initramfs.sh -nt $img || $HERE/guest-init.sh -nt $img || $CACHE/$s/modules/order -nt $img ]]; then
    "$HERE/initramfs.sh" "$CACHE/$s" || status=1
  fi
done
# The guests' scratch disk (/run/flightrec-scratch there), shared by all series: run.sh attaches it with
# snapshot=on, so it stays pristine. Made without lazy init, so no kernel thread writes to it
# behind the tests' backs.
scratch=$CACHE/scratch-ext4.img
if [[ ! -s $scratch ]]; then
  if ! { truncate -s 1G "$scratch.tmp" &&
    mkfs.ext4 -q -F -L flightrec-tmp -E lazy_itable_init=0,lazy_journal_init=0 "$scratch.tmp" &&
    mv "$scratch.tmp" "$scratch"; }; then
    log "cannot make the scratch disk $scratch"
    status=1
  fi
fi
# The downloaded .deb files are not kept; apt's lists are (small, and they make the daily
# check a conditional request).
rm -f "$APT_DIR"/cache/*.bin
exit "$status"
