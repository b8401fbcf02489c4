// `npm run lab -- restart [--kill|--takeover]`: restart tsvsd under the lab's connections and
// show what the state file (or the hand-over) carried across.
import { type LabDaemon, say } from './lab-daemon.ts';

interface StateStats {
  connections?: number;
  arpRequests?: number;
  stateFile?: {
    path: string | null;
    fresh: string;
    restored: Record<string, number> | null;
    neighboursHandedOver?: number;
    neighboursRestored?: number;
  };
}

/**
 * `restart [--kill|--takeover]`: the connection table before, the restart, what the new tsvsd
 * carried over.
 */
export async function restartDemo(d: LabDaemon, how: 'SIGTERM' | 'SIGKILL' | 'takeover'): Promise<void> {
  const before = (await d.request('engine.stats')) as StateStats;
  say(`tsvsd pid ${d.pid()!}: ${before.connections ?? 0} entries in the connection table (connections + templates)`);
  say(
    how === 'takeover'
      ? `$ tsvsd --takeover, with the arguments of ${d.pid()!}: it asks ${d.pid()!} to hand over once it is ready`
      : `$ kill -${how === 'SIGKILL' ? '9' : 'TERM'} ${d.pid()!}; then tsvsd again with the same arguments`,
  );
  const { pid, ms } = how === 'takeover' ? await d.takeover() : await d.restart(how);
  const after = (await d.request('engine.stats')) as StateStats;
  const sf = after.stateFile;
  say(
    how === 'takeover'
      ? `tsvsd pid ${pid} took over ${(ms / 1000).toFixed(2)} s after its start; ${sf?.neighboursHandedOver ?? 0} neighbours handed over, ${after.arpRequests ?? 0} ARP requests sent since.`
      : `tsvsd pid ${pid} answers ${(ms / 1000).toFixed(2)} s after the ${how}; ${sf?.neighboursRestored ?? 0} neighbours restored (STALE) from the snapshot.`,
  );
  if (sf === undefined || sf.path === null) {
    say('It runs without a state file (see its log): no connection was carried over.');
    return;
  }
  const r = sf.restored;
  if (r === null) {
    say(`State file ${sf.path}: ${sf.fresh}; it started with an empty table.`);
    return;
  }
  say(
    `Carried over ${r['kept']} entries from ${sf.path}: ${r['connections']} connections, ${r['templates']} templates.`,
  );
  const dropped = ['torn', 'expired', 'noService', 'noDest', 'noLocalPort'].filter((k) => (r[k] ?? 0) > 0);
  say(dropped.length === 0 ? 'Dropped: none.' : `Dropped: ${dropped.map((k) => `${k}=${r[k]}`).join(' ')}.`);
}
