// The end of a SYN proxy auto-mode test, the same for both families: the flood goes on for a
// second (its cookies unanswered: still engaged), then stops (a quiet second: disengaged), on the
// engine's defence timer driven by a manual clock.
import type { Test } from 'tap';
import type { ManualTimers } from '../../src/lib/timers.ts';
import type { SynProxy } from '../../src/datapath/synproxy.ts';

export async function floodEndsAndDisengages(
  t: Test,
  timers: ManualTimers,
  flood: (n: number) => void,
  sp: SynProxy,
): Promise<void> {
  await timers.advance(1000);
  flood(500);
  await timers.advance(1000);
  t.equal(sp.disengagements, 0, 'still engaged while cookies go unanswered');
  await timers.advance(1000);
  await timers.advance(1000);
  t.equal(sp.disengagements, 1, 'a quiet second: disengaged');
}
