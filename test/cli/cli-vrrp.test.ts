// tsvsadm --vrrp-state: what keepalived's notify scripts run, against a real tsvsd control socket.
import t from 'tap';
import { cli, startDaemon } from './fixtures/harness.ts';
import { addVrrpStateOp, engineVrrpTarget } from '../../src/daemon/vrrp-state.ts';
import { formatVrrpState } from '../../src/cli/cli-vrrp.ts';
import { Logger } from '../../src/lib/logger.ts';
import { engineLab } from '../helpers/engine-lab.ts';

t.test('--vrrp-state prints and sets the role; notify_backup silences the VIP', async (t) => {
  const { daemon, socket } = await startDaemon(t);
  const { engine } = engineLab({ dests: [{ ip: '192.168.99.100', mac: '02:00:00:00:99:01', weight: 1 }] });
  addVrrpStateOp(daemon, engineVrrpTarget(engine), new Logger({ write: () => undefined }));
  const shown = await cli(socket, ['--vrrp-state']);
  t.equal(shown.code, 0);
  t.equal(
    shown.stdout.split('\n')[0],
    'VRRP state MASTER (standalone: no vrrp-state configured nor set)',
    'no vrrp-state in the config: a standalone director',
  );
  const set = await cli(socket, ['--vrrp-state', 'backup']);
  t.equal(set.code, 0);
  t.match(set.stdout, /^VRRP state BACKUP \(1 change, since \d{4}-\d\d-\d\dT[\d:.]+Z, was MASTER\)\n/);
  t.match(set.stdout, /\nowned addresses 192\.168\.88\.5: held silent\n$/);
  t.equal(engine.owned.portOf(0xc0a85805), -1, 'the engine no longer answers for the VIP');
});

t.test('--vrrp-state with an unknown state is a usage error (exit 2), checked before connecting', async (t) => {
  const r = await cli('/nonexistent/tsvsd.sock', ['--vrrp-state', 'primary']);
  t.same(r, {
    code: 2,
    stdout: '',
    stderr: 'tsvsadm: --vrrp-state takes master, backup, fault or stop, not primary\n',
  });
});

t.test('--vrrp-state against a tsvsd without a packet engine says why', async (t) => {
  const { socket } = await startDaemon(t);
  const r = await cli(socket, ['--vrrp-state', 'master']);
  t.same(r, {
    code: 1,
    stdout: '',
    stderr: 'tsvsadm: tsvsd runs no packet engine, so it owns no address to take over\n',
  });
});

t.test('the role as two lines: state and origin, then the owned addresses', async (t) => {
  t.equal(
    formatVrrpState({
      state: 'MASTER',
      managed: true,
      addresses: ['192.168.88.5', '192.168.99.6'],
      answering: true,
      sinceMs: Date.UTC(2026, 11, 6, 22, 0, 43, 230),
      transitions: 2,
      previous: 'BACKUP',
    }),
    'VRRP state MASTER (2 changes, since 2026-12-06T22:00:43.230Z, was BACKUP)\n' +
      'owned addresses 192.168.88.5 192.168.99.6: answered (ARP, ping, connections)\n',
  );
});
