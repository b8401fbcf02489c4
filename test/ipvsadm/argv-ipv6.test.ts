// parseArgv with IPv6, against ipvsadm 1.31's parse_service(), the '-6' and '-M' cases of
// parse_options() and the address-family rule of process_options(): what each line becomes.
import t from 'tap';
import { parseArgv } from '../../src/ipvsadm/argv.ts';
import { AF_INET, AF_INET6, FWD_MASQ, FWD_ROUTE, FWD_TUNNEL } from '../../src/model/dest.ts';
import { SVC_F_PERSISTENT } from '../../src/model/service.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/lib/inet.ts';
import { SERVICES_DB } from '../cli/fixtures/format-fixture.ts';

const parse = (line: string) => parseArgv(line.split(' '), { services: SERVICES_DB });

/** 2001:db8::5 as four words, written out by hand. */
const VIP6 = [0x20010db8, 0, 0, 5];
const words = (w: Uint32Array | undefined): number[] | undefined => (w === undefined ? undefined : Array.from(w));

t.test('-t [v6]:port and -u [v6]:port make an AF_INET6 service with netmask 128', async (t) => {
  const c = parse('-A -t [2001:db8::5]:80 -s wrr');
  t.equal(c.svc.af, AF_INET6);
  t.equal(c.svc.protocol, IPPROTO_TCP);
  t.same(words(c.svc.addr6), VIP6);
  t.equal(c.svc.addr, (0x20010db8 ^ 5) >>> 0, 'addr is the kernel fold ip6[0]^..^ip6[3]');
  t.equal(c.svc.port, 80);
  t.equal(c.svc.netmask, 128);
  const u = parse('-A -u [2001:db8::5]:domain');
  t.equal(u.svc.protocol, IPPROTO_UDP);
  t.equal(u.svc.port, 53, 'a service name after the bracket is looked up as for IPv4');
});

t.test('a bare IPv6 address has no port: inet_pton(AF_INET6) takes the whole text first', async (t) => {
  const c = parse('-A -t 2001:db8::5:80 -p');
  t.same(words(c.svc.addr6), [0x20010db8, 0, 0, 0x00050080], 'groups 7 and 8 are 5 and 80');
  t.equal(c.svc.port, 0);
});

t.test('-r [v6]:port, and -r v6 without a port takes the service port', async (t) => {
  const m = parse('-a -t [2001:db8::5]:80 -r [2001:db8::100]:8080 -m -w 3');
  t.equal(m.dest.af, AF_INET6);
  t.same(words(m.dest.addr6), [0x20010db8, 0, 0, 0x100]);
  t.equal(m.dest.port, 8080);
  t.equal(m.dest.fwd, FWD_MASQ);
  t.equal(m.dest.weight, 3);
  const g = parse('-a -t [2001:db8::5]:80 -r 2001:db8::101 -g');
  t.equal(g.dest.port, 80);
  t.equal(g.dest.fwd, FWD_ROUTE);
  t.same(words(g.dest.addr6), [0x20010db8, 0, 0, 0x101]);
});

t.test('tunnel forwarding may cross families; deleting needs no check', async (t) => {
  const c = parse('-a -t [2001:db8::5]:80 -r 10.0.0.1 -i');
  t.equal(c.svc.af, AF_INET6);
  t.equal(c.dest.af, AF_INET);
  t.equal(c.dest.addr, 0x0a000001);
  t.equal(c.dest.fwd, FWD_TUNNEL);
  t.equal(parse('-d -t [2001:db8::5]:80 -r 10.0.0.1').dest.af, AF_INET);
});

t.test('-f MARK -6 is an IPv6 fwmark service; -M then is a prefix length', async (t) => {
  const c = parse('-A -f 7 -6 -p 60 -M 64');
  t.equal(c.svc.af, AF_INET6);
  t.equal(c.svc.fwmark, 7);
  t.equal(c.svc.flags & SVC_F_PERSISTENT, SVC_F_PERSISTENT);
  t.equal(c.svc.netmask, 64);
  t.equal(parse('-A -f 7 -6').svc.netmask, 128);
  t.equal(parse('-A -t [2001:db8::5]:80 -p -M 48abc').svc.netmask, 48, 'atoi() stops at the first non-digit');
});

t.test('-M before -t is read as an IPv4 mask, then the IPv6 address resets it to 128 (ipvsadm order)', async (t) => {
  t.equal(parse('-A -p -M 255.255.255.0 -t [2001:db8::5]:80').svc.netmask, 128);
});

t.test('[a.b.c.d]:port keeps IPv4 and drops the port, as strrchr on the address part does', async (t) => {
  const c = parse('-A -t [10.1.2.3]:80 -p');
  t.equal(c.svc.af, AF_INET);
  t.equal(c.svc.addr, 0x0a010203);
  t.equal(c.svc.port, 0);
});
