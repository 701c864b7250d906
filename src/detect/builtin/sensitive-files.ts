import { defineDetector } from '../api.js';
import { stringsOption } from './common.js';

// Credentials and authentication policy: shadow files, sudoers, SSH keys, cloud and cluster credentials.
const EXACT = ['/etc/shadow', '/etc/shadow-', '/etc/gshadow', '/etc/gshadow-', '/etc/sudoers', '/etc/master.passwd', '/etc/security/opasswd'];
const PREFIXES = ['/etc/sudoers.d/', '/etc/ssh/ssh_host_'];
/** Matched at the end of a path (absolute or relative): credentials under any home directory. */
const SUFFIXES = [/(^|\/)\.ssh\/(id_[^/]+(?<!\.pub)|authorized_keys2?)$/, /(^|\/)\.aws\/(credentials|config)$/, /(^|\/)\.config\/gcloud\/[^/]+/,
  /(^|\/)\.azure\/[^/]+/, /(^|\/)\.kube\/config$/, /(^|\/)\.docker\/config\.json$/, /(^|\/)\.netrc$/, /(^|\/)\.git-credentials$/,
  /(^|\/)\.gnupg\/private-keys/];
/** Programs whose job is to read these files. */
const ALLOW = ['sshd', 'sudo', 'su', 'passwd', 'login', 'unix_chkpwd', 'chpasswd', 'chage', 'useradd', 'usermod', 'userdel',
  'groupadd', 'groupmod', 'vipw', 'visudo', 'pkexec', 'polkitd', 'cron', 'systemd-logind', 'ssh-keysign', 'ssh-agent', 'ssh', 'git'];
const O_ACCMODE = 3;

export default defineDetector({
  name: 'sensitive-files',
  version: '2',
  tags: ['attack.credential_access', 'attack.t1552.001', 'attack.t1003.008'],
  description: 'Opens of credential files (shadow, sudoers, SSH keys, cloud and Kubernetes credentials) by programs other than those whose job it is. Reading is a warning, opening for writing is critical. Options: paths (more exact paths), allow (program names).',
  tables: { file: { columns: ['path', 'flags', 'comm', 'ret'], where: { op: ['open', 'creat'] } } },
  create(ctx) {
    const exact = new Set([...EXACT, ...stringsOption(ctx.options, 'paths', [])]);
    const allow = new Set(stringsOption(ctx.options, 'allow', ALLOW));
    const seen = new Set<string>();
    return {
      file(e) {
        const path = e.path;
        if (!exact.has(path) && !PREFIXES.some((p) => path.startsWith(p)) && !SUFFIXES.some((r) => r.test(path))) return;
        const comm = e.comm;
        if (allow.has(comm)) return;
        const write = e.op === 'creat' || (e.flags & O_ACCMODE) !== 0;
        const key = `${e.pid}\0${path}\0${write}`;
        if (seen.has(key)) return;
        seen.add(key);
        ctx.alert({
          severity: write ? 'critical' : 'warning',
          title: `${comm} opened ${path} for ${write ? 'writing' : 'reading'}`,
          evidence: { path, comm, flags: e.flags, ret: e.ret, dirfd: e.dirfd },
        });
      },
    };
  },
});
