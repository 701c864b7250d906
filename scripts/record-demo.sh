#!/usr/bin/env bash
# The main job of the Quick start: record a small real session in the kernel and show it.
set -euo pipefail
cd "$(dirname "$0")/.."
out="recordings/demo-$(date +%Y%m%d-%H%M%S)"
mkdir -p recordings
# --detect runs the built-in detectors live: reading /etc/shadow raises an alert.
node dist/src/cli/main.js record --detect -o "$out" -- sh -c 'uname -a; cat /etc/hostname; ls /etc | head -3; head -c0 /etc/shadow; for i in 1 2 3; do true; done'
echo
node dist/src/cli/main.js info "$out"
echo
echo "What ran, as SQL over the recording (flightrec sql $out \"...\"):"
node dist/src/cli/main.js sql "$out" "SELECT repeat('  ', depth) || pid AS process, exe, array_to_string(argv, ' ') AS command_line, exit_code FROM process_tree ORDER BY path"
echo
echo "The alerts, replayed from the recording (flightrec replay $out); the same as those stored live:"
node dist/src/cli/main.js replay "$out" --check-stored
