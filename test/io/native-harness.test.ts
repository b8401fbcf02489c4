// The native addon without a network: stats columns defined once (native/stats-columns.h).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NATIVE_STAT_COLUMNS, statColumnsMismatch, tryLoadNative } from '../../src/io/native-binding.ts';

const genStats = fileURLToPath(new URL('../../native/gen-stats.mjs', import.meta.url));

t.test('src/io/native-stats.ts is what native/gen-stats.mjs writes from native/stats-columns.h', async (t) => {
  const r = spawnSync(process.execPath, [genStats, '--check'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr.trim() || 'up to date');
  t.match(r.stdout, /is up to date/);
});

t.test('an addon is refused when its stats columns differ from the TypeScript ones', async (t) => {
  t.equal(statColumnsMismatch([...NATIVE_STAT_COLUMNS]), null);
  t.match(statColumnsMismatch(undefined), /does not report its stats columns/);
  t.match(statColumnsMismatch([...NATIVE_STAT_COLUMNS].reverse()), /its stats columns are lastTxErrno,/);
  t.match(statColumnsMismatch(NATIVE_STAT_COLUMNS.slice(1)), /src\/io\/native-stats.ts has rxFrames,/);
});

const nat = tryLoadNative();

t.test(
  'the built addon reports the columns of native-stats.ts',
  { skip: nat === null && 'addon not built' },
  async (t) => {
    t.same(nat?.statColumns, NATIVE_STAT_COLUMNS);
  },
);
