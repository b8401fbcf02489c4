// ctl-probe: how fast the forwarder's control socket answers while it forwards a flood (the
// event loop must stay responsive under full load: the target is an answer within 50 ms).
// Every INTERVAL ms for SECONDS it does what one `tsvsadm` call does: connect, send one request
// (engine.stats), read the reply, close; it prints one JSON line of round-trip times in ms.
//   node --import tsx bench/io/ctl-probe.ts <socket> <seconds> [interval-ms]

import { ControlClient } from '../../src/wire/client.ts';

const [sock, secondsText, intervalText] = process.argv.slice(2);
if (!sock || !secondsText) {
  process.stderr.write('usage: ctl-probe.ts <socket> <seconds> [interval-ms]\n');
  process.exit(2);
}
const seconds = Number(secondsText);
const interval = Number(intervalText ?? 100);

async function once(): Promise<number> {
  const t0 = performance.now();
  const c = await ControlClient.connect(sock!, 5000);
  try {
    await c.request('engine.stats');
  } finally {
    c.close();
  }
  return performance.now() - t0;
}

const ms: number[] = [];
let failed = 0;
await once().catch(() => undefined); // warm-up: module loading and JIT of this script
process.stdout.write('ready\n');
const end = performance.now() + seconds * 1000;
while (performance.now() < end) {
  const next = performance.now() + interval;
  try {
    ms.push(await once());
  } catch {
    failed++;
  }
  const wait = next - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
ms.sort((a, b) => a - b);
const q = (p: number): number =>
  ms.length === 0 ? NaN : +ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))]!.toFixed(2);
process.stdout.write(JSON.stringify({ n: ms.length, failed, p50_ms: q(50), p99_ms: q(99), max_ms: q(100) }) + '\n');
