import t from 'tap';
import { parseHealthConfig } from '../../src/health/config.ts';
import { parseBlocks } from '../../src/health/config-lexer.ts';
import { isTsvsError } from '../../src/lib/errors.ts';

const SAMPLE = `! keepalived-style configuration
global_defs {
  router_id LVS_A
}
virtual_server 192.168.88.5 80 {
  delay_loop 6
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  quorum 2
  hysteresis 1
  quorum_down "/usr/local/bin/page 'quorum lost'"
  sorry_server 192.168.99.200 8080
  inhibit_on_failure
  retry 3

  real_server 192.168.99.100 80 {
    weight 3
    notify_down /usr/local/bin/rs-down
    HTTP_GET {
      url {
        path /health
        digest 9B3A0C85A887A256D6939DA88AABD8CD
        status_code 200-299 503
      }
      connect_timeout 2.5
      delay_before_retry 0.5
    }
    TCP_CHECK {
      connect_port 8080
      retry 0
    }
  }
  real_server 192.168.99.101 80 {
    inhibit_on_failure off
    MISC_CHECK {
      misc_path "/usr/local/bin/check --host 192.168.99.101"
      misc_dynamic
    }
    UDP_CHECK {
      payload 0102 03
      require_reply 01xx
    }
    PING_CHECK { }
  }
}
`;

t.test('a keepalived configuration parses with inheritance and per-kind defaults', async (t) => {
  const cfg = parseHealthConfig(SAMPLE, 'keepalived.conf');
  t.equal(cfg.virtualServers.length, 1);
  const vs = cfg.virtualServers[0]!;
  t.match(vs, {
    key: 'TCP 192.168.88.5:80',
    sched: 'wrr',
    method: 'NAT',
    quorum: 2,
    hysteresis: 1,
    quorumDown: ['/usr/local/bin/page', 'quorum lost'],
  });
  t.same(vs.sorryServer, { addr: 0xc0a863c8, port: 8080, key: '192.168.99.200:8080', inhibit: false });
  const [a, b] = vs.realServers;
  t.match(a, { key: '192.168.99.100:80', weight: 3, inhibitOnFailure: true, notifyDown: ['/usr/local/bin/rs-down'] });
  const [http, tcp] = a!.checkers;
  t.equal(http?.kind, 'HTTP_GET');
  t.same(http?.loop, {
    delayLoopMs: 6000,
    retry: 3,
    delayBeforeRetryMs: 500,
    alpha: false,
    retryWhileDown: false,
    warmupMs: 6000,
  });
  if (http?.kind === 'HTTP_GET') {
    t.equal(http.opts.connectTimeoutMs, 2500);
    t.same(http.opts.urls[0], {
      path: '/health',
      statusCodes: [
        [200, 299],
        [503, 503],
      ],
      digest: '9b3a0c85a887a256d6939da88aabd8cd',
    });
    t.equal(http.opts.httpProtocol, '1.0');
  }
  t.same(tcp?.loop, {
    delayLoopMs: 6000,
    retry: 0,
    delayBeforeRetryMs: 1000,
    alpha: false,
    retryWhileDown: true,
    warmupMs: 6000,
  });
  if (tcp?.kind === 'TCP_CHECK') t.same(tcp.opts, { connectPort: 8080, connectTimeoutMs: 5000 });
  t.equal(b?.inhibitOnFailure, false);
  t.equal(b?.weight, 1);
  const [misc, udp, ping] = b!.checkers;
  if (misc?.kind === 'MISC_CHECK')
    t.same(misc.opts, { argv: ['/usr/local/bin/check', '--host', '192.168.99.101'], timeoutMs: 6000, dynamic: true });
  t.equal(misc?.loop.retry, 3, 'the virtual_server retry wins over the MISC default of 0');
  if (udp?.kind === 'UDP_CHECK') {
    t.same([...(udp.opts.payload ?? [])], [1, 2, 3]);
    t.equal(udp.opts.requireReply, true);
    t.same([...(udp.opts.reply?.mask ?? [])], [0, 0xff]);
  } else t.fail('expected UDP_CHECK');
  t.equal(ping?.kind, 'PING_CHECK');
});

t.test('without overrides the keepalived defaults apply', async (t) => {
  const cfg = parseHealthConfig(
    'virtual_server 10.0.0.1 53 {\n protocol UDP\n real_server 10.0.0.2 53 {\n  MISC_CHECK {\n   misc_path /bin/true\n  }\n  HTTP_GET {\n   url {\n    path /\n   }\n  }\n }\n}\n',
  );
  const vs = cfg.virtualServers[0]!;
  t.equal(vs.key, 'UDP 10.0.0.1:53');
  t.equal(vs.sched, 'wlc');
  const [misc, http] = vs.realServers[0]!.checkers;
  t.same(misc?.loop, {
    delayLoopMs: 60000,
    retry: 0,
    delayBeforeRetryMs: 1000,
    alpha: false,
    retryWhileDown: false,
    warmupMs: 60000,
  });
  t.same(http?.loop, {
    delayLoopMs: 60000,
    retry: 1,
    delayBeforeRetryMs: 3000,
    alpha: false,
    retryWhileDown: false,
    warmupMs: 60000,
  });
});

function errorOf(text: string): string {
  try {
    parseHealthConfig(text, 'ka.conf');
  } catch (e) {
    if (isTsvsError(e) && e.code === 'CONFIG_INVALID') return e.message;
    throw e;
  }
  return 'no error';
}

t.test('broken configurations fail with the file and line number', async (t) => {
  t.equal(
    errorOf('virtual_server 10.0.0.1 80 {\n  real_server 10.0.0.2 80 {\n    weight 1\n'),
    "ka.conf:2: block opened here is missing its closing '}'",
  );
  t.equal(errorOf('virtual_server 10.0.0.1 80 {\n}\n}\n'), "ka.conf:3: unexpected '}'");
  t.equal(
    errorOf('virtual_server 10.0.0.1 80 {\n  delay_loop soon\n}\n'),
    "ka.conf:2: delay_loop: invalid time 'soon' (seconds, e.g. 3 or 0.5)",
  );
  t.equal(
    errorOf('virtual_server 10.0.0.1 80 {\n  real_server 10.0.0.2 80 {\n    wieght 2\n  }\n}\n'),
    "ka.conf:3: unknown keyword 'wieght' in real_server",
  );
  t.equal(
    errorOf('virtual_server 10.0.0.300 80 {\n}\n'),
    "ka.conf:1: virtual_server: invalid IPv4 address '10.0.0.300'",
  );
  t.equal(
    errorOf('virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n  weight 70000\n }\n}\n'),
    'ka.conf:3: weight: 70000 is out of range 0..65535',
  );
  t.equal(
    errorOf('virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n  SSL_GET {\n  }\n }\n}\n'),
    'ka.conf:3: SSL_GET is not supported by tsvs (supported: TCP_CHECK HTTP_GET UDP_CHECK PING_CHECK MISC_CHECK)',
  );
  t.equal(
    errorOf(
      'virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n  HTTP_GET {\n   url {\n    status_code 200-2999\n   }\n  }\n }\n}\n',
    ),
    "ka.conf:5: status_code: invalid code or range '200-2999' (100-599)",
  );
  t.equal(
    errorOf('virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n  notify_up /bin/x nobody\n }\n}\n'),
    "ka.conf:3: notify_up: running a script as user 'nobody' is not supported (quote the script and its arguments)",
  );
  t.equal(
    errorOf('virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n }\n real_server 10.0.0.2 80 {\n }\n}\n'),
    'ka.conf:4: real_server 10.0.0.2:80 is already defined at line 2',
  );
  t.equal(
    errorOf('virtual_server 10.0.0.1 80 {\n  quorum_up "/bin/x\n}\n'),
    'ka.conf:2: unterminated double-quoted string',
  );
  t.equal(errorOf('vrrp_instance VI_1 {\n state MASTER\n}\nfoo bar\n'), "ka.conf:4: unknown top-level keyword 'foo'");
});

t.test('the lexer takes braces on the next line, one-line blocks and comments', async (t) => {
  const st = parseBlocks('a 1 # c\n{\n  b 2 ! c\n  url { path / }\n}\n');
  t.same(st, [
    {
      key: 'a',
      args: [{ text: '1', quoted: false }],
      line: 1,
      block: [
        { key: 'b', args: [{ text: '2', quoted: false }], line: 3, block: undefined },
        {
          key: 'url',
          args: [],
          line: 4,
          block: [{ key: 'path', args: [{ text: '/', quoted: false }], line: 4, block: undefined }],
        },
      ],
    },
  ]);
});
