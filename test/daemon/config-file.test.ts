// The tsvsd config file: sections, engine settings into an EngineConfig, [rules] lines with
// their line numbers, and errors that name the file and line.
import t from 'tap';
import { availableParallelism } from 'node:os';
import { parseConfig } from '../../src/daemon/config-file.ts';
import { TsvsError } from '../../src/lib/errors.ts';

const EXAMPLE = `# tsvsd.conf
[daemon]
socket /run/tsvs/other.sock
rules /var/lib/tsvs/other-rules   # trailing comment
log-level debug

[engine]
interface eth0 owned 192.168.88.5,192.168.88.6 subnet 192.168.88.0/24 gateway 192.168.88.1
interface eth1 subnet 192.168.99.0/24
fullnat-address 192.168.99.250
conn-capacity 1000

[rules]
-A -t 192.168.88.5:80 -s rr   # web
ipvsadm -a -t 192.168.88.5:80 -r 192.168.99.100:80 -m -w 1
`;

t.test('the example config parses into daemon settings, an EngineConfig and numbered rule lines', async (t) => {
  const c = parseConfig(EXAMPLE, '/etc/tsvs/tsvsd.conf');
  t.same([c.socketPath, c.rulesPath, c.logLevel], ['/run/tsvs/other.sock', '/var/lib/tsvs/other-rules', 'debug']);
  t.same(c.engine, {
    ports: [
      { name: 'eth0', owned: [0xc0a85805, 0xc0a85806], subnets: [[0xc0a85800, 24]], gateway: 0xc0a85801 },
      { name: 'eth1', owned: [], subnets: [[0xc0a86300, 24]], gateway: 0 },
    ],
    fullNatAddrs: [0xc0a863fa],
    connCapacity: 1000,
  });
  t.same(c.ruleLines, [
    { line: 14, tokens: ['-A', '-t', '192.168.88.5:80', '-s', 'rr'] },
    { line: 15, tokens: ['-a', '-t', '192.168.88.5:80', '-r', '192.168.99.100:80', '-m', '-w', '1'] },
  ]);
});

t.test('fullnat-address takes IPv4 and IPv6 addresses, each family apart', async (t) => {
  const c = parseConfig(
    '[engine]\nfullnat-address 192.168.99.6,2001:db8:99::250\nfullnat-address 2001:db8:99::251\n',
    '/c',
  );
  t.same(c.engine.fullNatAddrs, [0xc0a86306]);
  t.same(
    c.engine.fullNatAddrs6?.map((a) => Array.from(a)),
    [
      [0x20010db8, 0x00990000, 0, 0x250],
      [0x20010db8, 0x00990000, 0, 0x251],
    ],
  );
  t.equal(parseConfig('[engine]\nfullnat-address 192.168.99.6\n', '/c').engine.fullNatAddrs6, undefined);
  t.throws(() => parseConfig('[engine]\nfullnat-address 2001:db8::zz\n', '/c'), {
    message: '/c:2: fullnat-address: not an IPv6 address: 2001:db8::zz',
  });
});

t.test('fullnat-ports sets the local port range of every full NAT address', async (t) => {
  const c = parseConfig('[engine]\nfullnat-address 192.168.99.6\nfullnat-ports 40000-40015\n', '/c');
  t.same(c.engine.fullNatPorts, [40000, 40015]);
  t.equal(parseConfig('[engine]\n', '/c').engine.fullNatPorts, undefined);
  t.equal(parseConfig('[engine]\nbusy-poll-us 0\n', '/c').engine.busyPollUs, 0);
  t.equal(parseConfig('[engine]\npoll-interval-us 50\n', '/c').engine.pollIntervalUs, 50);
  t.equal(parseConfig('[engine]\njumbo-slots 0\n', '/c').engine.jumboSlots, 0);
  t.equal(parseConfig('[engine]\n', '/c').engine.jumboSlots, undefined, 'jumbo-slots: the addon default');
  t.equal(parseConfig('[engine]\nkernel-filter off\n', '/c').engine.kernelFilter, false);
  t.equal(parseConfig('[engine]\nkernel-filter on\n', '/c').engine.kernelFilter, true);
  t.equal(parseConfig('[engine]\nvrrp-state backup\n', '/c').engine.vrrpState, 'backup');
  t.equal(parseConfig('[engine]\nvrrp-state master\n', '/c').engine.vrrpState, 'master');
  t.equal(parseConfig('[engine]\n', '/c').engine.vrrpState, undefined);
  t.equal(parseConfig('[engine]\nvrrp-notify-fifo vrrp.fifo\n', '/c').engine.vrrpNotifyFifo, 'vrrp.fifo');
  t.equal(parseConfig('[engine]\nvrrp-notify-fifo /run/k.fifo\n', '/c').engine.vrrpNotifyFifo, '/run/k.fifo');
  t.equal(parseConfig('[engine]\n', '/c').engine.kernelFilter, undefined, 'unset: the engine runner installs it');
});

t.test('sloppy-tcp takes off, on or consistent; unset means off', async (t) => {
  for (const v of ['off', 'on', 'consistent'])
    t.equal(parseConfig(`[engine]\nsloppy-tcp ${v}\n`, '/c').engine.sloppyTcp, v);
  t.equal(parseConfig('[engine]\n', '/c').engine.sloppyTcp, undefined);
});

const errors: [string, string][] = [
  ['socket /x\n', '/c:1: setting outside a section; start with [daemon], [engine] or [rules]'],
  ['[nope]\n', '/c:1: unknown section [nope] (daemon, engine, rules)'],
  ['[daemon]\nsocket\n', '/c:2: socket takes one value'],
  ['[daemon]\nlog-level loud\n', '/c:2: log-level must be debug, info, warn or error'],
  [
    '[daemon]\ncolour blue\n',
    '/c:2: unknown daemon setting colour (socket, rules, log-level, socket-group, socket-mode)',
  ],
  ['[engine]\ninterface\n', '/c:2: interface needs a name'],
  ['[engine]\ninterface eth0 owned 1.2.3\n', '/c:2: owned: not an IPv4 address: 1.2.3'],
  ['[engine]\ninterface eth0 subnet 10.0.0.0/33\n', '/c:2: subnet: not an IPv4 prefix: 10.0.0.0/33'],
  ['[engine]\ninterface eth0 mtu 9000\n', '/c:2: unknown interface setting mtu (owned, subnet, gateway)'],
  ['[engine]\nconn-capacity 0\n', '/c:2: conn-capacity must be a positive integer'],
  ['[engine]\nfullnat-ports 2000\n', '/c:2: fullnat-ports must be MIN-MAX with 1 <= MIN <= MAX <= 65535'],
  ['[engine]\nkernel-filter yes\n', '/c:2: kernel-filter must be on or off'],
  ['[engine]\nsloppy-tcp 1\n', '/c:2: sloppy-tcp must be off, on or consistent'],
  ['[engine]\nsloppy-tcp on off\n', '/c:2: sloppy-tcp must be off, on or consistent'],
  ['[engine]\nvrrp-state fault\n', '/c:2: vrrp-state must be master or backup (the state tsvsd starts in)'],
  [
    '[engine]\nvrrp-notify-fifo run/k.fifo\n',
    "/c:2: vrrp-notify-fifo must be an absolute path or a file name beside the control socket (keepalived's notify_fifo)",
  ],
  ['[engine]\nstate-file tsvs.state\n', '/c:2: state-file must be an absolute path or none'],
  ['[engine]\nstate-file\n', '/c:2: state-file must be an absolute path or none'],
  ['[engine]\nworkers 0\n', '/c:2: workers must be auto or an integer from 1 to 64'],
  ['[engine]\nworkers 65\n', '/c:2: workers must be auto or an integer from 1 to 64'],
  ['[engine]\nworkers two\n', '/c:2: workers must be auto or an integer from 1 to 64'],
  ['[engine]\nfullnat-ports 3000-2000\n', '/c:2: fullnat-ports must be MIN-MAX with 1 <= MIN <= MAX <= 65535'],
  ['[engine]\nfullnat-ports 0-10\n', '/c:2: fullnat-ports must be MIN-MAX with 1 <= MIN <= MAX <= 65535'],
  ['[engine]\nfullnat-ports 1-70000\n', '/c:2: fullnat-ports must be MIN-MAX with 1 <= MIN <= MAX <= 65535'],
  ['[engine]\nbusy-poll-us -1\n', '/c:2: busy-poll-us must be an integer from 0 to 1000'],
  ['[engine]\nbusy-poll-us 5000\n', '/c:2: busy-poll-us must be an integer from 0 to 1000'],
  ['[engine]\npoll-interval-us x\n', '/c:2: poll-interval-us must be an integer from 0 to 1000'],
  ['[engine]\njumbo-slots 4097\n', '/c:2: jumbo-slots must be an integer from 0 to 4096'],
  [
    '[engine]\nturbo on\n',
    '/c:2: unknown engine setting turbo (interface, fullnat-address, fullnat-ports, busy-poll-us, poll-interval-us, jumbo-slots, kernel-filter, conn-capacity, embryonic-quota, drop-entry, drop-packet, secure-tcp, amemthresh, am-droprate, vrrp-state, vrrp-notify-fifo, sloppy-tcp, state-file, workers)',
  ],
];
for (const [text, message] of errors) {
  t.test(`config errors name file and line: ${message}`, async (t) => {
    const e = t.throws(() => parseConfig(text, '/c')) as unknown;
    t.ok(e instanceof TsvsError);
    t.same([(e as TsvsError).code, (e as TsvsError).message], ['ECONFIG', message]);
  });
}

t.test('state-file takes an absolute path or none; without it the engine uses the default', async (t) => {
  t.equal(parseConfig('[engine]\nstate-file /dev/shm/lb.state\n', '/c').engine.stateFile, '/dev/shm/lb.state');
  t.equal(parseConfig('[engine]\nstate-file none\n', '/c').engine.stateFile, 'none');
  t.equal(parseConfig('[engine]\nconn-capacity 10\n', '/c').engine.stateFile, undefined);
});

t.test('workers takes a count, or auto for one per CPU the process may use', async (t) => {
  t.equal(parseConfig('[engine]\nworkers 3\n', '/c').engine.workers, 3);
  t.equal(parseConfig('[engine]\nworkers auto\n', '/c').engine.workers, Math.min(availableParallelism(), 64));
  t.equal(parseConfig('[engine]\n', '/c').engine.workers, undefined, 'no key: the data path stays on the main thread');
});
