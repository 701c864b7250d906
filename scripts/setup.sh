#!/usr/bin/env bash
# Sets up everything flightrec needs on Debian 12, idempotently: system packages (as root),
# npm dependencies, the build. Safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# qemu-system-x86, busybox-static, cpio and xz-utils boot Debian's other kernels for the kernel matrix
# of the test suite (scripts/kernels/); the kernels themselves are fetched on first use. zsh, fish and
# groff-base run the completion scripts and render the man page in the tests (test/cli/). libzstd-dev and
# libflatbuffers-dev build the addon's table sink (native/ipc_message.cc: zstd frames, Arrow's flatbuffers).
PACKAGES=(clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libzstd-dev libflatbuffers-dev linux-libc-dev build-essential pkg-config python3 make g++
  qemu-system-x86 busybox-static cpio xz-utils zsh fish groff-base)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing system packages: ${missing[*]}; run this script as root to install them" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 20.19: the first Node 20 that loads an ES module by require() (text/width.ts does).
if ! command -v node >/dev/null || ! node -e 'const [major, minor] = process.versions.node.split(".").map(Number); process.exit(major > 20 || (major === 20 && minor >= 19) ? 0 : 1)'; then
  echo "setup: flightrec needs Node.js 20.19 or newer (found: $(node --version 2>/dev/null || echo none)); Debian 12's own nodejs is 18" >&2
  exit 1
fi

# Native dependencies build from source against the local Node headers: nothing is downloaded.
if [[ -f /usr/include/node/node_api.h ]]; then export npm_config_nodedir=/usr; fi

if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  # npm ci rejects this lock: npm 11 leaves the other platforms' optional DuckDB bindings out of it.
  npm install --no-audit --no-fund --no-save --loglevel=error
fi
npm run --silent build
