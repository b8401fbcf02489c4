// TsvsDaemon: restore on start (a bad rules file stops the start and is left untouched), config
// rules re-asserted on start and SIGHUP reload (all or nothing), persistence, the engine hook.
import t from 'tap';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, startDaemon, tempDir } from '../cli/fixtures/harness.ts';
import { TsvsDaemon } from '../../src/daemon/daemon.ts';
import { Logger } from '../../src/lib/logger.ts';
import { MemoryDataPlane } from '../../src/daemon/memory-data-plane.ts';
import type { EngineConfig } from '../../src/datapath/engine-config.ts';

const HEADER =
  '# tsvs rules, saved by tsvsd after every change (ipvsadm -S format plus -x/-y and --set).\n' +
  '# Real servers are listed oldest first so that restoring rebuilds the scheduling order.\n';

function writeRules(dir: string, text: string): string {
  mkdirSync(join(dir, 'lib'), { recursive: true });
  const p = join(dir, 'lib', 'rules');
  writeFileSync(p, text);
  return p;
}

t.test('a first start writes an empty rules file with the default timeouts', async (t) => {
  const { rules, logs } = await startDaemon(t);
  t.equal(readFileSync(rules, 'utf8'), HEADER + '--set 900 120 300\n');
  t.match(logs.join(''), /level=info msg="tsvsd listening"/);
});

t.test('a restart restores services, real servers in scan order, thresholds and timeouts', async (t) => {
  const dir = tempDir(t);
  writeRules(
    dir,
    HEADER +
      '-A -t 192.168.88.5:80 -s wrr\n' +
      '-a -t 192.168.88.5:80 -r 192.168.99.1:80 -m -w 4\n' +
      '-a -t 192.168.88.5:80 -r 192.168.99.2:80 -m -w 3 -x 50 -y 10\n' +
      '-a -t 192.168.88.5:80 -r 192.168.99.3:80 -m -w 2\n' +
      '--set 1000 60 200\n',
  );
  const { daemon, socket } = await startDaemon(t, {}, dir);
  const svc = daemon.table.services()[0]!;
  t.same(
    svc.dests.map((d) => d.weight),
    [2, 3, 4],
    'the oldest was added first, so it is scanned last',
  );
  t.same([svc.dests[1]!.uThreshold, svc.dests[1]!.lThreshold], [50, 10]);
  t.equal((await cli(socket, ['-L', '--timeout'])).stdout, 'Timeout (tcp tcpfin udp): 1000 60 200\n');
});

t.test('a corrupt rules file stops the start with file:line and is not touched', async (t) => {
  const dir = tempDir(t);
  const text = '-A -t 192.168.88.5:80 -s rr\n-a -t 192.168.88.5:80 -r 192.168.99.1:80 -w 70000\n';
  const path = writeRules(dir, text);
  const d = new TsvsDaemon({
    logger: new Logger({ write: () => undefined }),
    socketPath: join(dir, 's.sock'),
    rulesPath: path,
  });
  await t.rejects(d.start(), { code: 'ERULES_CORRUPT', message: `${path}:2: illegal weight specified` });
  t.equal(readFileSync(path, 'utf8'), text);
  t.notOk(existsSync(join(dir, 's.sock')), 'nothing is served');
});

t.test('a rules file that the table refuses is also reported by line', async (t) => {
  const dir = tempDir(t);
  const path = writeRules(dir, '-A -t 192.168.88.5:80 -s rr\n\n-A -t 192.168.88.5:80 -s rr\n');
  const d = new TsvsDaemon({
    logger: new Logger({ write: () => undefined }),
    socketPath: join(dir, 's.sock'),
    rulesPath: path,
  });
  await t.rejects(d.start(), { code: 'ERULES_CORRUPT', message: `${path}:3: Service already exists` });
  const e = writeRules(dir, '-L -n\n');
  await t.rejects(d.start(), {
    message: `${e}:1: only -A, -E, -D, -C, -a, -e, -d and --set lines may appear in rules`,
  });
});

t.test('config rules are re-asserted over saved ones; runtime additions survive', async (t) => {
  const dir = tempDir(t);
  const conf = join(dir, 'tsvsd.conf');
  writeFileSync(conf, '[rules]\n-A -t 192.168.88.5:80 -s rr\n-a -t 192.168.88.5:80 -r 192.168.99.1:80 -m -w 1\n');
  const engines: EngineConfig[] = [];
  const first = await startDaemon(t, { configPath: conf, onEngineConfig: (c) => engines.push(c) }, dir);
  await cli(first.socket, ['-A', '-t', '192.168.88.5:443', '-s', 'wlc']);
  await first.daemon.stop();
  writeFileSync(conf, '[rules]\n-A -t 192.168.88.5:80 -s wrr\n-a -t 192.168.88.5:80 -r 192.168.99.1:80 -m -w 5\n');
  const second = await startDaemon(t, { configPath: conf }, dir);
  t.equal(
    (await cli(second.socket, ['-S', '-n'])).stdout,
    '-A -t 192.168.88.5:80 -s wrr\n-a -t 192.168.88.5:80 -r 192.168.99.1:80 -m -w 5\n-A -t 192.168.88.5:443 -s wlc\n',
  );
  t.equal(engines.length, 1);
  t.same(engines[0], { ports: [], fullNatAddrs: [], connCapacity: 65536 });
});

t.test('reload applies a valid config and refuses an invalid one whole, keeping state', async (t) => {
  const dir = tempDir(t);
  const conf = join(dir, 'tsvsd.conf');
  writeFileSync(conf, '[rules]\n-A -t 192.168.88.5:80 -s rr\n');
  const { daemon, socket, logs, rules } = await startDaemon(t, { configPath: conf }, dir);
  const svc = daemon.table.services()[0]!;
  svc.conns = 42; // live state that a reload must not drop

  writeFileSync(conf, '[rules]\n-A -t 192.168.88.5:80 -s rr\n-a -t 192.168.88.5:80 -r 192.168.99.1:80 -m\n');
  t.equal(await daemon.reload(), true);
  t.equal(daemon.table.services()[0], svc, 'the same service object');
  t.equal(svc.conns, 42);
  t.equal(svc.dests.length, 1);

  const before = readFileSync(rules, 'utf8');
  writeFileSync(
    conf,
    '[rules]\n-A -t 192.168.88.5:80 -s rr\n-a -t 192.168.88.5:80 -r 192.168.99.1:80 -m\n' +
      '-a -t 192.168.88.5:80 -r 192.168.99.2:80 -m\n-A -t 192.168.88.5:81 -s nosuch\n',
  );
  t.equal(await daemon.reload(), false);
  t.equal(svc.dests.length, 1, 'the valid real server line was not applied either');
  t.equal(readFileSync(rules, 'utf8'), before);
  t.match(
    logs.join(''),
    new RegExp(
      `level=error msg="reload failed; keeping the running configuration" error="${conf}:5: Scheduler or persistence engine not found"`,
    ),
  );

  writeFileSync(conf, '[engine]\ninterface eth0 owned 300.1.1.1\n');
  t.equal(await daemon.reload(), false);
  t.match(logs.join(''), new RegExp(`error="${conf}:2: owned: not an IPv4 address: 300.1.1.1"`));
  t.equal(
    (await cli(socket, ['-S', '-n'])).stdout,
    '-A -t 192.168.88.5:80 -s rr\n-a -t 192.168.88.5:80 -r 192.168.99.1:80 -m -w 1\n',
  );
});

t.test('attachDataPlane hands over the timeouts and receives table changes from then on', async (t) => {
  const { daemon, socket } = await startDaemon(t);
  await cli(socket, ['--set', '500', '0', '0']);
  const engine = new MemoryDataPlane(1 << 20);
  daemon.attachDataPlane(engine);
  t.same(engine.timeouts(), { tcpSec: 500, tcpFinSec: 120, udpSec: 300 });
  await cli(socket, ['-A', '-t', '192.168.88.5:80', '-s', 'rr']);
  t.same(
    engine.changes.map((c) => c.kind),
    ['add-service'],
  );
  t.match((await cli(socket, ['-Ln'])).stdout, /\(size=1048576\)/);
});

t.test('stop removes the socket file', async (t) => {
  const { daemon, socket } = await startDaemon(t);
  t.ok(existsSync(socket));
  await daemon.stop();
  t.notOk(existsSync(socket));
});

t.test('[daemon] log-level applies at start and at reload; --log-level wins over it', async (t) => {
  const dir = tempDir(t);
  const conf = join(dir, 'tsvsd.conf');
  writeFileSync(conf, '[daemon]\nlog-level warn\n');
  const { daemon, socket, logs } = await startDaemon(t, { configPath: conf }, dir);
  t.match(logs.join(''), /level=info msg="log level set" from=info to=warn\n/);
  t.notMatch(logs.join(''), /msg="tsvsd listening"/, 'info lines are not written at warn');
  writeFileSync(conf, '[daemon]\nlog-level debug\n');
  logs.length = 0;
  await daemon.reload();
  t.match(logs.join(''), /level=info msg="log level set" from=warn to=debug\n/);
  t.equal((await cli(socket, ['-Ln'])).code, 0);
  t.match(logs.join(''), /level=debug msg="control request" op=list\n/, 'debug lines are written at debug');

  // tsvsd makes its logger at the --log-level it was given (info here) and tells the daemon so.
  const flagged = await startDaemon(t, { configPath: conf, logLevel: 'info' }, tempDir(t));
  await flagged.daemon.reload();
  t.equal((await cli(flagged.socket, ['-Ln'])).code, 0);
  t.notMatch(flagged.logs.join(''), /log level set|level=debug/, 'the flag wins, at start and at reload');
});
