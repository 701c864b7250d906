import { mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { containerOf, podUidOf, resolveCgroups } from '../../src/record/cgroups.js';

const ID = 'f3c1a4b2'.repeat(8);
const POD = '0d6f4c2a-5b1e-4c3d-9e8f-123456789abc';

describe('containers and pods from cgroup paths', () => {
  it.each([
    [`/system.slice/docker-${ID}.scope`, 'docker'],
    [`/docker/${ID}`, 'docker'],
    [`/system.slice/cri-containerd-${ID}.scope`, 'containerd'],
    [`/machine.slice/crio-${ID}.scope/container`, 'cri-o'],
    [`/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope`, 'podman'],
    [`/libpod_parent/libpod-${ID}`, 'podman'],
    [`/kubepods/burstable/pod${POD}/${ID}`, 'kubernetes'],
  ])('%s is a %s container', (path, runtime) => {
    expect(containerOf(path)).toEqual({ id: ID, runtime });
  });

  it('names a systemd-nspawn machine, unescaped', () => {
    expect(containerOf('/machine.slice/machine-deb\\x2dtest.scope/payload')).toEqual({ id: 'deb-test', runtime: 'systemd-nspawn' });
  });

  it('finds no container where the path does not say so', () => {
    for (const path of ['/', '/user.slice/user-0.slice/session-3.scope', `/system.slice/docker-${ID.slice(1)}.scope`, `/docker-${ID}.scopex`, '/docker/abc']) {
      expect(containerOf(path), path).toBeUndefined();
    }
  });

  it('reads a pod uid from systemd and cgroupfs paths', () => {
    expect(podUidOf(`/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD.replace(/-/g, '_')}.slice/cri-containerd-${ID}.scope`)).toBe(POD);
    expect(podUidOf(`/kubepods/burstable/pod${POD}/${ID}`)).toBe(POD);
    expect(podUidOf(`/system.slice/docker-${ID}.scope`)).toBeUndefined();
    expect(podUidOf(`/pod${POD}`)).toBeUndefined();
  });
});

describe('resolveCgroups', () => {
  it('finds each id as the inode of a directory below the root, with its container', () => {
    const root = mkdtempSync(join(tmpdir(), 'flightrec-cgroups-'));
    const docker = join(root, 'system.slice', `docker-${ID}.scope`);
    mkdirSync(docker, { recursive: true });
    mkdirSync(join(root, 'user.slice', 'session-1.scope'), { recursive: true });
    const ino = (p: string): bigint => statSync(p, { bigint: true }).ino;
    const found = resolveCgroups([ino(docker), ino(root), ino(join(root, 'user.slice', 'session-1.scope')), 1n], root);
    expect(found.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { id: ino(root), path: '/' },
      { id: ino(docker), path: `/system.slice/docker-${ID}.scope`, container: { id: ID, runtime: 'docker' } },
      { id: ino(join(root, 'user.slice', 'session-1.scope')), path: '/user.slice/session-1.scope' },
    ]);
  });
});
