import t from 'tap';
import path from 'node:path';
import { readHealthConfigFile } from '../../src/health/config.ts';
import { globComponent, globFiles } from '../../src/health/config-include.ts';
import { isTsvsError } from '../../src/lib/errors.ts';

const VS = (ip: string): string => `virtual_server ${ip} 80 {\n  protocol TCP\n  real_server 10.9.0.1 80 {\n  }\n}\n`;

t.test('glob components match like glob(3)', async (t) => {
  t.ok(globComponent('*.conf').test('a.conf'));
  t.notOk(globComponent('*.conf').test('a.conf.bak'));
  t.ok(globComponent('vs-[0-9]?.conf').test('vs-1a.conf'));
  t.notOk(globComponent('vs-[!0-9].conf').test('vs-1.conf'));
  t.ok(globComponent('a+b.conf').test('a+b.conf'));
});

t.test('include reads the matching files, sorted, relative to the including file', async (t) => {
  const dir = t.testdir({
    'keepalived.conf': 'global_defs {\n}\ninclude conf.d/*.conf\ninclude missing/*.conf\n',
    'conf.d': {
      'b.conf': VS('10.0.0.2'),
      'a.conf': `${VS('10.0.0.1')}include ../more/one.conf\n`,
      'skip.txt': VS('10.0.0.9'),
    },
    more: { 'one.conf': VS('10.0.0.3') },
  });
  const cfg = readHealthConfigFile(path.join(dir, 'keepalived.conf'));
  t.same(
    cfg.virtualServers.map((v) => v.key),
    ['TCP 10.0.0.1:80', 'TCP 10.0.0.3:80', 'TCP 10.0.0.2:80'],
  );
  t.same(globFiles(path.join(dir, 'conf.d', '*.conf')), [
    path.join(dir, 'conf.d', 'a.conf'),
    path.join(dir, 'conf.d', 'b.conf'),
  ]);
  t.same(cfg.warnings, [
    `${dir}/keepalived.conf:4: No config files matched 'missing/*.conf'.`,
    `${dir}/keepalived.conf:1: keyword global_defs is accepted and ignored by tsvs (not part of the LVS configuration)`,
  ]);
});

t.test('an include inside a block, and errors naming the included file', async (t) => {
  const dir = t.testdir({
    'ka.conf': 'virtual_server 10.0.0.1 80 {\n  protocol TCP\n  include rs.conf\n}\n',
    'rs.conf': 'real_server 10.9.0.1 80 {\n  weight 3\n}\n',
    'bad.conf': 'include broken.conf\n',
    'broken.conf': '\nvirtual_server 10.0.0.1 80 {\n  delay_loop soon\n}\n',
    'loop.conf': 'include loop.conf\n',
  });
  const cfg = readHealthConfigFile(path.join(dir, 'ka.conf'));
  t.same(
    cfg.virtualServers[0]?.realServers.map((r) => [r.key, r.weight]),
    [['10.9.0.1:80', 3]],
  );
  const err = (f: string): string => {
    try {
      readHealthConfigFile(path.join(dir, f));
    } catch (e) {
      if (isTsvsError(e)) return e.message;
      throw e;
    }
    return 'no error';
  };
  t.equal(
    err('bad.conf'),
    `${path.join(dir, 'broken.conf')}:3: delay_loop: invalid time 'soon' (seconds, e.g. 3 or 0.5)`,
  );
  t.match(err('loop.conf'), /loop\.conf:1: include nested deeper than 16 files/);
});

t.test('an included file that cannot be read is a config error naming the include line', async (t) => {
  // /proc/self/mem is a regular file whose read from offset 0 fails (EIO), for root too.
  const dir = t.testdir({ 'ka.conf': '\ninclude /proc/self/mem\n' });
  t.throws(() => readHealthConfigFile(path.join(dir, 'ka.conf')), {
    code: 'CONFIG_INVALID',
    message: new RegExp(`^${dir}/ka\\.conf:2: include: cannot read /proc/self/mem: `),
  });
});
