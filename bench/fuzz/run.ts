// npm run fuzz -- --frames N [--seed S]: the pipeline fuzzer's command line (bench/fuzz/fuzzer.ts).
//
//   --frames N        frames to inject (default 100000)        --seed S       default 1
//   --table-every K   check the connection table after every Kth frame (default 1)
//   --replay I        rerun seed S up to frame I and print that frame, what it emitted and dropped
//   --hex H           inject one frame (hex) into the lab after its flows are open, and print it;
//                     with --port P (default from its source address), --flags F, --vnet V (hex)
// Prints frames/s, the findings (seed, frame index, hex: each replays with --replay) and the drop
// reasons seen. Exits 1 when there is a finding.

import { parseArgs } from 'node:util';
import { DROP_COUNT, DROP_NAMES } from '../../src/lib/drops.ts';
import { arrivalPort } from './corpus.ts';
import { formatFinding } from './findings.ts';
import { Fuzzer } from './fuzzer.ts';
import type { FuzzFrame } from './mutate.ts';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '1' },
    'table-every': { type: 'string', default: '1' },
    replay: { type: 'string' },
    hex: { type: 'string' },
    port: { type: 'string' },
    flags: { type: 'string', default: '0' },
    vnet: { type: 'string' },
  },
});

function int(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) {
    console.error(`fuzz: --${name} wants an integer >= ${min}, not ${v}`);
    process.exit(2);
  }
  return n;
}

const seed = int('seed', values.seed, 0);
const tableEvery = int('table-every', values['table-every'], 1);

function show(index: number, input: FuzzFrame, outputs: readonly Buffer[], drops: string[]): void {
  const vnet = input.vnet === null ? '' : ` vnet=${input.vnet.toString('hex')}`;
  console.log(`frame ${index}: port=${input.port} flags=${input.flags}${vnet}`);
  console.log(`  in   ${input.frame.toString('hex')}`);
  console.log(`  drop ${drops.length === 0 ? '-' : drops.join(', ')}`);
  for (const o of outputs) console.log(`  out  ${o.toString('hex')}`);
}

/** Drop counts of the run (rebuilt labs and the current one), by name, most frequent first. */
function dropSummary(fz: Fuzzer): [string, number][] {
  const c = fz.lab.engine.drops.counts;
  const rows: [string, number][] = [];
  for (let r = 1; r < DROP_COUNT; r++) {
    const n = fz.drops[r]! + c[r]!;
    if (n > 0) rows.push([DROP_NAMES[r] ?? String(r), n]);
  }
  return rows.sort((a, b) => b[1] - a[1]);
}

function report(fz: Fuzzer, index = -1): void {
  const mine = index < 0 ? fz.checks.log.findings : fz.checks.log.findings.filter((f) => f.index === index);
  for (const f of mine) console.log(formatFinding(f));
  if (index < 0 && fz.checks.log.signatures.size > 0) {
    console.log('findings by kind:');
    for (const [sig, n] of fz.checks.log.signatures) console.log(`  ${n}  ${sig}`);
  }
}

if (values.replay !== undefined) {
  const at = int('replay', values.replay, 0);
  const fz = new Fuzzer({ seed, tableEvery, watch: (i, m, out, drops) => i === at && show(i, m, out, drops) });
  fz.run(at + 1);
  report(fz, at);
  fz.close();
} else if (values.hex !== undefined) {
  const frame = Buffer.from(values.hex, 'hex');
  let armed = false;
  const fz = new Fuzzer({ seed, tableEvery, watch: (i, m, out, drops) => armed && show(i, m, out, drops) });
  fz.warmUp();
  armed = true;
  const port = values.port === undefined ? arrivalPort(frame) : int('port', values.port, 0);
  const vnet = values.vnet === undefined ? null : Buffer.from(values.vnet, 'hex');
  fz.send({ frame, port, flags: int('flags', values.flags, 0), vnet });
  report(fz, fz.index - 1);
  fz.close();
} else {
  const frames = int('frames', values.frames, 1);
  const fz = new Fuzzer({ seed, tableEvery });
  const t0 = performance.now();
  const step = 1_000_000;
  for (let done = 0; done < frames;) {
    done = Math.min(frames, done + step);
    fz.run(done);
    if (frames > step) {
      const s = (performance.now() - t0) / 1000;
      console.error(
        `  ${done} frames, ${s.toFixed(0)} s, ${Math.round(done / s)} frames/s, ${fz.checks.log.findings.length} findings`,
      );
    }
  }
  const s = (performance.now() - t0) / 1000;
  const p = fz.lab.engine.pipeline;
  console.log(`seed ${seed}: ${fz.index} frames in ${s.toFixed(1)} s = ${Math.round(fz.index / s)} frames/s`);
  console.log(
    `  emitted ${fz.checks.emitted}; last lab: forwarded in ${p.forwardedIn}, out ${p.forwardedOut}, answered ${p.local}, ` +
      `passed ${p.passed}; ${fz.conns} live entries`,
  );
  const sp = p.synproxy;
  console.log(
    `  SYN proxy: cookies sent ${sp.cookiesSent}, validated ${sp.cookiesValidated}, failed ${sp.cookiesFailed}, ` +
      `segments kept ${sp.segmentsKept}`,
  );
  const k = fz.checks.emittedKinds;
  console.log(`  emitted TCP ${k.tcp}, UDP ${k.udp}, ICMP errors ${k.icmpError}, other ICMP ${k.icmp}, ARP ${k.arp}`);
  console.log(
    `  drops: ${dropSummary(fz)
      .map(([n, c]) => `${n} ${c}`)
      .join(', ')}`,
  );
  console.log(
    `  exceptions ${fz.exceptions}, frame violations ${fz.checks.frameViolations}, table violations ${fz.checks.tableViolations}`,
  );
  const eo = fz.checks.embryonicOver;
  if (eo.checks > 0)
    console.log(
      `  embryonic list over its quota after ${eo.checks} frames (first frame ${eo.firstIndex}, by up to ${eo.max})`,
    );
  report(fz);
  fz.close();
  process.exitCode = fz.exceptions + fz.checks.frameViolations + fz.checks.tableViolations > 0 ? 1 : 0;
}
