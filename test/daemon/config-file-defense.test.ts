// The tsvsd config file's SYN-flood keys: the IPVS defence sysctls (drop-entry, drop-packet,
// secure-tcp, amemthresh, am-droprate) and embryonic-quota, their values and their errors.
import t from 'tap';
import { parseConfig } from '../../src/daemon/config-file.ts';
import { TsvsError } from '../../src/lib/errors.ts';

t.test('the defence keys fill EngineConfig.defense with the sysctls as written', async (t) => {
  const c = parseConfig(
    '[engine]\ndrop-entry 1\ndrop-packet 2\nsecure-tcp 3   # always\namemthresh 4096\nam-droprate 20\nembryonic-quota 30\n',
    '/c',
  );
  t.same(c.engine.defense, { dropEntry: 1, dropPacket: 2, secureTcp: 3, amemthresh: 4096, amDroprate: 20 });
  t.equal(c.engine.embryonicPercent, 30);
});

t.test('without them the engine keeps the defaults: no defense object, no quota setting', async (t) => {
  const c = parseConfig('[engine]\nconn-capacity 1000\n', '/c');
  t.equal(c.engine.defense, undefined);
  t.equal(c.engine.embryonicPercent, undefined);
  t.same(parseConfig('[engine]\nsecure-tcp 0\n', '/c').engine.defense, { secureTcp: 0 });
  t.equal(parseConfig('[engine]\nembryonic-quota 0\n', '/c').engine.embryonicPercent, 0);
});

const errors: [string, string][] = [
  ['[engine]\ndrop-entry 4\n', '/c:2: drop-entry must be 0 (off), 1 (auto), 2 (engaged) or 3 (always)'],
  ['[engine]\n\ndrop-packet on\n', '/c:3: drop-packet must be 0 (off), 1 (auto), 2 (engaged) or 3 (always)'],
  ['[engine]\nsecure-tcp 1 2\n', '/c:2: secure-tcp must be 0 (off), 1 (auto), 2 (engaged) or 3 (always)'],
  ['[engine]\nsecure-tcp\n', '/c:2: secure-tcp must be 0 (off), 1 (auto), 2 (engaged) or 3 (always)'],
  ['[engine]\namemthresh -1\n', '/c:2: amemthresh must be an integer from 0 to 2147483647'],
  ['[engine]\nam-droprate 1.5\n', '/c:2: am-droprate must be an integer from 0 to 2147483647'],
  ['[engine]\nembryonic-quota 101\n', '/c:2: embryonic-quota must be a percentage from 0 to 100'],
  ['[engine]\nembryonic-quota 50%\n', '/c:2: embryonic-quota must be a percentage from 0 to 100'],
];
for (const [text, message] of errors) {
  t.test(`defence config errors name file and line: ${message}`, async (t) => {
    const e = t.throws(() => parseConfig(text, '/c')) as unknown;
    t.ok(e instanceof TsvsError);
    t.same([(e as TsvsError).code, (e as TsvsError).message], ['ECONFIG', message]);
  });
}
