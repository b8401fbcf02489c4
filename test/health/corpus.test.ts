// The keepalived corpus: real keepalived.conf files (keepalived's own samples, test/health/corpus/,
// each with its source in a header) loaded as `tsvsd --health FILE` loads them, and the IPVS table
// tsvs builds at start-up compared with `ipvsadm -Sn` as keepalived would leave it. The expected
// tables (<file>.ipvs) are written by hand from keepalived's semantics: every virtual server (each
// member of a virtual_server_group) is created; every real server starts up and in the table
// unless `alpha` says it starts down (check_api.c); a sorry server only joins once quorum is lost
// (ipwrapper.c update_quorum_state). A file tsvs refuses expects its clear refusal
// (<file>.error). No check runs: the monitor's timers are manual and never fire, so no probe
// leaves this host.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HealthWiring } from '../../src/daemon/health-wiring.ts';
import { MemoryDataPlane } from '../../src/daemon/memory-data-plane.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { Logger } from '../../src/lib/logger.ts';
import { ManualTimers } from '../../src/lib/timers.ts';
import { serviceToInfo } from '../../src/wire/wire-convert.ts';
import { formatSave } from '../../src/cli/format.ts';
import { FMT_NUMERIC, FMT_RULE } from '../../src/ipvsadm/argv-options.ts';
import { isTsvsError } from '../../src/lib/errors.ts';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'corpus');
const files = readdirSync(DIR)
  .filter((f) => !f.endsWith('.ipvs') && !f.endsWith('.error'))
  .sort();

t.test('the corpus has a verdict for every file', async (t) => {
  t.ok(files.length >= 17, `${files.length} configuration files`);
  for (const f of files) {
    const verdicts = readdirSync(DIR).filter((x) => x === `${f}.ipvs` || x === `${f}.error`);
    t.equal(verdicts.length, 1, `${f} has exactly one of .ipvs and .error`);
  }
});

for (const f of files) {
  t.test(`${f} gives keepalived's table`, async (t) => {
    const file = path.join(DIR, f);
    const table = new ServiceTable({ findScheduler });
    const logs: string[] = [];
    let h: HealthWiring;
    try {
      h = new HealthWiring(table, new Logger({ write: (l) => logs.push(l) }), file, { timers: new ManualTimers() });
    } catch (e) {
      if (!isTsvsError(e)) throw e;
      const want = readFileSync(`${file}.error`, 'utf8').trim();
      t.equal(e.message, path.join(DIR, want), 'refused with a clear message naming the line');
      return;
    }
    t.teardown(() => h.stop());
    h.start();
    const dp = new MemoryDataPlane();
    const got = formatSave(
      table.services().map((s) => serviceToInfo(s, dp)),
      FMT_RULE | FMT_NUMERIC,
    );
    t.equal(got, readFileSync(`${file}.ipvs`, 'utf8'));
    t.notMatch(logs.join(''), /level=error/);
  });
}
