// [daemon] socket-group and socket-mode: parsing with file:line errors, group lookup by name.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../cli/fixtures/harness.ts';
import { parseConfig } from '../../src/daemon/config-file.ts';
import { resolveGroup } from '../../src/daemon/config-daemon.ts';

t.test('socket-group and socket-mode are read from [daemon]', async (t) => {
  t.same(parseConfig('[daemon]\nsocket-group tsvs\nsocket-mode 0660\n', '/c').socketAccess, {
    group: 'tsvs',
    mode: 0o660,
  });
  t.same(parseConfig('[daemon]\nsocket-mode 640\n', '/c').socketAccess, { mode: 0o640 });
  t.equal(parseConfig('[daemon]\nsocket /s\n', '/c').socketAccess, undefined);
});

t.test('bad values name the file and line', async (t) => {
  const cases: [string, string][] = [
    ['[daemon]\nsocket-mode 0460\n', '/c:2: socket-mode must be octal permission bits with owner rw, e.g. 0660'],
    ['[daemon]\nsocket-mode rw\n', '/c:2: socket-mode must be octal permission bits with owner rw, e.g. 0660'],
    ['[daemon]\nsocket-mode 0770\n', '/c:2: socket-mode must not have execute bits (a socket needs rw), e.g. 0660'],
    ['[daemon]\nsocket-group a:b\n', '/c:2: socket-group: not a group name: a:b'],
    ['[daemon]\nsocket-group\n', '/c:2: socket-group takes one value'],
  ];
  for (const [text, message] of cases) t.throws(() => parseConfig(text, '/c'), { code: 'ECONFIG', message });
});

t.test('a group name is looked up in the group file; a number is taken as it is', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'group');
  writeFileSync(file, 'root:x:0:\nadm:x:4:syslog\ntsvs-ops:x:1234:alice,bob\n');
  t.equal(resolveGroup('tsvs-ops', file), 1234);
  t.equal(resolveGroup('4', file), 4);
  t.throws(() => resolveGroup('nosuch', file), {
    code: 'ECONFIG',
    message: `socket-group nosuch: no such group in ${file}`,
  });
});
