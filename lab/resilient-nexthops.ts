// resilient-nexthops: the ECMP lab router's bridge from BGP to a resilient next-hop group. BIRD 2
// programs classic multipath routes (RTA_MULTIPATH), never nexthop objects (RTA_NH_ID), so the
// router's BIRD exports its routes to kernel table TABLE instead of main, and this watcher turns
// each of them into a resilient group in the main table:
//
//   table TABLE: 192.168.88.5 proto bird  nexthop via .11  nexthop via .12  nexthop via .13
//   ->  ip nexthop replace id 1001 via 192.168.99.11 dev eth1      (one object per next hop)
//       ip nexthop replace id 1 group 1001/1002/1003 type resilient buckets B idle_timer T
//       ip route replace 192.168.88.5/32 nhid 1                    (main table)
//
// A resilient group hashes a flow to one of B buckets, each bound to a next hop
// (net/ipv4/nexthop.c, nh_res_table_*): replacing the group without a next hop hands out only
// that next hop's buckets; a next hop added takes only buckets idle for T seconds. So the flows
// through the surviving directors keep their director, which full NAT needs (its connections
// live on one director). It listens to `ip monitor route` and reconciles on every event (its own
// changes included: they find nothing to do); the table is also read once at start.
//
// Usage: node resilient-nexthops.js ROUTER_NS TABLE BUCKETS IDLE_TIMER_S
// Logs one line per change on stdout: `<ISO time> <prefix> group <gateways>|removed`.

import { spawn, spawnSync } from 'node:child_process';

const [ns = '', tableText = '', bucketsText = '128', idleText = '60'] = process.argv.slice(2);
const TABLE = Number(tableText);
if (ns === '' || !(TABLE > 0) || !(Number(bucketsText) > 0) || !(Number(idleText) >= 0)) {
  process.stderr.write('usage: resilient-nexthops ROUTER_NS TABLE BUCKETS IDLE_TIMER_S\n');
  process.exit(2);
}
const RES = ['type', 'resilient', 'buckets', bucketsText, 'idle_timer', idleText];

function ip(args: readonly string[]): string {
  const r = spawnSync('ip', ['-n', ns, ...args], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${(r.stderr ?? '').trim()}`);
  return r.stdout ?? '';
}

interface JsonRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  nexthops?: { gateway?: string; dev?: string }[];
}

/** Member objects by gateway and groups by prefix; ids are never reused within a run. */
const memberIds = new Map<string, number>();
const groups = new Map<string, { id: number; members: string }>();
let nextGroupId = 1;

function memberId(gateway: string, dev: string): number {
  let id = memberIds.get(gateway);
  if (id === undefined) {
    id = 1000 + memberIds.size + 1;
    memberIds.set(gateway, id);
    ip(['nexthop', 'replace', 'id', String(id), 'via', gateway, 'dev', dev]);
  }
  return id;
}

function reconcile(): void {
  const routes = JSON.parse(ip(['-j', 'route', 'show', 'table', String(TABLE)]) || '[]') as JsonRoute[];
  const seen = new Set<string>();
  for (const r of routes) {
    const prefix = r.dst.includes('/') ? r.dst : `${r.dst}/32`;
    const hops = r.nexthops ?? (r.gateway === undefined ? [] : [{ gateway: r.gateway, dev: r.dev }]);
    const ids = hops
      .filter((h) => h.gateway !== undefined && h.dev !== undefined)
      .map((h) => memberId(h.gateway!, h.dev!))
      .sort((a, b) => a - b);
    if (ids.length === 0) continue;
    seen.add(prefix);
    const members = ids.join('/');
    const g = groups.get(prefix);
    if (g?.members === members) continue;
    if (g === undefined) {
      const id = nextGroupId++;
      ip(['nexthop', 'replace', 'id', String(id), 'group', members, ...RES]);
      ip(['route', 'replace', prefix, 'nhid', String(id)]);
      groups.set(prefix, { id, members });
    } else {
      ip(['nexthop', 'replace', 'id', String(g.id), 'group', members, ...RES]);
      g.members = members;
    }
    const gws = [...memberIds].filter(([, id]) => ids.includes(id)).map(([gw]) => gw);
    process.stdout.write(`${new Date().toISOString()} ${prefix} group ${gws.join(' ')}\n`);
  }
  for (const [prefix, g] of groups) {
    if (seen.has(prefix)) continue;
    spawnSync('ip', ['-n', ns, 'route', 'del', prefix, 'nhid', String(g.id)]);
    ip(['nexthop', 'del', 'id', String(g.id)]);
    groups.delete(prefix);
    process.stdout.write(`${new Date().toISOString()} ${prefix} removed\n`);
  }
}

function safeReconcile(): void {
  try {
    reconcile();
  } catch (e) {
    process.stderr.write(`${new Date().toISOString()} ${(e as Error).message}\n`);
  }
}

const monitor = spawn('ip', ['-n', ns, 'monitor', 'route'], { stdio: ['ignore', 'pipe', 'inherit'] });
monitor.stdout.on('data', safeReconcile);
monitor.on('exit', () => process.exit(1));
process.on('SIGTERM', () => {
  monitor.kill('SIGTERM');
  process.exit(0);
});
safeReconcile();
