// vrrp-fifo: tsvsd follows keepalived's notify FIFO itself. A real FIFO in a temporary directory,
// written as keepalived writes it (one line per change, O_RDWR | O_NONBLOCK, vrrp_notify.c): the
// INSTANCE lines reach the state keeper in order, other lines are counted and ignored, a writer
// that goes away (keepalived exits) does not end the reading, and a path that is no FIFO is refused.
import t from 'tap';
import { closeSync, constants, lstatSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { followVrrpFifo, parseFifoLine } from '../../src/daemon/vrrp-fifo.ts';
import type { VrrpState } from '../../src/daemon/vrrp-state.ts';
import { Logger } from '../../src/lib/logger.ts';
import { waitFor } from '../helpers/wait-for.ts';

const log = new Logger({ write: () => {} });

t.test('parseFifoLine reads the INSTANCE lines of vrrp_notify.c', async (t) => {
  t.same(parseFifoLine('INSTANCE "VI_1" MASTER 150'), { instance: 'VI_1', state: 'MASTER' });
  t.same(parseFifoLine('INSTANCE "VI 2" BACKUP 100'), { instance: 'VI 2', state: 'BACKUP' });
  t.equal(parseFifoLine('GROUP "G1" MASTER'), null);
  t.equal(parseFifoLine('INTERFACE "eth0" UP'), null);
  t.equal(parseFifoLine('INSTANCE VI_1 MASTER 150'), null, 'the name is quoted');
  t.equal(parseFifoLine(''), null);
});

t.test('INSTANCE lines reach the keeper in order; a writer that exits ends nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-fifo-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'vrrp.fifo');
  const states: VrrpState[] = [];
  const r = followVrrpFifo(path, { set: (s) => states.push(s) }, log);
  t.teardown(() => r.close());
  t.ok(lstatSync(path).isFIFO(), 'the FIFO is created when missing');
  // keepalived's open: O_RDWR | O_NONBLOCK, a BACKUP (init) then MASTER pair written back to back.
  let w = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  writeSync(w, 'INSTANCE "VI_1" BACKUP 150\nGROUP "G" MASTER\nINSTANCE "VI_1" MASTER 150\n');
  closeSync(w);
  await waitFor('two states applied', () => states.length === 2 || null, { timeoutMs: 10_000 });
  t.same(states, ['BACKUP', 'MASTER'], 'in the order written');
  // A restarted keepalived opens the same FIFO again.
  w = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  writeSync(w, 'INSTANCE "VI_1" DELETED 0\nINSTANCE "VI_1" FAULT 150\n');
  closeSync(w);
  await waitFor('the FAULT applied', () => states.length === 3 || null, { timeoutMs: 10_000 });
  t.same(states, ['BACKUP', 'MASTER', 'FAULT']);
  t.same(r.stats, { applied: 3, ignored: 2 }, 'the GROUP line and the unknown DELETED state are counted');
});

t.test('a path that is not a FIFO is refused with the reason', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-fifo-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'plain');
  writeFileSync(path, '');
  t.throws(() => followVrrpFifo(path, { set: () => {} }, log), {
    code: 'ECONFIG',
    message: `vrrp-notify-fifo ${path} exists and is not a FIFO`,
  });
});
