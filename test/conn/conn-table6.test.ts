import t from 'tap';
import { CONN_F_TEMPLATE } from '../../src/conn/conn-flags.ts';
import { ConnTable6 } from '../../src/conn/conn-table6.ts';
import { connLayout } from '../../src/conn/conn-layout.ts';
import { CONN6_COLUMNS } from '../../src/conn/conn-layout6.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/lib/inet.ts';
import { inet6Fold, inet6Of, parseInet6, type Inet6 } from '../../src/lib/inet6.ts';

function a6(s: string): Inet6 {
  const w = parseInet6(s);
  if (w === null) throw new Error(s);
  return w;
}

const CLIENT = a6('2001:db8:88::10');
const VIP = a6('2001:db8:88::5');
const RIP = a6('2001:db8:99::100');
// Same 32-bit fold as CLIENT (word 2 and word 3 both xor 1): the hash cannot tell them apart.
const TWIN = inet6Of(CLIENT[0]!, CLIENT[1]!, CLIENT[2]! ^ 1, CLIENT[3]! ^ 1);

/** Put an IPv6 entry straight into the table (no dest), as a test double for setup. */
function put(t6: ConnTable6, proto: number, c: Inet6, cp: number, v: Inet6, vp: number, d: Inet6, dp: number): number {
  const tb = t6.table;
  const id = tb.alloc();
  tb.protocol[id] = proto;
  tb.cport[id] = cp;
  tb.vport[id] = vp;
  tb.dport[id] = dp;
  tb.lport[id] = cp;
  t6.setAddrs(id, c, v, d, c);
  tb.hashIn(id);
  tb.hashOut(id);
  return id;
}

t.test('an IPv6 connection is found from both sides by its 128-bit tuple', async (t) => {
  const t6 = new ConnTable6({ capacity: 64, seed: 7 });
  const id = put(t6, IPPROTO_TCP, CLIENT, 40000, VIP, 80, RIP, 8080);
  t.equal(t6.lookupIn(IPPROTO_TCP, CLIENT, 40000, VIP, 80), id);
  t.equal(t6.lookupOut(IPPROTO_TCP, RIP, 8080, CLIENT, 40000), id);
  t.equal(t6.lookupIn(IPPROTO_UDP, CLIENT, 40000, VIP, 80), -1, 'the protocol is part of the key');
  t.equal(t6.lookupIn(IPPROTO_TCP, CLIENT, 40001, VIP, 80), -1);
  t.equal(t6.lookupIn(IPPROTO_TCP, a6('2001:db8:88::11'), 40000, VIP, 80), -1);
  t.equal(t6.table.caddr[id], inet6Fold(CLIENT), 'the fold column holds the kernel fold');
});

t.test('two clients whose addresses fold alike are told apart by the full compare', async (t) => {
  t.equal(inet6Fold(TWIN), inet6Fold(CLIENT));
  const t6 = new ConnTable6({ capacity: 64, seed: 7 });
  const a = put(t6, IPPROTO_TCP, CLIENT, 40000, VIP, 80, RIP, 8080);
  const b = put(t6, IPPROTO_TCP, TWIN, 40000, VIP, 80, RIP, 8080);
  t.not(a, b);
  // b is the chain head (newest first): finding a means walking past b.
  t.equal(t6.lookupIn(IPPROTO_TCP, CLIENT, 40000, VIP, 80), a);
  t.equal(t6.lookupIn(IPPROTO_TCP, TWIN, 40000, VIP, 80), b);
  t.equal(t6.lookupOut(IPPROTO_TCP, RIP, 8080, CLIENT, 40000), a);
  t.equal(t6.lookupOut(IPPROTO_TCP, RIP, 8080, TWIN, 40000), b);
  t6.table.free(b);
  t.equal(t6.lookupIn(IPPROTO_TCP, TWIN, 40000, VIP, 80), -1, 'gone once freed');
  t.equal(t6.lookupIn(IPPROTO_TCP, CLIENT, 40000, VIP, 80), a);
});

t.test('a persistence template is found by client and VIP only, and only as a template', async (t) => {
  const t6 = new ConnTable6({ capacity: 64, seed: 7 });
  const conn = put(t6, IPPROTO_TCP, CLIENT, 0, VIP, 80, RIP, 8080);
  t.equal(t6.lookupTemplate(IPPROTO_TCP, CLIENT, VIP, 80), -1, 'a connection is not a template');
  const tb = t6.table;
  const tpl = tb.alloc();
  tb.protocol[tpl] = IPPROTO_TCP;
  tb.vport[tpl] = 80;
  tb.flags[tpl] = tb.flags[tpl]! | CONN_F_TEMPLATE;
  t6.setAddrs(tpl, TWIN, VIP, RIP, TWIN);
  tb.hashIn(tpl);
  t.equal(t6.lookupTemplate(IPPROTO_TCP, TWIN, VIP, 80), tpl);
  t.equal(t6.lookupTemplate(IPPROTO_TCP, CLIENT, VIP, 80), -1, 'the fold twin has no template');
  t.equal(t6.lookupIn(IPPROTO_TCP, CLIENT, 0, VIP, 80), conn);
});

t.test('a second IPv6 table over the same state memory finds the 128-bit entries again', async (t) => {
  const memory = new ArrayBuffer(connLayout(64, CONN6_COLUMNS).totalBytes);
  const a = new ConnTable6({ capacity: 64, seed: 7, memory });
  const id = put(a, IPPROTO_TCP, CLIENT, 40000, VIP, 80, RIP, 8080);
  a.hopIn[id] = 3;
  const b = new ConnTable6({ capacity: 64, seed: 9, memory });
  t.same(Array.from(b.caddr6.subarray(id * 4, id * 4 + 4)), Array.from(CLIENT), 'caddr6 is in the memory');
  t.same(Array.from(b.daddr6.subarray(id * 4, id * 4 + 4)), Array.from(RIP), 'daddr6 is in the memory');
  t.equal(b.table.caddr[id], inet6Fold(CLIENT), 'the fold is in the memory');
  t.equal(b.hopIn[id], 0, 'the next hops are per process, not in the memory');
});

t.test('a full IPv6 table hands out no slot', async (t) => {
  const t6 = new ConnTable6({ capacity: 2, seed: 1 });
  put(t6, IPPROTO_UDP, CLIENT, 1, VIP, 53, RIP, 53);
  put(t6, IPPROTO_UDP, CLIENT, 2, VIP, 53, RIP, 53);
  t.equal(t6.table.alloc(), -1);
});
