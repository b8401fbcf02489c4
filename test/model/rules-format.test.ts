// The -S line formats of print_service_entry(FMT_RULE) and the -R line splitting of
// config_stream_read(), for tsvs's rules file.
import t from 'tap';
import {
  tunInfoText,
  formatDestLine,
  formatRules,
  formatServiceLine,
  formatTimeoutsLine,
  splitRuleLines,
  RuleLineError,
} from '../../src/model/rules-format.ts';
import { FWD_FULLNAT, FWD_MASQ, FWD_ROUTE, FWD_TUNNEL } from '../../src/model/dest.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/lib/inet.ts';
import type { DestSpec, ServiceSpec } from '../../src/model/rule-spec.ts';

const svc = (over: Partial<ServiceSpec> = {}): ServiceSpec => ({
  af: 2,
  protocol: IPPROTO_TCP,
  addr: 0xc0a85805,
  port: 80,
  fwmark: 0,
  schedName: 'rr',
  flags: 0,
  timeoutSec: 0,
  netmask: 0xffffffff,
  peName: '',
  ...over,
});
const dest = (over: Partial<DestSpec> = {}): DestSpec => ({
  af: 2,
  addr: 0xc0a86364,
  port: 80,
  fwd: FWD_MASQ,
  weight: 1,
  uThreshold: 0,
  lThreshold: 0,
  ...over,
});

t.test('service lines follow "-A %s -s %s" with -p, -M, --pe, -o and -b in ipvsadm order', async (t) => {
  t.equal(formatServiceLine(svc()), '-A -t 192.168.88.5:80 -s rr');
  t.equal(formatServiceLine(svc({ flags: 0x1, timeoutSec: 300 })), '-A -t 192.168.88.5:80 -s rr -p 300');
  t.equal(
    formatServiceLine(
      svc({ protocol: IPPROTO_UDP, flags: 0x1 | 0x4, timeoutSec: 60, netmask: 0xffffff00, peName: 'sip' }),
    ),
    '-A -u 192.168.88.5:80 -s rr -p 60 -M 255.255.255.0 --pe sip -o',
  );
  t.equal(formatServiceLine(svc({ netmask: 0xffffff00 })), '-A -t 192.168.88.5:80 -s rr', 'the mask only goes with -p');
  t.equal(
    formatServiceLine(svc({ schedName: 'mh', flags: 0x8 | 0x10 })),
    '-A -t 192.168.88.5:80 -s mh -b mh-fallback,mh-port',
  );
  t.equal(formatServiceLine(svc({ schedName: 'wlc', flags: 0x20 })), '-A -t 192.168.88.5:80 -s wlc -b flag-3');
  t.equal(formatServiceLine(svc({ fwmark: 9, addr: 0, port: 0 })), '-A -f 9 -s rr');
  t.equal(formatServiceLine(svc({ protocol: 132 })), '-A --sctp-service 192.168.88.5:80 -s rr');
});

t.test('real-server lines follow "-a %s -r %s %s -w %d"; thresholds only in our rules file', async (t) => {
  t.equal(formatDestLine(svc(), dest()), '-a -t 192.168.88.5:80 -r 192.168.99.100:80 -m -w 1');
  t.equal(
    formatDestLine(svc(), dest({ fwd: FWD_ROUTE, weight: 0 })),
    '-a -t 192.168.88.5:80 -r 192.168.99.100:80 -g -w 0',
  );
  t.equal(
    formatDestLine(svc(), dest({ fwd: FWD_TUNNEL })),
    '-a -t 192.168.88.5:80 -r 192.168.99.100:80 -i -w 1 --tun-type ipip',
  );
  // print_tunnel_rule(): GUE adds its port and the checksum option, tun_flags_opts[tun_flags].
  t.equal(
    formatDestLine(svc(), dest({ fwd: FWD_TUNNEL, tunType: 1, tunPort: 6080, tunFlags: 0 })),
    '-a -t 192.168.88.5:80 -r 192.168.99.100:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum',
  );
  t.equal(
    formatDestLine(svc(), dest({ fwd: FWD_TUNNEL, tunType: 1, tunPort: 5555, tunFlags: 2 })),
    '-a -t 192.168.88.5:80 -r 192.168.99.100:80 -i -w 1 --tun-type gue --tun-port 5555 --tun-remcsum',
  );
  // fwd_tun_info(): the TunnelInfo column of -L --tun-info.
  t.equal(tunInfoText(FWD_TUNNEL, 0, 0, 0), 'ipip');
  t.equal(tunInfoText(FWD_TUNNEL, 1, 6080, 1), 'gue:6080:+c');
  t.equal(tunInfoText(FWD_TUNNEL, 1, 6080, 2), 'gue:6080:r+c');
  t.equal(tunInfoText(FWD_ROUTE, 0, 0, 0), 'n/a');
  t.equal(
    formatDestLine(svc(), dest({ fwd: FWD_FULLNAT })),
    '-a -t 192.168.88.5:80 -r 192.168.99.100:80 --fullnat -w 1',
  );
  t.equal(
    formatDestLine(svc(), dest({ uThreshold: 100, lThreshold: 10 })),
    '-a -t 192.168.88.5:80 -r 192.168.99.100:80 -m -w 1',
    'ipvsadm -S drops thresholds',
  );
  t.equal(
    formatDestLine(svc(), dest({ uThreshold: 100, lThreshold: 10 }), { thresholds: true }),
    '-a -t 192.168.88.5:80 -r 192.168.99.100:80 -m -w 1 -x 100 -y 10',
  );
  t.equal(formatTimeoutsLine(900, 120, 300), '--set 900 120 300');
});

t.test('formatRules writes each service then its dests in the order given, one line each', async (t) => {
  const text = formatRules([{ service: svc(), dests: [dest(), dest({ addr: 0xc0a863c8, weight: 2 })] }]);
  t.equal(
    text,
    '-A -t 192.168.88.5:80 -s rr\n' +
      '-a -t 192.168.88.5:80 -r 192.168.99.100:80 -m -w 1\n' +
      '-a -t 192.168.88.5:80 -r 192.168.99.200:80 -m -w 2\n',
  );
});

t.test('restore input: blanks split words, "ipvsadm" words vanish, # starts a comment, empty lines go', async (t) => {
  const lines = splitRuleLines(
    '# saved rules\n' +
      'ipvsadm -A -t 192.168.88.5:80 -s rr\n' +
      '\n' +
      '\t-a -t 192.168.88.5:80  -r 192.168.99.100:80 -m -w 1   # first\r\n' +
      'tsvsadm -Z\n' +
      '   \n',
  );
  t.same(lines, [
    { line: 2, tokens: ['-A', '-t', '192.168.88.5:80', '-s', 'rr'] },
    { line: 4, tokens: ['-a', '-t', '192.168.88.5:80', '-r', '192.168.99.100:80', '-m', '-w', '1'] },
    { line: 5, tokens: ['-Z'] },
  ]);
});

t.test('a RuleLineError carries its line and code', async (t) => {
  const e = new RuleLineError(7, 'No such service', 'ESRCH');
  t.same([e.line, e.code, e.message, e.name], [7, 'ESRCH', 'No such service', 'RuleLineError']);
});
