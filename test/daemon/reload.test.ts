// Reloader: between reading a config (parsing its [rules], CPU only for a large one) and the
// plan-and-apply that must run without an await, the event loop turns once, so the data path
// is held by each of the two, not by both in one piece.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../cli/fixtures/harness.ts';
import { Logger } from '../../src/lib/logger.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { ConfigRules } from '../../src/daemon/config-rules.ts';
import { MemoryDataPlane } from '../../src/daemon/memory-data-plane.ts';
import { Reloader } from '../../src/daemon/reload.ts';
import type { DaemonConfig } from '../../src/daemon/config-file.ts';
import type { DesiredRules, Step } from '../../src/daemon/reconcile.ts';

t.test('a reload lets the event loop run between reading the rules and applying them', async (t) => {
  const dir = tempDir(t);
  const conf = join(dir, 'tsvsd.conf');
  writeFileSync(conf, '[rules]\n-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.1.0.1:80 -m -w 1\n');
  const table = new ServiceTable({ findScheduler });
  const dp = new MemoryDataPlane();
  const log = new Logger({ write: () => undefined });
  const events: string[] = [];
  // The real ConfigRules, noting when its steps run and scheduling a macrotask as the read ends.
  class Noting extends ConfigRules {
    override async desiredOf(cfg: DaemonConfig): Promise<DesiredRules> {
      const want = await super.desiredOf(cfg);
      events.push('read');
      setImmediate(() => events.push('event loop'));
      return want;
    }
    override plan(want: DesiredRules, path: string): Step[] {
      events.push('plan');
      return super.plan(want, path);
    }
  }
  const cr = new Noting(table, () => dp, log, findScheduler, join(dir, 'rules'));
  let config: DaemonConfig | null = null;
  const reloader = new Reloader({
    configPath: conf,
    configRules: cr,
    log,
    hooks: [],
    running: () => ({ config, rulesFile: join(dir, 'rules'), socketFile: join(dir, 's.sock') }),
    adopt: (cfg) => (config = cfg),
    persist: async () => undefined,
    serviceCount: () => table.services().length,
    onEngineConfig: undefined,
  });
  const r = await reloader.reload();
  t.same(events, ['read', 'event loop', 'plan']);
  t.same(r.changes, { servicesAdded: 1, realServersAdded: 1 });
  t.equal(table.find(table.services()[0]!)?.dests.length, 1, 'and the rules were applied');
});
