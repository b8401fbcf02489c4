// u32mod: x % m for uint32 x (or its int32 bits) without the float modulo.

import t from 'tap';
import { u32mod } from '../../src/sched/u32mod.ts';
import { Mulberry32 } from '../../src/lib/rng.ts';

t.test('u32mod equals % on edge values and on random uint32 and int32 inputs', async (t) => {
  const xs = [0, 1, 4092, 4093, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
  const ms = [1, 2, 3, 251, 4092, 4093, 131071, 0x40000001, 0x7fffffff];
  const bad: string[] = [];
  for (const x of xs) for (const m of ms) if (u32mod(x, m) !== x % m) bad.push(`${x} % ${m}`);
  const rng = new Mulberry32(31337);
  for (let i = 0; i < 100000; i++) {
    const x = rng.nextU32();
    const m = 1 + (rng.nextU32() % (i % 2 === 0 ? 5000 : 0x7ffffffe));
    if (u32mod(x, m) !== x % m) bad.push(`${x} % ${m}`);
    if (u32mod(x | 0, m) !== x % m) bad.push(`(${x} | 0) % ${m}`);
  }
  t.same(bad, []);
});
