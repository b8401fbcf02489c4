// tsvsd as a process: flags, refusing to start on a corrupt rules file (left untouched),
// SIGHUP reloading the config without dropping state.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTsvsd, startTsvsd, tempDir, tsvsadm } from './fixtures/procs.ts';

t.test('--help prints the flags and exits 0; an unknown flag exits 2', async (t) => {
  const help = await runTsvsd(['--help']);
  t.equal(help.code, 0);
  t.equal(
    help.stdout.split('\n').slice(0, 2).join('\n'),
    'Usage: tsvsd [--config FILE] [--rules FILE] [--socket PATH] [--health FILE] [--metrics ADDR:PORT]\n' +
      '             [--backend auto|native|pcap|none] [--log-level LEVEL] [--log-format logfmt|json]',
  );
  const bad = await runTsvsd(['--frobnicate']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /^tsvsd: unknown option --frobnicate\nUsage: tsvsd /);
});

t.test('a corrupt rules file: exit 1, a log line with file and line, the file untouched', async (t) => {
  const dir = tempDir(t);
  const rules = join(dir, 'rules');
  const text = '-A -t 192.168.88.5:80 -s rr\n-a -t 192.168.88.5:80 -r 192.168.99.100:80 -m -w lots\n';
  writeFileSync(rules, text);
  const r = await runTsvsd(['--socket', join(dir, 's.sock'), '--rules', rules]);
  t.equal(r.code, 1);
  t.match(r.stderr, `level=error msg="tsvsd cannot start" error="${rules}:2: illegal weight specified"\n`);
  t.equal(readFileSync(rules, 'utf8'), text);
});

t.test('SIGHUP re-reads the config, applies its rules and keeps the rest', async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 's.sock');
  const conf = join(dir, 'tsvsd.conf');
  writeFileSync(conf, '[rules]\n-A -t 192.168.88.5:80 -s rr\n');
  const d = await startTsvsd(t, ['--config', conf, '--socket', socket, '--rules', join(dir, 'rules')], socket);
  const s = ['--socket', socket];
  t.equal((await tsvsadm([...s, '-A', '-t', '192.168.88.5:443', '-s', 'wlc'])).code, 0);
  writeFileSync(conf, '[rules]\n-A -t 192.168.88.5:80 -s wrr\n-a -t 192.168.88.5:80 -r 192.168.99.100:80 -m -w 3\n');
  process.kill(d.proc.pid!, 'SIGHUP');
  const want =
    '-A -t 192.168.88.5:80 -s wrr\n-a -t 192.168.88.5:80 -r 192.168.99.100:80 -m -w 3\n-A -t 192.168.88.5:443 -s wlc\n';
  let got = '';
  for (let i = 0; i < 50 && got !== want; i++) {
    await new Promise((r) => setTimeout(r, 100));
    got = (await tsvsadm([...s, '-S', '-n'])).stdout;
  }
  t.equal(got, want);
  process.kill(d.proc.pid!, 'SIGINT');
  const done = await d.done;
  t.equal(done.code, 0);
  t.match(done.stderr, /level=info msg="SIGHUP: reloading the config"\n/);
  t.match(done.stderr, /level=info msg="config reloaded"/);
});
