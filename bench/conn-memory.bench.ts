// Bytes per connection-table entry: the sum of the typed-array columns and index rows computed
// from the code (src/conn/conn-table.ts, conn-index.ts, timer-wheel.ts, embryonic-list.ts), checked
// against process.memoryUsage() around a ConnManager of each capacity, with and without the
// embryonic quota. Everything is preallocated, so the figure is the table's whole cost.
// Run: node --expose-gc --import tsx bench/conn-memory.bench.ts [capacity ...]

import { ConnManager } from '../src/conn/conn-manager.ts';

/**
 * Per entry, at a power-of-two capacity (each index has one bucket head per entry):
 *   columns  protocol 1, caddr 4, cport 2, vaddr 4, vport 2, daddr 4, dport 2, laddr 4, lport 2,
 *            tsDelta 4, flags 4, state 1, timeoutMs 4, control 4, nControl 4, inPkts 4,
 *            expiresMs 8 (the timer wheel's), svcProtocol 1, svcAddr 4, svcPort 2,
 *            svcFwmark 4, destPort 2 (conn-layout.ts: what a restart needs)              = 71
 *   SYN proxy: spSeqDelta 4, spTsDelta 4, spWscale 1, spSrvAck 4, spSrvWin 4              = 17
 *   dest, svc: plain arrays of references, 8 bytes each on x64 Node                     = 16
 *   free list (freeNext)                                                                  =  4
 *   IN and OUT index: bucket head 4, chain next 4, 16-byte key row, each                  = 48
 *   timer wheel: dueMs 8, prev 4, next 4                                                  = 16
 *   embryonic list (quota on): prev 4, next 4                                             =  8
 */
export const BYTES_PER_ENTRY = 71 + 17 + 16 + 4 + 48 + 16;
export const EMBRYONIC_BYTES_PER_ENTRY = 8;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  process.stderr.write('run with node --expose-gc for exact figures\n');
  process.exit(2);
}

function mem(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const caps = process.argv.slice(2).map(Number);
const list = caps.length > 0 ? caps : [65536, 1 << 20];
const mib = (b: number): string => (b / 1048576).toFixed(1);
console.log('capacity   quota  measured B/entry  computed B/entry  total MiB');
/** Heap + array-buffer growth of one new ConnManager; it is garbage once this returns. */
function measure(capacity: number, embryonicQuota: number): number {
  const before = mem();
  const m = new ConnManager({ capacity, embryonicQuota, seed: 1 });
  const after = mem();
  if (m.count !== 0) throw new Error('a new table holds no entries');
  return after - before;
}

for (const capacity of list) {
  for (const quota of [0, capacity >> 1]) {
    const bytes = measure(capacity, quota);
    const computed = BYTES_PER_ENTRY + (quota > 0 ? EMBRYONIC_BYTES_PER_ENTRY : 0);
    console.log(
      `${String(capacity).padEnd(10)} ${quota > 0 ? '50%  ' : 'off  '}  ${(bytes / capacity).toFixed(1).padStart(16)}  ${String(computed).padStart(16)}  ${mib(bytes).padStart(9)}`,
    );
  }
}
