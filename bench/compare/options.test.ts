// Tests of bench/compare's command line and the rules it gives tsvs (no root, no lab):
// parseOptions' defaults and checks, --variant peers, labRules' ipvsadm -S text.
// Run: npx tap bench/compare/options.test.ts

import t from 'tap';
import { parseOptions, UsageError } from './options.ts';
import { labRules } from './tsvs-peer.ts';

t.test('labRules writes the lab services in ipvsadm -S form, -m, -F or -g', async (t) => {
  t.equal(
    labRules('-m'),
    '-A -t 192.168.88.5:80 -s rr\n-a -t 192.168.88.5:80 -r 192.168.99.100:80 -m -w 1\n-a -t 192.168.88.5:80 -r 192.168.99.200:80 -m -w 1\n' +
      '-A -t 192.168.88.5:5201 -s rr\n-a -t 192.168.88.5:5201 -r 192.168.99.100:5201 -m -w 1\n',
  );
  t.match(labRules('-F'), /-r 192\.168\.99\.100:80 -F -w 1/);
  t.match(labRules('-g'), /-r 192\.168\.99\.200:80 -g -w 1/);
  t.match(labRules('-i', ['10.0.77.100', '10.0.77.200']), /-r 10\.0\.77\.200:80 -i -w 1/);
  t.match(labRules('-m', undefined, true), /-A -t 192\.168\.88\.5:80 -s rr --synproxy always\n/);
});

t.test('parseOptions has the anchors defaults and checks every option', async (t) => {
  const o = parseOptions([]);
  if (o === 'help') throw new Error('unexpected help');
  t.same(
    [o.peers, o.reps, o.durationS, o.iperfS, o.conns, o.order],
    [['nft', 'haproxy', 'nginx-stream', 'tsvs'], 3, 8, 5, 50, 'interleaved'],
  );
  const p = parseOptions(['--peers=all', '--reps', '1', '--tests', 'ka,dist']);
  if (p === 'help') throw new Error('unexpected help');
  t.same(p.peers, [
    'none',
    'nft',
    'haproxy',
    'nginx-stream',
    'tsvs',
    'tsvs-fullnat',
    'tsvs-dr',
    'tsvs-tun',
    'tsvs-synproxy',
  ]);
  t.same([...p.tests], ['ka', 'dist']);
  t.equal(parseOptions(['-h']), 'help');
  t.throws(() => parseOptions(['--duration', '11']), new UsageError('--duration must be an integer from 1 to 10'));
  t.throws(
    () => parseOptions(['--peers', 'lvs']),
    new UsageError(
      '--peers must be one of none, nft, haproxy, nginx-stream, tsvs, tsvs-fullnat, tsvs-dr, tsvs-tun, tsvs-synproxy',
    ),
  );
  t.throws(() => parseOptions(['--reps']), new UsageError('--reps needs a value'));
});

t.test('--variant adds a tsvs peer with extra [engine] lines, after the listed peers', async (t) => {
  const o = parseOptions([
    '--peers',
    'nft,tsvs',
    '--variant',
    'tsvs-nobp=busy-poll-us 0',
    '--variant=tsvs-x=busy-poll-us 50; conn-capacity 1000',
  ]);
  if (o === 'help') throw new Error('unexpected help');
  t.same(o.peers, ['nft', 'tsvs', 'tsvs-nobp', 'tsvs-x']);
  t.same(
    [...o.variants],
    [
      ['tsvs-nobp', ['busy-poll-us 0']],
      ['tsvs-x', ['busy-poll-us 50', 'conn-capacity 1000']],
    ],
  );
  t.throws(
    () => parseOptions(['--variant', 'fast=busy-poll-us 0']),
    new UsageError('--variant must be NAME=SETTINGS with NAME tsvs-[a-z0-9-], got fast=busy-poll-us 0'),
  );
  t.throws(
    () => parseOptions(['--variant', 'tsvs-fullnat=busy-poll-us 0']),
    new UsageError('--variant tsvs-fullnat: name already taken'),
  );
  t.throws(
    () => parseOptions(['--variant', 'tsvs-a=busy-poll-us 0', '--variant', 'tsvs-a=busy-poll-us 1']),
    new UsageError('--variant tsvs-a: name already taken'),
  );
  t.throws(
    () => parseOptions(['--variant', 'tsvs-a=[rules]']),
    new UsageError('--variant tsvs-a: not an [engine] line: [rules]'),
  );
});
