import { readFileSync } from 'node:fs';
import { arch, hostname, release } from 'node:os';
import type { ClockMapping, Manifest } from './manifest.js';

export function hostInfo(): Manifest['host'] {
  let bootId = 'unknown';
  try {
    bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch { /* not Linux: leave unknown */ }
  return { hostname: hostname(), kernel_release: release(), boot_id: bootId, arch: hostArch() };
}

/** This machine's architecture as recordings name it (the kernel's name: x86_64, arm64). */
export function hostArch(): string {
  const a = arch();
  return a === 'x64' ? 'x86_64' : a;
}

/** process.hrtime is CLOCK_MONOTONIC on Linux, the clock BPF's bpf_ktime_get_ns() reads. */
export function clockMapping(): ClockMapping {
  const wallBefore = BigInt(Date.now()) * 1_000_000n;
  const mono = process.hrtime.bigint();
  return { monotonic_ns: mono.toString(), wall_ns: wallBefore.toString() };
}

/** What turns a recording ts into wall-clock nanoseconds: wall = ts + offset. */
export function wallOffset(clock: ClockMapping): bigint {
  return BigInt(clock.wall_ns) - BigInt(clock.monotonic_ns);
}
