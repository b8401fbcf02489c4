// `npm run lab -- flood [SECONDS] [--ipv6]`: the same bounded hping3 SYN flood twice on the NAT
// lab, first with the SYN proxy off (`--synproxy never`: IPVS's embryonic quota only), then in its
// default automatic mode, curling the VIP throughout; prints the success rate and the p99 connect
// time of each, the flood rate the director took, its CPU per SYN and its RSS. With --ipv6 the lab
// is dual-stack and the flood is THC's thcsyn6 at the IPv6 service [VIP6]:80 (lab/flood6.ts).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tearDownLeftover } from './dr-demo.ts';
import { addFlooder, flooderName, startFlood } from './flood.ts';
import { addFlooder6, startFlood6 } from './flood6.ts';
import { RIP1_6, RIP2_6, VIP6, VIP6_URL } from './ipv6.ts';
import { runProbe, type ProbeResult } from './ha-lab.ts';
import { LabDaemon, ROOT, say, typed } from './lab-daemon.ts';
import { delNetns, isAlive } from './netns.ts';
import type { ChildProcess } from 'node:child_process';
import { LabTopology, VIP } from './topology.ts';

const MAX_SECONDS = 60;
const CLK_TCK = 100;

interface Round {
  mode: string;
  ok: number;
  tried: number;
  connectMs: number[];
  rxFrames: number;
  cpuS: number;
  seconds: number;
  rssMb: number;
  /** KEEPALIVE connections opened before the flood, asking every KEEPALIVE_PAUSE_MS through it. */
  probe: ProbeResult | null;
}

const KEEPALIVE = 4;
const KEEPALIVE_PAUSE_MS = 100;

/** What a round floods and curls: the IPv4 service and hping3, or the IPv6 one and thcsyn6. */
interface Target {
  svc: string;
  host: string;
  url: string;
  rips: readonly string[];
  tool: string;
  flood(lab: LabTopology, seconds: number): ChildProcess;
}

const TARGET4: Target = {
  svc: `${VIP}:80`,
  host: VIP,
  url: `http://${VIP}/`,
  rips: ['192.168.99.100:80', '192.168.99.200:80'],
  tool: `hping3 -S --flood --rand-source ${VIP}`,
  flood: (lab, seconds) => startFlood(flooderName(lab), seconds),
};

const TARGET6: Target = {
  svc: `[${VIP6}]:80`,
  host: VIP6,
  url: VIP6_URL,
  rips: [`[${RIP1_6}]:80`, `[${RIP2_6}]:80`],
  tool: `thcsyn6 -r ${VIP6} 80`,
  flood: (lab, seconds) => startFlood6(lab, flooderName(lab), seconds),
};

/** One curl: its connect time in ms, or -1 when it failed (3 s limit). */
function curlConnectMs(ns: string, url: string): number {
  const r = spawnSync(
    'ip',
    ['netns', 'exec', ns, 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code} %{time_connect}', '-m', '3', '-g', url],
    { encoding: 'utf8', timeout: 5000 },
  );
  const [code, t] = (r.stdout ?? '').split(' ');
  return code === '200' ? Number(t) * 1000 : -1;
}

/** utime + stime of a process in seconds, and its RSS in MB. */
function procUsage(pid: number): { cpuS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return { cpuS: (Number(f[11]) + Number(f[12])) / CLK_TCK, rssMb: rss / 1024 };
}

function p99(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)]!;
}

async function round(lab: LabTopology, d: LabDaemon, to: Target, mode: string, seconds: number): Promise<Round> {
  typed(d, ['-E', '-t', to.svc, '-s', 'rr', '--synproxy', mode]);
  const pid = d.pid()!;
  const stats = async (): Promise<Record<string, number>> =>
    (await d.request('engine.stats')) as Record<string, number>;
  const rx0 = (await stats())['rxFrames']!;
  const u0 = procUsage(pid);
  // The keep-alive connections open first, ask through the whole flood and a second after it.
  let probe: ProbeResult | null = null;
  const probed = runProbe(lab.client, KEEPALIVE, seconds + 2, 3000, KEEPALIVE_PAUSE_MS, to.host).then(
    (p) => (probe = p),
    (e: Error) => say(`  the keep-alive probe failed: ${e.message}`),
  );
  await new Promise((res) => setTimeout(res, 500));
  const t0 = Date.now();
  const flood = to.flood(lab, seconds);
  const r: Round = {
    mode,
    ok: 0,
    tried: 0,
    connectMs: [],
    rxFrames: 0,
    cpuS: 0,
    seconds: 0,
    rssMb: u0.rssMb,
    probe: null,
  };
  while (flood.pid !== undefined && isAlive(flood.pid) && r.tried < 1000) {
    r.tried++;
    const ms = curlConnectMs(lab.client, to.url);
    if (ms >= 0) {
      r.ok++;
      r.connectMs.push(ms);
    }
    r.rssMb = Math.max(r.rssMb, procUsage(pid).rssMb);
  }
  while (flood.pid !== undefined && isAlive(flood.pid)) await new Promise((res) => setTimeout(res, 100));
  const u1 = procUsage(pid);
  r.seconds = (Date.now() - t0) / 1000;
  r.rxFrames = (await stats())['rxFrames']! - rx0;
  r.cpuS = u1.cpuS - u0.cpuS;
  await probed;
  r.probe = probe;
  return r;
}

function report(r: Round): string {
  const pct = r.tried === 0 ? 0 : (100 * r.ok) / r.tried;
  const p = r.probe;
  const ka =
    p === null
      ? 'keep-alive not measured'
      : `keep-alive ${p.conns.filter((c) => c.broken !== null).length} errors in ${p.answers} answers on ${KEEPALIVE} connections (longest gap ${p.keepAliveGapMs} ms), ${p.freshFailed} of its new connections failed`;
  return (
    `  synproxy ${r.mode.padEnd(6)} ${String(r.ok).padStart(4)}/${r.tried} curls ok (${pct.toFixed(1)} %), ` +
    `p99 connect ${p99(r.connectMs).toFixed(1)} ms; director took ${Math.round(r.rxFrames / r.seconds)} frames/s, ` +
    `CPU ${((1e6 * r.cpuS) / Math.max(1, r.rxFrames)).toFixed(2)} us per frame, RSS up to ${r.rssMb.toFixed(0)} MB; ${ka}`
  );
}

export async function floodDemo(prefix: string, secondsArg: number, ipv6 = false): Promise<void> {
  const seconds = Math.max(1, Math.min(MAX_SECONDS, Math.floor(secondsArg) || 8));
  spawnSync(process.execPath, [join(ROOT, 'src', 'bin', 'ensure-setup.mjs'), 'flood'], { stdio: 'inherit' });
  const lab = new LabTopology(prefix);
  const d = new LabDaemon(lab);
  tearDownLeftover(prefix, d);
  const flooder = flooderName(lab);
  const to = ipv6 ? TARGET6 : TARGET4;
  try {
    say(`Building the NAT lab${ipv6 ? ' dual-stack' : ''} and a flooder namespace (${flooder}) behind the client...`);
    lab.up({ mode: 'tsvs', ipv6 });
    addFlooder(lab, flooder);
    if (ipv6) addFlooder6(lab, flooder);
    await d.start();
    typed(d, ['-A', '-t', to.svc, '-s', 'rr']);
    for (const rip of to.rips) typed(d, ['-a', '-t', to.svc, '-r', rip, '-m']);
    say(`\nTwo ${seconds} s floods (${to.tool}), curling the VIP during each:`);
    const off = await round(lab, d, to, 'never', seconds);
    say(report(off));
    await new Promise((res) => setTimeout(res, 2000));
    const on = await round(lab, d, to, 'auto', seconds);
    say(report(on));
    typed(d, ['--engine']);
  } finally {
    delNetns(flooder);
    d.stop();
    lab.down();
    say('lab down: namespaces removed, processes stopped');
  }
}
