import { defineDetector } from '../api.js';
import { stringsOption } from './common.js';

/** The default policy: system directories whose files only package managers should remove or rewrite. */
const PROTECT = ['/etc/', '/boot/', '/bin/', '/sbin/', '/lib/', '/lib64/', '/usr/bin/', '/usr/sbin/', '/usr/lib/', '/usr/libexec/', '/var/log/', '/root/.ssh/'];
const ALLOW = ['dpkg', 'apt', 'apt-get', 'rpm', 'dnf', 'yum', 'ldconfig', 'update-alternatives', 'logrotate', 'systemd-tmpfiles',
  'useradd', 'usermod', 'userdel', 'groupadd', 'vipw', 'visudo', 'passwd', 'chpasswd', 'sed', 'ucf', 'debconf', 'update-initramfs', 'depmod', 'mandb'];
const O_TRUNC = 0o1000;
const O_ACCMODE = 3;

export default defineDetector({
  name: 'protected-paths',
  version: '2',
  tags: ['attack.impact', 'attack.t1485', 'attack.defense_evasion', 'attack.t1222.002'],
  description: 'Destructive operations on protected paths: unlink, rmdir, rename away or over, truncate, open with O_TRUNC for writing (critical), chmod and chown (warning). The policy is the options: protect (path prefixes; a prefix ending in / protects a directory), allow (program names that may).',
  tables: { file: { columns: ['path', 'path2', 'flags', 'mode', 'comm', 'ret'], where: { op: ['open', 'unlink', 'rmdir', 'rename', 'truncate', 'chmod', 'chown'] } } },
  create(ctx) {
    const protect = stringsOption(ctx.options, 'protect', PROTECT);
    const allow = new Set(stringsOption(ctx.options, 'allow', ALLOW));
    const isProtected = (p: string | null): boolean => p !== null && protect.some((x) => (x.endsWith('/') ? p.startsWith(x) || p === x.slice(0, -1) : p === x || p.startsWith(`${x}/`)));
    return {
      file(e) {
        if (e.ret < 0n) return;
        const op = e.op;
        if (op === 'open' && ((e.flags & O_TRUNC) === 0 || (e.flags & O_ACCMODE) === 0)) return;
        const path = e.path;
        const path2 = op === 'rename' ? e.path2 : null;
        if (!isProtected(path) && !isProtected(path2)) return;
        const comm = e.comm;
        if (allow.has(comm)) return;
        const what = op === 'open' ? 'truncated' : op === 'rename' ? 'renamed' : op === 'chmod' ? 'changed the mode of' : op === 'chown' ? 'changed the owner of'
          : op === 'truncate' ? 'truncated' : 'removed';
        ctx.alert({
          severity: op === 'chmod' || op === 'chown' ? 'warning' : 'critical',
          title: `${comm} ${what} ${path}${path2 ? ` to ${path2}` : ''}`,
          evidence: { op, path, ...(path2 ? { path2 } : {}), comm, ...(op === 'chmod' ? { mode: e.mode } : {}), ...(op === 'open' ? { flags: e.flags } : {}) },
        });
      },
    };
  },
});
