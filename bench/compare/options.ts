// options: the command line of bench/compare/run.ts.

import { TESTS, type TestName } from './results.ts';

export const ALL_PEERS = [
  'none',
  'nft',
  'haproxy',
  'nginx-stream',
  'tsvs',
  'tsvs-fullnat',
  'tsvs-dr',
  'tsvs-tun',
  'tsvs-synproxy',
] as const;
export const DEFAULT_PEERS = ['nft', 'haproxy', 'nginx-stream', 'tsvs'];

export const USAGE = `Usage: node --import tsx bench/compare/run.ts [options]     (as root)

Builds the LVS-NAT namespace lab once, then puts each peer on lvs1 in turn and drives the same
load through it: wrk -t1 keep-alive and Connection: close, one iperf3 stream (VIP:5201 -> web1),
and sequential curls (web1/web2 split). Prints the peers side by side, CPU, and ratios vs nft.

  --peers LIST        comma list of ${ALL_PEERS.join(', ')}, or all
                      (default ${DEFAULT_PEERS.join(',')}); tsvs-dr runs on a DR lab of its own
                      (lab/dr-topology.ts: client -> router -> one segment), built while it runs;
                      tsvs-tun likewise on a TUN lab (lab/tun-topology.ts: real servers routed
                      behind the router, IPIP), which runs no iperf3 server: leave iperf out
  --reps N            repetitions per peer and test (default 3)
  --duration S        wrk seconds per run, <= 10 (default 8)
  --iperf-time S      iperf3 seconds per run, <= 10 (default 5)
  --conns N           wrk connections (default 50)
  --curls N           sequential curls for the distribution check (default 100)
  --tests LIST        comma list of ka, close, iperf, dist (default all)
  --offloads MODE     default | off (tso/gso/gro/tx/rx off on every lab veth)
  --order MODE        interleaved: each round visits every peer (default; fairer on a shared box)
                      blocked: all reps of a peer, then the next (like ../shared/anchors)
  --drain MODE        wait for TIME_WAIT in lvs1/web1/web2 to drain (<= 65 s) before a peer:
                      auto (only around 'none', whose tuples PAWS-collide with the VIP's),
                      always, never (default auto)
  --idle-max PCT      a run waits for the box to be at most PCT % busy (default 10)
  --wait-idle S       ... for at most S seconds, then runs anyway and records it (default 30)
  --lb-workers N      haproxy nbthread / nginx worker_processes (default 1)
  --tsvs-build B      src (node --import tsx src/bin/*.ts, default) or dist (npm run build first)
  --conn-capacity N   tsvsd [engine] conn-capacity (default: the daemon's)
  --variant NAME=SETTINGS
                      one more peer: tsvs (classic NAT) with extra [engine] lines, ';' between
                      them, e.g. --variant 'tsvs-nobp=busy-poll-us 0' (NAME starts with tsvs-);
                      repeatable; an A/B of tsvs settings in one interleaved run
  --prefix NAME       lab namespace prefix (default cmp-<random>)
  --out DIR           raw logs, results.json and report.md (default /tmp/tsvs-compare-<time>)
  --help
`;

export interface Options {
  peers: string[];
  reps: number;
  durationS: number;
  iperfS: number;
  conns: number;
  curls: number;
  tests: Set<TestName | 'dist'>;
  offloads: 'default' | 'off';
  order: 'interleaved' | 'blocked';
  drain: 'auto' | 'always' | 'never';
  idleMax: number;
  waitIdleS: number;
  lbWorkers: number;
  tsvsBuild: 'src' | 'dist';
  connCapacity: number | undefined;
  /** --variant peers: name -> extra [engine] lines. */
  variants: Map<string, string[]>;
  prefix: string;
  out: string;
}

export class UsageError extends Error {}

function int(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

function oneOf<T extends string>(name: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`${name} must be one of ${allowed.join(', ')}`);
  return v as T;
}

export function parseOptions(argv: readonly string[]): Options | 'help' {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const o: Options = {
    peers: DEFAULT_PEERS,
    reps: 3,
    durationS: 8,
    iperfS: 5,
    conns: 50,
    curls: 100,
    tests: new Set([...TESTS, 'dist']),
    offloads: 'default',
    order: 'interleaved',
    drain: 'auto',
    idleMax: 10,
    waitIdleS: 30,
    lbWorkers: 1,
    tsvsBuild: 'src',
    connCapacity: undefined,
    variants: new Map(),
    prefix: `cmp-${Math.random().toString(36).slice(2, 7)}`,
    out: `/tmp/tsvs-compare-${stamp}`,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return 'help';
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (v === undefined) throw new UsageError(`${name} needs a value`);
    switch (name) {
      case '--peers': {
        const list = v === 'all' ? [...ALL_PEERS] : v.split(',').filter((p) => p !== '');
        for (const p of list) oneOf('--peers', p, ALL_PEERS);
        if (list.length === 0) throw new UsageError('--peers needs at least one peer');
        o.peers = [...new Set(list)];
        break;
      }
      case '--reps':
        o.reps = int(name, v, 1, 20);
        break;
      case '--duration':
        o.durationS = int(name, v, 1, 10);
        break;
      case '--iperf-time':
        o.iperfS = int(name, v, 1, 10);
        break;
      case '--conns':
        o.conns = int(name, v, 1, 10000);
        break;
      case '--curls':
        o.curls = int(name, v, 2, 10000);
        break;
      case '--tests': {
        const list = v.split(',').filter((t) => t !== '');
        o.tests = new Set(list.map((t) => oneOf('--tests', t, [...TESTS, 'dist'] as const)));
        break;
      }
      case '--offloads':
        o.offloads = oneOf(name, v, ['default', 'off'] as const);
        break;
      case '--order':
        o.order = oneOf(name, v, ['interleaved', 'blocked'] as const);
        break;
      case '--drain':
        o.drain = oneOf(name, v, ['auto', 'always', 'never'] as const);
        break;
      case '--idle-max':
        o.idleMax = int(name, v, 0, 100);
        break;
      case '--wait-idle':
        o.waitIdleS = int(name, v, 0, 600);
        break;
      case '--lb-workers':
        o.lbWorkers = int(name, v, 1, 64);
        break;
      case '--tsvs-build':
        o.tsvsBuild = oneOf(name, v, ['src', 'dist'] as const);
        break;
      case '--conn-capacity':
        o.connCapacity = int(name, v, 1, 1 << 24);
        break;
      case '--variant': {
        const m = /^(tsvs-[a-z0-9-]{1,20})=(.+)$/.exec(v);
        if (m === null) throw new UsageError(`--variant must be NAME=SETTINGS with NAME tsvs-[a-z0-9-], got ${v}`);
        const vname = m[1]!;
        if ((ALL_PEERS as readonly string[]).includes(vname) || o.variants.has(vname))
          throw new UsageError(`--variant ${vname}: name already taken`);
        const lines = m[2]!
          .split(';')
          .map((l) => l.trim())
          .filter((l) => l !== '');
        for (const l of lines)
          if (!/^[a-z][a-z0-9-]* [^\n]+$/.test(l))
            throw new UsageError(`--variant ${vname}: not an [engine] line: ${l}`);
        o.variants.set(vname, lines);
        break;
      }
      case '--prefix':
        if (!/^[a-z0-9-]{1,12}$/.test(v)) throw new UsageError('--prefix: 1-12 characters of a-z, 0-9, -');
        o.prefix = v;
        break;
      case '--out':
        o.out = v;
        break;
      default:
        throw new UsageError(`unknown option ${a}`);
    }
  }
  if (o.variants.size > 0) o.peers = [...o.peers, ...o.variants.keys()];
  return o;
}
