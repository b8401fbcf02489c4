// parseArgv against ipvsadm 1.31's parse_options()/process_options(): what each command line
// becomes, and the exact message and exit status of every kind of usage error.
import t from 'tap';
import { parseArgv } from '../../src/ipvsadm/argv.ts';
import { ArgvExit } from '../../src/ipvsadm/argv-exit.ts';
import * as O from '../../src/ipvsadm/argv-options.ts';
import { FWD_FULLNAT, FWD_MASQ, FWD_ROUTE, FWD_TUNNEL } from '../../src/model/dest.ts';
import { SVC_F_PERSISTENT } from '../../src/model/service.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/lib/inet.ts';
import { SERVICES_DB } from '../cli/fixtures/format-fixture.ts';

const parse = (argv: string[], readingStdin = false) => parseArgv(argv, { services: SERVICES_DB, readingStdin });
const TRYHELP = "Try `tsvsadm -h' or 'tsvsadm --help' for more information.\n";

const rejected: { argv: string[]; exit: number; text: string; why: string }[] = [
  {
    argv: ['-t', '1.2.3.4:80'],
    exit: 255,
    text: TRYHELP,
    why: 'the first option is not a command (tryhelp_exit(argv[0], -1))',
  },
  { argv: ['--bogus'], exit: 255, text: TRYHELP, why: 'an unknown first option' },
  { argv: ['-A', '--bogus'], exit: 255, text: '--bogus: unknown option\n', why: 'popt: POPT_ERROR_BADOPT' },
  { argv: ['-A', '-t'], exit: 255, text: '-t: missing argument\n', why: 'popt: POPT_ERROR_NOARG' },
  {
    argv: ['-L', '--numeric=1'],
    exit: 255,
    text: '--numeric=1: option does not take an argument\n',
    why: 'popt: POPT_ERROR_UNWANTEDARG',
  },
  { argv: ['-A', '-t', '1.2.3.4:80', '-A'], exit: 2, text: "invalid option `-A'\n", why: 'a second command' },
  { argv: ['-L', '-h'], exit: 2, text: "invalid option `-h'\n", why: '-h after a command' },
  {
    argv: ['-A', '-t', '1.2.3.4'],
    exit: 2,
    text: 'Zero port specified for non-persistent service\n',
    why: 'port 0 needs -p',
  },
  {
    argv: ['-A', '-t', '1.2.3.4:80', '-o'],
    exit: 2,
    text: 'One-Packet Scheduling is only for UDP virtual services\n',
    why: '-o with TCP',
  },
  {
    argv: ['-A', '-t', '1.2.3.4:80', '-u', '1.2.3.5:80'],
    exit: 2,
    text: "multiple 'service-address' options specified\n",
    why: 'set_option() twice',
  },
  {
    argv: ['-a', '-t', '1.2.3.4:80', '-r', '10.0.0.1', '-m', '-g'],
    exit: 2,
    text: "multiple 'forwarding-method' options specified\n",
    why: 'two methods',
  },
  {
    argv: ['-A', '-t', '1.2.3.4:65536'],
    exit: 2,
    text: 'illegal virtual server address[:port] specified\n',
    why: 'port out of range',
  },
  {
    argv: ['-A', '-t', '80'],
    exit: 2,
    text: 'illegal virtual server address[:port] specified\n',
    why: 'all digits (str_is_digit)',
  },
  {
    argv: ['-A', '-t', '1.2.3.4:nosuchsvc'],
    exit: 2,
    text: 'illegal virtual server address[:port] specified\n',
    why: 'unknown service name',
  },
  {
    argv: ['-A', '-t', 'no-such-host.invalid:80'],
    exit: 2,
    text: 'illegal virtual server address[:port] specified\n',
    why: 'unresolvable host',
  },
  {
    argv: ['-a', '-t', '1.2.3.4:80', '-r', '1.2.3.4.5'],
    exit: 2,
    text: 'illegal real server address[:port] specified\n',
    why: 'bad real server',
  },
  {
    argv: ['-a', '-t', '1.2.3.4:80', '-r', '10.0.0.1', '-w', '65536'],
    exit: 2,
    text: 'illegal weight specified\n',
    why: 'weight above 65535',
  },
  {
    argv: ['-a', '-t', '1.2.3.4:80', '-r', '10.0.0.1', '-w', '-1'],
    exit: 2,
    text: 'illegal weight specified\n',
    why: 'negative weight',
  },
  {
    argv: ['-a', '-t', '1.2.3.4:80', '-r', '10.0.0.1', '-w', '1x'],
    exit: 2,
    text: 'illegal weight specified\n',
    why: 'trailing garbage (strtol end != NUL)',
  },
  {
    argv: ['-a', '-t', '1.2.3.4:80', '-r', '10.0.0.1', '-x', '2147483648'],
    exit: 2,
    text: 'illegal u_threshold specified\n',
    why: 'above INT_MAX',
  },
  {
    argv: ['-a', '-t', '1.2.3.4:80', '-r', '10.0.0.1', '-y', 'many'],
    exit: 2,
    text: 'illegal l_threshold specified\n',
    why: 'not a number',
  },
  {
    argv: ['-A', '-t', '1.2.3.4:80', '-p', '0'],
    exit: 2,
    text: "invalid timeout value `0' specified\n",
    why: 'persistence timeout below 1',
  },
  {
    argv: ['-A', '-t', '1.2.3.4:80', '-p', '2678401'],
    exit: 2,
    text: "invalid timeout value `2678401' specified\n",
    why: 'above MAX_TIMEOUT (31 days)',
  },
  { argv: ['-A', '-f', '0'], exit: 2, text: "invalid fwmark value `0' specified\n", why: 'fwmark 0' },
  {
    argv: ['-A', '-f', '4294967296'],
    exit: 2,
    text: "invalid fwmark value `4294967296' specified\n",
    why: 'fwmark above UINT_MAX',
  },
  {
    argv: ['-A', '-t', '1.2.3.4:80', '-M', '255.255.255.256'],
    exit: 2,
    text: 'illegal virtual server persistent mask specified\n',
    why: 'bad mask',
  },
  {
    argv: ['-A', '-t', '1.2.3.4:80', '-b', 'sh-port'],
    exit: 2,
    text: "incompatible scheduler flag `sh-port'\n",
    why: 'sh flag with the default wlc',
  },
  {
    argv: ['-A', '-t', '1.2.3.4:80', '-s', 'sh', '-b', 'sh-port,bogus'],
    exit: 2,
    text: "invalid scheduler flag `bogus'\n",
    why: 'unknown flag',
  },
  { argv: ['--set', '1', '2'], exit: 2, text: '--set option requires 3 timeout values\n', why: 'two values' },
  { argv: ['--set', '1', '2', 'x'], exit: 2, text: "invalid timeout value `x' specified\n", why: 'not a number' },
  { argv: ['--set', '1', '2', '3', '4'], exit: 2, text: 'unexpected argument 4\n', why: 'a fourth value' },
  { argv: ['-L', 'extra'], exit: 2, text: 'unexpected argument extra\n', why: 'a leftover word' },
  {
    argv: ['--start-daemon', 'primary'],
    exit: 2,
    text: 'illegal start-daemon parameter specified\n',
    why: 'not master/backup',
  },
  {
    argv: ['--stop-daemon', 'primary'],
    exit: 2,
    text: 'illegal start_daemon specified\n',
    why: "ipvsadm's own wording for stop",
  },
  {
    argv: ['--start-daemon', 'master', '--syncid', '256'],
    exit: 2,
    text: 'illegal syncid specified\n',
    why: 'syncid above 255',
  },
  {
    argv: ['--start-daemon', 'master', '--mcast-group', '10.0.0.1'],
    exit: 2,
    text: "invalid IPv4 mcast-group `10.0.0.1'\n",
    why: 'not multicast',
  },
  { argv: ['-Lc', '--stats'], exit: 2, text: 'options conflicts in the list command\n', why: '-c with --stats' },
  {
    argv: ['-L', '--timeout', '--persistent-conn'],
    exit: 2,
    text: 'options conflicts in the list command\n',
    why: '--timeout with --persistent-conn',
  },
  {
    argv: ['-a', '-t', '[2001:db8::1]:80', '-r', '10.0.0.1', '-m'],
    exit: 2,
    text: 'Different address family is allowed only for tunneling servers\n',
    why: 'an IPv4 real server of an IPv6 service, not tunnelled',
  },
  {
    argv: ['-e', '-f', '1', '-r', '2001:db8::2', '-g'],
    exit: 2,
    text: 'Different address family is allowed only for tunneling servers\n',
    why: 'an IPv6 real server of an IPv4 fwmark service, direct routing',
  },
  {
    argv: ['-A', '-6', '-f', '1'],
    exit: 2,
    text: '-6 used before -f\n\n',
    why: '-6 before -f (the message has its own \\n)',
  },
  {
    argv: ['-A', '-t', '[2001:db8::1]:80', '-p', '-M', '0'],
    exit: 2,
    text: 'illegal ipv6 netmask specified\n',
    why: '-M 0',
  },
  {
    argv: ['-A', '-t', '[2001:db8::1]:80', '-p', '-M', '129'],
    exit: 2,
    text: 'illegal ipv6 netmask specified\n',
    why: '-M 129',
  },
  {
    argv: ['-A', '-t', '[2001:db8::1]80'],
    exit: 2,
    text: 'illegal virtual server address[:port] specified\n',
    why: 'no colon after the bracket',
  },
  {
    argv: ['-A', '-t', '[2001:db8::1:80'],
    exit: 2,
    text: 'illegal virtual server address[:port] specified\n',
    why: 'no closing bracket',
  },
  {
    argv: ['-A', '-t', '[2001:db8::1%eth0]:80'],
    exit: 2,
    text: 'illegal virtual server address[:port] specified\n',
    why: 'a zone id: inet_pton(AF_INET6) refuses it, and it is no IPv4 host either',
  },
  {
    argv: ['-a', '-t', '[2001:db8::1]:80', '-r', '[2001:db8::2]:http2'],
    exit: 2,
    text: 'illegal real server address[:port] specified\n',
    why: 'an unknown service name as port',
  },
  {
    argv: ['--start-daemon', 'master', '--mcast-group', '2001:db8::1'],
    exit: 2,
    text: "invalid IPv6 mcast-group `2001:db8::1'\n",
    why: 'not IPv6 multicast (IN6_IS_ADDR_MULTICAST)',
  },
  {
    argv: ['--start-daemon', 'master', '--mcast-group', 'ff02::1:2:3'],
    exit: 2,
    text: "IPv6 mcast-group `ff02::1:2:3' is not supported by tsvs's sync daemon (IPv4 groups only)\n",
    why: 'a valid IPv6 group: the sync daemon joins IPv4 groups only',
  },
  {
    argv: ['-A', '--sctp-service', '1.2.3.4:80'],
    exit: 2,
    text: 'SCTP services are not supported by tsvs\n',
    why: 'no SCTP state machine in the data path',
  },
  {
    argv: ['-a', '--sctp-service', '1.2.3.4:80', '-r', '10.0.0.1', '-g'],
    exit: 2,
    text: 'SCTP services are not supported by tsvs\n',
    why: 'nor SCTP real servers',
  },
  {
    argv: ['-A', '-t', '1.2.3.4:80', '-6'],
    exit: 2,
    text: '-6 used before -f\n\n',
    why: "ipvsadm's message carries its own newline",
  },
  {
    argv: ['-a', '-t', '1.2.3.4:80', '-r', '10.0.0.1', '--tun-type', 'ipip'],
    exit: 2,
    text: 'Tunnel options conflict with forward method\n',
    why: 'tunnel option without -i',
  },
  {
    argv: ['-a', '-t', '1.2.3.4:80', '-r', '10.0.0.1', '-i', '--tun-type', 'gue'],
    exit: 2,
    text: "You need to supply the 'tun-port' option for the 'gue' tunnel type\n",
    why: 'tunnel grid',
  },
  {
    argv: ['-a', '-t', '1.2.3.4:80', '-r', '10.0.0.1', '-i', '--tun-port', '6080'],
    exit: 2,
    text: "Illegal 'tun-port' option with the 'ipip' tunnel type\n",
    why: 'tunnel grid',
  },
  {
    argv: ['-a', '-t', '1.2.3.4:80', '-r', '10.0.0.1', '-i', '--tun-type', 'gre', '--tun-csum'],
    exit: 2,
    text: "tunnel type `gre' is not supported by tsvs\n",
    why: 'tsvs has ipip and gue',
  },
  {
    argv: [
      '-a',
      '-t',
      '1.2.3.4:80',
      '-r',
      '10.0.0.1',
      '-i',
      '--tun-type',
      'gue',
      '--tun-port',
      '6080',
      '--tun-csum',
      '--tun-nocsum',
    ],
    exit: 2,
    text: "The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gue' tunnel type\n",
    why: 'tunnel grid: one checksum option',
  },
  {
    argv: ['-a', '-t', '1.2.3.4:80', '-r', '10.0.0.1', '-i', '--tun-type', 'vxlan'],
    exit: 2,
    text: 'illegal tunnel type specified\n',
    why: 'unknown tunnel type',
  },
];

for (const r of rejected) {
  t.test(`${r.argv.join(' ')} exits ${r.exit}: ${r.why}`, async (t) => {
    const e = t.throws(() => parse(r.argv)) as unknown;
    t.ok(e instanceof ArgvExit);
    if (e instanceof ArgvExit) {
      t.equal(e.text, r.text);
      t.equal(e.exitCode, r.exit);
      t.equal(e.toStdout, false);
    }
  });
}

t.test('-h prints the help on stdout and exits 0, naming the tsvs extensions', async (t) => {
  const e = t.throws(() => parse(['-h'])) as ArgvExit;
  t.equal(e.exitCode, 0);
  t.equal(e.toStdout, true);
  t.match(e.text, /^tsvsadm v\d+\.\d+\.\d+ \(ipvsadm v1\.31 compatible/);
  t.match(e.text, /  tsvsadm -A\|E virtual-service \[-s scheduler\]/);
  t.match(e.text, /--fullnat      -F {19}full NAT/);
  t.match(e.text, /--socket PATH/);
  t.match(e.text, /Start the daemon first: tsvsd --config \/etc\/tsvs\/tsvsd.conf/);
});

t.test('a -R line inside restore input is refused like ipvsadm (no infinite loop)', async (t) => {
  const e = t.throws(() => parse(['-R'], true)) as ArgvExit;
  t.equal(e.exitCode, 255);
  t.equal(e.text, TRYHELP);
});

t.test('the tutorial lines parse to the service and real servers they name', async (t) => {
  const a = parse(['-A', '-t', '192.168.88.5:80', '-s', 'rr']);
  t.equal(a.cmd, O.CMD_ADD);
  t.same(a.svc, {
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
  });
  const d = parse(['-a', '-t', '192.168.88.5:80', '-r', '192.168.99.100:80', '-w', '1', '-m']);
  t.equal(d.cmd, O.CMD_ADDDEST);
  t.same(d.dest, {
    af: 2,
    addr: 0xc0a86364,
    port: 80,
    fwd: FWD_MASQ,
    weight: 1,
    uThreshold: 0,
    lThreshold: 0,
    tunType: 0,
    tunPort: 0,
    tunFlags: 0,
  });
});

t.test('service names, inet_aton forms and optional -p values are read as ipvsadm reads them', async (t) => {
  const s = parse(['-A', '-u', '192.168.88.5:domain', '-p']);
  t.same(
    [s.svc.protocol, s.svc.port, s.svc.flags, s.svc.timeoutSec, s.svc.schedName],
    [IPPROTO_UDP, 53, SVC_F_PERSISTENT, 300, 'wlc'],
  );
  const short = parse(['-A', '-t', '10.1:http', '-p', '60', '-M', '255.255.0.0']);
  t.same([short.svc.addr, short.svc.port, short.svc.timeoutSec, short.svc.netmask], [0x0a000001, 80, 60, 0xffff0000]);
  t.equal(
    parse(['-A', '-t', '1.2.3.4:80', '-p', '-s', 'rr']).svc.timeoutSec,
    300,
    '-p does not swallow the next option',
  );
  t.equal(parse(['-A', '-t', '1.2.3.4:80', '-p600']).svc.timeoutSec, 600, 'attached value');
  t.equal(parse(['-A', '-t', '1.2.3.4:80', '--persistent=700']).svc.timeoutSec, 700, '--name=value');
  t.equal(parse(['-E', '-t', '1.2.3.4:80']).svc.schedName, 'wlc', '-E without -s sets the default scheduler');
  t.equal(parse(['-A', '-t', '[1.2.3.4]:80', '-p']).svc.port, 0, 'ipvsadm drops the port of a bracketed IPv4 address');
  t.equal(parse(['-A', '-t', '1.2.3.4:80', '-s', 'sh', '-b', 'sh-port,sh-fallback']).svc.flags, 0x18);
  t.equal(parse(['-A', '-t', '1.2.3.4:80', '-b', ',flag-3,']).svc.flags, 0x20, 'strtok skips empty flags');
});

t.test(
  'real-server ports follow ipvsadm: copied from the service, forced for -g/-i, kept for -m and fwmarks',
  async (t) => {
    const port = (argv: string[]) => parse(argv).dest.port;
    t.equal(port(['-a', '-t', '192.168.88.5:80', '-r', '192.168.99.100', '-m']), 80, 'no port: the service port');
    t.equal(
      port(['-a', '-t', '192.168.88.5:80', '-r', '192.168.99.100:8080']),
      80,
      'DR (the default) uses the service port',
    );
    t.equal(
      port(['-a', '-t', '192.168.88.5:80', '-r', '192.168.99.100:8080', '-i']),
      80,
      'tunnel uses the service port',
    );
    t.equal(
      port(['-a', '-t', '192.168.88.5:80', '-r', '192.168.99.100:8080', '-m']),
      8080,
      'masquerading keeps its port',
    );
    t.equal(port(['-a', '-t', '192.168.88.5:80', '-r', '192.168.99.100:8080', '-F']), 8080, 'full NAT keeps its port');
    t.equal(
      port(['-a', '-r', '192.168.99.100', '-m', '-t', '192.168.88.5:80']),
      0,
      '-r before -t copies the port not yet known',
    );
    t.equal(
      port(['-a', '-f', '5', '-r', '192.168.99.100:8080']),
      8080,
      'fwmark services keep the given port even for DR',
    );
    t.equal(parse(['-a', '-t', '1.2.3.4:80', '-r', '10.0.0.1', '--fullnat']).dest.fwd, FWD_FULLNAT);
    t.equal(parse(['-a', '-t', '1.2.3.4:80', '-r', '10.0.0.1']).dest.fwd, FWD_ROUTE, 'gatewaying is the default');
    t.equal(parse(['-a', '-t', '1.2.3.4:80', '-r', '10.0.0.1', '-i', '--tun-type', 'ipip']).dest.fwd, FWD_TUNNEL);
  },
);

t.test('the tunnel options fill tun_type, tun_port and tun_flags as ipvsadm sends them', async (t) => {
  const tun = (args: string[]) => {
    const d = parse(['-a', '-t', '1.2.3.4:80', '-r', '10.0.0.1', '-i', ...args]).dest;
    return [d.tunType, d.tunPort, d.tunFlags];
  };
  t.same(tun([]), [0, 0, 0], 'ipip, no port, no checksum by default');
  t.same(tun(['--tun-type', 'gue', '--tun-port', '6080']), [1, 6080, 0]);
  t.same(tun(['--tun-type', 'gue', '--tun-port', '6080', '--tun-csum']), [1, 6080, 1]);
  t.same(tun(['--tun-type', 'gue', '--tun-port', '6080', '--tun-remcsum']), [1, 6080, 2]);
  t.same(tun(['--tun-type', 'gue', '--tun-port', '6080', '--tun-nocsum']), [1, 6080, 0]);
});

t.test('listing options become format bits and short options may be clustered', async (t) => {
  const l = parse(['-Lnc']);
  t.equal(l.cmd, O.CMD_LIST);
  t.equal(l.format, O.FMT_NUMERIC);
  t.ok(l.options.has(O.OPTC_CONNECTION));
  t.equal(parse(['-l', '--stats', '--exact', '--nosort', '--sort']).format, O.FMT_STATS | O.FMT_EXACT | O.FMT_NOSORT);
  t.equal(parse(['-S', '-n']).cmd, O.CMD_SAVE);
  const z = parse(['-Z']);
  t.equal(z.cmd, O.CMD_ZERO);
  t.notOk(z.options.has(O.OPTC_SERVICE));
  t.same(parse(['--set', '0', '120', '0']).timeouts, { tcp: 0, tcpFin: 120, udp: 0 });
  t.equal(parse(['-a', '-t', '1.2.3.4:80', '-r', '10.0.0.1', '-w5']).dest.weight, 5);
});

t.test('host names are looked up in the table the CLI resolved beforehand', async (t) => {
  const c = parseArgv(['-a', '-t', 'vip.example:80', '-r', 'rs1.example', '-m'], {
    hosts: new Map([
      ['vip.example', 0x0a000001],
      ['rs1.example', 0x0a000002],
    ]),
    services: SERVICES_DB,
  });
  t.same([c.svc.addr, c.dest.addr, c.dest.port], [0x0a000001, 0x0a000002, 80]);
});
