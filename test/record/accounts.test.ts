import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAccounts } from '../../src/record/accounts.js';

describe('readAccounts', () => {
  it('reads users and groups, and skips lines that are not accounts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flightrec-accounts-'));
    writeFileSync(join(dir, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n# comment\n\nbroken\nbig:x:4294967296:0::/:/bin/sh\nneg:x:-1:0::/:/bin/sh\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n');
    writeFileSync(join(dir, 'group'), 'root:x:0:\nwheel:x:10:alice\n');
    expect(readAccounts(join(dir, 'passwd'), join(dir, 'group'))).toEqual([
      { kind: 'user', id: 0, name: 'root' },
      { kind: 'user', id: 1000, name: 'alice' },
      { kind: 'group', id: 0, name: 'root' },
      { kind: 'group', id: 10, name: 'wheel' },
    ]);
  });

  it('gives nothing for files it cannot read', () => {
    expect(readAccounts('/nonexistent/passwd', '/nonexistent/group')).toEqual([]);
  });
});
