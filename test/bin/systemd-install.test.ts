// tsvsd --install-systemd --root DIR writes the unit with this machine's paths, the sysusers.d
// file and a starter config (kept when there is one); renderUnit refuses paths systemd would split.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderUnit } from '../../src/bin/systemd-install.ts';
import { ROOT, runTsvsd, tempDir } from './fixtures/procs.ts';

t.test('--install-systemd --root DIR writes the unit, the tsvs user and a starter config', async (t) => {
  const dir = tempDir(t);
  const first = await runTsvsd(['--install-systemd', '--root', dir]);
  t.equal(first.code, 0, first.stderr);
  const unitPath = join(dir, 'etc/systemd/system/tsvsd.service');
  t.equal(
    first.stdout,
    `wrote ${unitPath}\nwrote ${join(dir, 'etc/sysusers.d/tsvs.conf')}\nwrote ${join(dir, 'etc/tsvs/tsvsd.conf')}\n`,
  );
  const unit = readFileSync(unitPath, 'utf8');
  const tsvsd = join(ROOT, 'dist/src/bin/tsvsd.js');
  t.match(unit, `\nExecStart=${process.execPath} ${tsvsd} --config /etc/tsvs/tsvsd.conf --rules /var/lib/tsvs/rules\n`);
  t.match(unit, `until ${process.execPath} ${join(ROOT, 'dist/src/bin/tsvsadm.js')} -Ln >/dev/null`);
  t.notMatch(unit, /@[A-Z]+@/, 'every placeholder is filled');
  t.match(unit, '\nUser=tsvs\n');
  t.match(
    readFileSync(join(dir, 'etc/sysusers.d/tsvs.conf'), 'utf8'),
    /^u tsvs - "tsvs load balancer" \/var\/lib\/tsvs /m,
  );

  writeFileSync(join(dir, 'etc/tsvs/tsvsd.conf'), '[rules]\n');
  const again = await runTsvsd(['--install-systemd', '--root', dir]);
  t.equal(again.code, 0);
  t.match(again.stdout, `kept ${join(dir, 'etc/tsvs/tsvsd.conf')}\n`);
  t.equal(readFileSync(join(dir, 'etc/tsvs/tsvsd.conf'), 'utf8'), '[rules]\n', "the operator's config stays");
});

t.test('--print-systemd-unit prints what --install-systemd writes; other options are refused', async (t) => {
  const printed = await runTsvsd(['--print-systemd-unit']);
  t.equal(printed.code, 0);
  t.match(printed.stdout, /^# systemd unit for tsvsd/);
  const bad = await runTsvsd(['--install-systemd', '--prefix', '/x']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /^tsvsd: --install-systemd takes no options but --root DIR\n/);
});

t.test('renderUnit fills the paths and refuses one with white space', async (t) => {
  const tpl = 'ExecStart=@NODE@ @TSVSD@\nExecStartPost=@NODE@ @TSVSADM@ -Ln\n';
  t.equal(
    renderUnit(tpl, { node: '/usr/bin/node', tsvsd: '/opt/t/tsvsd.js', tsvsadm: '/opt/t/tsvsadm.js' }),
    'ExecStart=/usr/bin/node /opt/t/tsvsd.js\nExecStartPost=/usr/bin/node /opt/t/tsvsadm.js -Ln\n',
  );
  t.throws(() => renderUnit(tpl, { node: '/usr/bin/node', tsvsd: '/my dir/tsvsd.js', tsvsadm: '/x' }), {
    message: 'cannot write a unit for a path with white space: /my dir/tsvsd.js',
  });
});
