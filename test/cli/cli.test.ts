// tsvsadm in-process against a real TsvsDaemon on a temporary socket: outputs, stderr words and
// exit statuses as ipvsadm gives them, -R semantics, and save/restore round trips.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, startDaemon, tempDir } from './fixtures/harness.ts';
import { MemoryDataPlane } from '../../src/daemon/memory-data-plane.ts';
import { parseDottedQuad } from '../../src/lib/inet.ts';
import { ManualTimers } from '../../src/lib/timers.ts';
import { waitFor } from '../helpers/wait-for.ts';

const TUTORIAL = [
  ['-A', '-t', '192.168.88.5:80', '-s', 'rr'],
  ['-a', '-t', '192.168.88.5:80', '-r', '192.168.99.100:80', '-w', '1', '-m'],
  ['-a', '-t', '192.168.88.5:80', '-r', '192.168.99.200:80', '-w', '2', '-m'],
];
const TUTORIAL_LN =
  'IP Virtual Server version 1.2.1 (size=4096)\n' +
  'Prot LocalAddress:Port Scheduler Flags\n' +
  '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n' +
  'TCP  192.168.88.5:80 rr\n' +
  '  -> 192.168.99.100:80            Masq    1      0          0         \n' +
  '  -> 192.168.99.200:80            Masq    2      0          0         \n';

t.test('the tutorial commands succeed silently and -Ln prints the table', async (t) => {
  const { socket, daemon } = await startDaemon(t);
  for (const argv of TUTORIAL) t.same(await cli(socket, argv), { code: 0, stdout: '', stderr: '' }, argv.join(' '));
  t.same(await cli(socket, ['-Ln']), { code: 0, stdout: TUTORIAL_LN, stderr: '' });
  const svc = daemon.table.find({ af: 2, protocol: 6, addr: 0xc0a85805, port: 80, fwmark: 0 })!;
  t.same(
    svc.dests.map((d) => d.weight),
    [2, 1],
    'scan order: the last added first',
  );
  t.same(await cli(socket, ['-S', '-n']), {
    code: 0,
    stdout:
      '-A -t 192.168.88.5:80 -s rr\n-a -t 192.168.88.5:80 -r 192.168.99.100:80 -m -w 1\n-a -t 192.168.88.5:80 -r 192.168.99.200:80 -m -w 2\n',
    stderr: '',
  });
});

t.test('failed set commands print ipvs_strerror() words and exit 255; failed listings exit 1', async (t) => {
  const { socket } = await startDaemon(t);
  for (const argv of TUTORIAL) await cli(socket, argv);
  const cases: [string[], number, string][] = [
    [['-A', '-t', '192.168.88.5:80', '-s', 'rr'], 255, 'Service already exists\n'],
    [['-A', '-t', '192.168.88.5:81', '-s', 'nosuch'], 255, 'Scheduler or persistence engine not found\n'],
    [['-A', '-t', '192.168.88.5:81', '--pe', 'sip'], 255, 'Scheduler or persistence engine not found\n'],
    [['-E', '-t', '192.168.88.5:81'], 255, 'No such service\n'],
    [['-D', '-t', '192.168.88.5:81'], 255, 'No such service\n'],
    [['-a', '-t', '192.168.88.5:81', '-r', '10.0.0.1'], 255, 'Service not defined\n'],
    [['-a', '-t', '192.168.88.5:80', '-r', '192.168.99.100', '-m'], 255, 'Destination already exists\n'],
    [
      ['-a', '-t', '192.168.88.5:80', '-r', '224.0.0.1', '-m'],
      255,
      'Invalid operation.  Possibly wrong module version, address not unicast, ...\n',
    ],
    [['-a', '-t', '192.168.88.5:80', '-r', '10.0.0.9', '-m', '-y', '5'], 255, 'Numerical result out of range\n'],
    [['-e', '-t', '192.168.88.5:80', '-r', '10.0.0.9', '-m'], 255, 'No such destination\n'],
    [['-d', '-t', '192.168.88.5:80', '-r', '10.0.0.9'], 255, 'No such destination\n'],
    [['-Z', '-t', '192.168.88.5:81'], 255, 'No such service\n'],
    [['-L', '-n', '-t', '192.168.88.5:81'], 1, 'No such service\n'],
  ];
  for (const [argv, code, stderr] of cases)
    t.same(await cli(socket, argv), { code, stdout: '', stderr }, argv.join(' '));
  t.same(await cli(socket, ['-Ln']), { code: 0, stdout: TUTORIAL_LN, stderr: '' }, 'nothing changed');
});

t.test('usage errors exit 2 (or 255) before any daemon is needed', async (t) => {
  const nowhere = join(tempDir(t), 'none.sock');
  t.same(await cli(nowhere, ['-A', '-t', '192.168.88.5:80', '-w', '1']), {
    code: 2,
    stdout: '',
    stderr: "Illegal 'weight' option with the 'add-service' command\n",
  });
  t.same(await cli(nowhere, ['-t', '1.2.3.4:80']), {
    code: 255,
    stdout: '',
    stderr: "Try `tsvsadm -h' or 'tsvsadm --help' for more information.\n",
  });
  const help = await cli(nowhere, ['-h']);
  t.equal(help.code, 0);
  t.match(help.stdout, /^tsvsadm v/);
});

t.test('without a daemon tsvsadm says how to start one and exits 1', async (t) => {
  const nowhere = join(tempDir(t), 'none.sock');
  t.same(await cli(nowhere, ['-Ln']), {
    code: 1,
    stdout: '',
    stderr: `tsvsadm: cannot connect to tsvsd at ${nowhere} (no such file): is the daemon running? Start it with: tsvsd --config /etc/tsvs/tsvsd.conf\n`,
  });
});

t.test('--start-daemon and --stop-daemon need the packet engine, and say so without one', async (t) => {
  const { socket } = await startDaemon(t);
  const msg =
    'tsvsadm: connection synchronization (--start-daemon/--stop-daemon) needs the packet engine; this tsvsd runs without one\n';
  t.same(await cli(socket, ['--start-daemon', 'master']), { code: 1, stdout: '', stderr: msg });
  t.same(await cli(socket, ['--stop-daemon', 'backup']), { code: 1, stdout: '', stderr: msg });
  t.same(await cli(socket, ['-L', '--daemon']), { code: 0, stdout: '', stderr: '' }, 'no sync daemon to list');
});

t.test('-R applies lines in order, skips comments and "ipvsadm", reports failures and goes on', async (t) => {
  const { socket } = await startDaemon(t);
  const stdin =
    '# from ipvsadm-save\n' +
    'ipvsadm -A -t 192.168.88.5:80 -s rr\n' +
    '-A -t 192.168.88.5:80 -s rr\n' +
    '-a -t 192.168.88.5:80 -r 192.168.99.100:80 -m -w 1\n' +
    'ipvsadm -a -t 192.168.88.5:80 -r 192.168.99.200:80 -m -w 2\n';
  t.same(
    await cli(socket, ['-R'], { stdin }),
    { code: 0, stdout: '', stderr: 'Service already exists\n' },
    'the last line succeeded',
  );
  t.equal((await cli(socket, ['-Ln'])).stdout, TUTORIAL_LN);
  t.same(
    await cli(socket, ['-R'], { stdin: '-D -t 10.0.0.1:80\n' }),
    { code: 255, stdout: '', stderr: 'No such service\n' },
    'the last line failed',
  );
});

t.test('-R stops at a line that does not parse, after applying the lines before it', async (t) => {
  const { socket } = await startDaemon(t);
  const stdin = '-A -t 10.0.0.1:80 -s rr\n-A -t 10.0.0.2:80 -w 3\n-A -t 10.0.0.3:80 -s rr\n';
  t.same(await cli(socket, ['-R'], { stdin }), {
    code: 2,
    stdout: '',
    stderr: "Illegal 'weight' option with the 'add-service' command\n",
  });
  t.equal((await cli(socket, ['-S', '-n'])).stdout, '-A -t 10.0.0.1:80 -s rr\n');
});

t.test('-R runs listing lines where they stand', async (t) => {
  const { socket } = await startDaemon(t);
  const r = await cli(socket, ['-R'], { stdin: '-A -t 10.0.0.1:80 -s rr\n-S -n\n-D -t 10.0.0.1:80\n-S -n\n' });
  t.same(r, { code: 0, stdout: '-A -t 10.0.0.1:80 -s rr\n', stderr: '' });
});

const RULES =
  '-A -t 192.168.88.5:80 -s rr\n' +
  '-a -t 192.168.88.5:80 -r 192.168.99.100:80 -m -w 1\n' +
  '-a -t 192.168.88.5:80 -r 192.168.99.200:80 -m -w 2\n' +
  '-A -t 10.1.1.1:443 -s wlc\n' +
  '-a -t 10.1.1.1:443 -r 192.168.99.7:8443 --fullnat -w 1\n' +
  '-A -u 192.168.88.5:53 -s wlc -p 600 -M 255.255.255.0 -o\n' +
  '-a -u 192.168.88.5:53 -r 10.0.0.1:53 -g -w 0\n' +
  '-A -f 7 -s sh -b sh-fallback,sh-port\n' +
  '-a -f 7 -r 192.168.99.50:0 -i -w 5 --tun-type ipip\n';

t.test('-S -n output restored with -R after -C gives the same -S -n output', async (t) => {
  const { socket } = await startDaemon(t);
  t.same(await cli(socket, ['-R'], { stdin: RULES }), { code: 0, stdout: '', stderr: '' });
  const saved = (await cli(socket, ['-S', '-n'])).stdout;
  t.equal(
    saved,
    RULES,
    "ipvsadm's sort: the address difference overflows an int, so 192.168.88.5 comes before 10.1.1.1",
  );
  t.same(await cli(socket, ['-C']), { code: 0, stdout: '', stderr: '' });
  t.equal((await cli(socket, ['-S', '-n'])).stdout, '');
  await cli(socket, ['-R'], { stdin: saved });
  t.equal((await cli(socket, ['-S', '-n'])).stdout, saved);
});

t.test('-S with names restores through name lookups to the same table', async (t) => {
  const { socket } = await startDaemon(t);
  await cli(socket, ['-R'], { stdin: RULES });
  const names = new Map([
    ['192.168.88.5', 'www.example.test'],
    ['192.168.99.100', 'rs1.example.test'],
  ]);
  const reverse = async (a: string) => names.get(a) ?? null;
  const forward = async (n: string) => {
    for (const [a, name] of names) if (name === n) return parseDottedQuad(a);
    return null;
  };
  const withNames = (await cli(socket, ['-S'], { reverse })).stdout;
  t.equal(
    withNames,
    '-A -t www.example.test:http -s rr\n' +
      '-a -t www.example.test:http -r rs1.example.test:http -m -w 1\n' +
      '-a -t www.example.test:http -r 192.168.99.200:http -m -w 2\n' +
      '-A -t 10.1.1.1:https -s wlc\n' +
      '-a -t 10.1.1.1:https -r 192.168.99.7:8443 --fullnat -w 1\n' +
      '-A -u www.example.test:domain -s wlc -p 600 -M 255.255.255.0 -o\n' +
      '-a -u www.example.test:domain -r 10.0.0.1:domain -g -w 0\n' +
      '-A -f 7 -s sh -b sh-fallback,sh-port\n' +
      '-a -f 7 -r 192.168.99.50:0 -i -w 5 --tun-type ipip\n',
  );
  const numeric = (await cli(socket, ['-S', '-n'])).stdout;
  await cli(socket, ['-C']);
  t.same(await cli(socket, ['-R'], { stdin: withNames, forward }), { code: 0, stdout: '', stderr: '' });
  t.equal((await cli(socket, ['-S', '-n'])).stdout, numeric);
});

t.test('-L without -n resolves names with a bounded wait; unresolved addresses stay numeric', async (t) => {
  const { socket } = await startDaemon(t);
  for (const argv of TUTORIAL) await cli(socket, argv);
  const never = () => new Promise<string | null>(() => undefined); // a resolver that never answers
  const timers = new ManualTimers();
  let done = false;
  const listing = cli(socket, [], {
    reverse: async (a) => (a === '192.168.88.5' ? 'vip.example.test' : never()),
    timers,
  }).finally(() => (done = true));
  // The deadline timer is armed once the listing has arrived and the lookups have started.
  await waitFor('the name lookups to start', () => done || timers.pending() > 0, { intervalMs: 5 });
  await timers.advance(199);
  t.notOk(done, 'still waiting for the lookups before the 200 ms resolve timeout');
  await timers.advance(1);
  t.ok(done, 'bounded by the resolve timeout');
  const r = await listing;
  t.same(r, {
    code: 0,
    stdout:
      'IP Virtual Server version 1.2.1 (size=4096)\n' +
      'Prot LocalAddress:Port Scheduler Flags\n' +
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n' +
      'TCP  vip.example.test:http rr\n' +
      '  -> 192.168.99.100:http          Masq    1      0          0         \n' +
      '  -> 192.168.99.200:http          Masq    2      0          0         \n',
    stderr: '',
  });
});

t.test('listings show the data plane: size, connections, counters, rates, timeouts', async (t) => {
  const dp = new MemoryDataPlane(65536);
  const { socket, daemon } = await startDaemon(t, { dataPlane: dp });
  for (const argv of TUTORIAL) await cli(socket, argv);
  dp.conns = [
    {
      protocol: 6,
      caddr: 0x0a090807,
      cport: 34567,
      vaddr: 0xc0a85805,
      vport: 80,
      daddr: 0xc0a86364,
      dport: 80,
      state: 'ESTABLISHED',
      expireMs: 899_400,
    },
  ];
  t.equal(
    (await cli(socket, ['-Lnc'])).stdout,
    'IPVS connection entries\n' +
      'pro expire state       source             virtual            destination\n' +
      'TCP 14:59  ESTABLISHED 10.9.8.7:34567     192.168.88.5:80    192.168.99.100:80\n',
  );
  t.match((await cli(socket, ['-Ln'])).stdout, /^IP Virtual Server version 1\.2\.1 \(size=65536\)\n/);
  const svc = daemon.table.services()[0]!;
  Object.assign(svc, { conns: 3, inPkts: 100000000, outPkts: 5, inBytes: 6, outBytes: 7 });
  dp.setRates(svc, { cps: 1, inpps: 2, outpps: 3, inbps: 4, outbps: 5 });
  t.match(
    (await cli(socket, ['-Ln', '--stats'])).stdout,
    /\nTCP  192\.168\.88\.5:80                     3  100000K        5        6        7\n/,
  );
  t.match(
    (await cli(socket, ['-Ln', '--stats', '--exact'])).stdout,
    /\nTCP  192\.168\.88\.5:80                     3 100000000        5        6        7\n/,
  );
  t.match(
    (await cli(socket, ['-Ln', '--rate'])).stdout,
    /\nTCP  192\.168\.88\.5:80                     1        2        3        4        5\n/,
  );
  t.same(await cli(socket, ['-Z']), { code: 0, stdout: '', stderr: '' });
  t.equal(svc.inPkts, 0);
  t.match(
    (await cli(socket, ['-Ln', '--rate'])).stdout,
    /\nTCP  192\.168\.88\.5:80                     0        0        0        0        0\n/,
  );
  t.same(await cli(socket, ['--set', '0', '60', '0']), { code: 0, stdout: '', stderr: '' });
  t.same(await cli(socket, ['-L', '--timeout']), {
    code: 0,
    stdout: 'Timeout (tcp tcpfin udp): 900 60 300\n',
    stderr: '',
  });
});

t.test('every change is in the rules file before tsvsadm returns', async (t) => {
  const { socket, rules } = await startDaemon(t);
  for (const argv of TUTORIAL) await cli(socket, argv);
  await cli(socket, ['-e', '-t', '192.168.88.5:80', '-r', '192.168.99.200', '-m', '-w', '3', '-x', '100', '-y', '10']);
  await cli(socket, ['--set', '1000', '0', '0']);
  t.equal(
    readFileSync(rules, 'utf8'),
    '# tsvs rules, saved by tsvsd after every change (ipvsadm -S format plus -x/-y and --set).\n' +
      '# Real servers are listed oldest first so that restoring rebuilds the scheduling order.\n' +
      '-A -t 192.168.88.5:80 -s rr\n' +
      '-a -t 192.168.88.5:80 -r 192.168.99.100:80 -m -w 1\n' +
      '-a -t 192.168.88.5:80 -r 192.168.99.200:80 -m -w 3 -x 100 -y 10\n' +
      '--set 1000 120 300\n',
  );
});
