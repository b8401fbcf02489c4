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
    errorOf('virtual_server 10.0.0.300 80 {\n}\n'),
    "ka.conf:1: virtual_server: invalid IPv4 address '10.0.0.300'",
  );
  t.equal(
    errorOf('virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n  weight 70000\n }\n}\n'),
    'ka.conf:3: weight: 70000 is out of range 0..65535',
  );
  t.equal(
    errorOf('virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n  FILE_CHECK {\n  }\n }\n}\n'),
    'ka.conf:3: FILE_CHECK is not supported by tsvs (supported: TCP_CHECK HTTP_GET SSL_GET UDP_CHECK PING_CHECK MISC_CHECK SMTP_CHECK DNS_CHECK)',
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
    errorOf('virtual_server 10.0.0.1 80 {\n  quorum_up "/bin/x\n}\n'),
    'ka.conf:2: unterminated double-quoted string',
  );
  t.equal(
    errorOf('virtual_server 2001:zz::1 80 {\n real_server 2001:db8::2 80 {\n }\n}\n'),
    "ka.conf:1: virtual_server: invalid IPv6 address '2001:zz::1'",
  );
  t.equal(
    errorOf('virtual_server 10.0.0.1 80 {\n ip_family inet6\n real_server 10.0.0.2 80 {\n }\n}\n'),
    "ka.conf:2: ip_family inet6 doesn't match the virtual server's address family",
  );
  t.equal(
    errorOf('virtual_server_group G {\n 10.0.0.1 80\n 2001:db8::5-1 80\n}\n'),
    "ka.conf:3: virtual_server_group G: invalid entry '2001:db8::5-1'",
  );
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

t.test('what keepalived only warns about loads, with its warning', async (t) => {
  const cfg = parseHealthConfig(
    `vrrp_instance VI_1 {
  lvs_sync_daemon_interface eth0
}
foo bar
virtual_server 10.0.0.1 80 {
  nat_mask 255.255.255.0
  persistence_timeout 0
  omega
  ha_suspend
  lb_algo rr
  sh-port
  quorum 5
  hysteresis 9
  real_server 10.0.0.2 80 {
    wieght 2
    smtp_alert
  }
  real_server 10.0.0.2 80 {
  }
  real_server 2001:db8::5 80 {
  }
}
virtual_server 10.0.0.9 80 {
}
`,
    'ka.conf',
  );
  t.same(cfg.warnings, [
    'ka.conf:1: vrrp_instance VI_1 is ignored by tsvsd: VRRP is keepalived\'s job. Run keepalived with this block on each director, its notify_fifo read by tsvsd (`vrrp-notify-fifo` and `vrrp-state backup` in tsvsd.conf\'s [engine]) (lab/README.md, "High availability: keepalived and VRRP")',
    "ka.conf:4: Unknown keyword 'foo'",
    "ka.conf:6: Unknown keyword 'nat_mask'",
    'ka.conf:7: persistence_timeout invalid',
    'ka.conf:8: keyword omega is accepted and ignored by tsvs',
    'ka.conf:9: keyword ha_suspend is accepted and ignored by tsvs',
    'ka.conf:11: sh-port only applies to sh scheduler - ignoring',
    'ka.conf:5: Virtual server 10.0.0.1:80: no protocol set - defaulting to UDP',
    "ka.conf:15: Unknown keyword 'wieght'",
    'ka.conf:16: keyword smtp_alert is accepted and ignored by tsvs',
    'ka.conf:18: VS UDP 10.0.0.1:80: real server 10.0.0.2:80 is duplicated - removing second rs',
    "ka.conf:20: Address family of virtual server and real server 2001:db8::5 don't match - skipping real server.",
    'ka.conf:5: Warning - quorum 5 for UDP 10.0.0.1:80 exceeds total weight of real servers 1, reducing quorum to 1',
    'ka.conf:5: Virtual server UDP 10.0.0.1:80: hysteresis 9 >= quorum 1; setting hysteresis to 0',
    'ka.conf:23: Virtual server 10.0.0.9:80: no protocol set - defaulting to UDP',
    'ka.conf:23: Virtual server UDP 10.0.0.9:80 has no real servers - ignoring',
  ]);
  t.equal(cfg.virtualServers.length, 1);
  t.match(cfg.virtualServers[0], { persistenceTimeoutSec: 0, quorum: 1, hysteresis: 0, schedFlags: 0 });
  t.equal(cfg.virtualServers[0]?.realServers.length, 1);
});

t.test('a virtual_server_group makes one service per member with the same settings', async (t) => {
  const cfg = parseHealthConfig(
    `virtual_server group G {
  lb_algo sh
  sh-port
  lb_kind DR
  persistence_timeout 50
  real_server 10.1.0.1 80 {
    weight 2
  }
}
virtual_server_group G {
  10.0.0.1 8080
  10.0.0.3-4 80
  fwmark 7
}
`,
    'ka.conf',
  );
  t.same(
    cfg.virtualServers.map((v) => [
      v.key,
      v.group,
      v.monitorKey,
      v.sched,
      v.method,
      v.persistenceTimeoutSec,
      v.schedFlags,
    ]),
    [
      ['UDP 10.0.0.1:8080', 'G', 'group G', 'sh', 'DR', 50, 0x10],
      ['UDP 10.0.0.3:80', 'G', 'group G', 'sh', 'DR', 50, 0x10],
      ['UDP 10.0.0.4:80', 'G', 'group G', 'sh', 'DR', 50, 0x10],
      ['FWM 7', 'G', 'group G', 'sh', 'DR', 50, 0x10],
    ],
  );
  // The real server keeps its own port in every member (fwmark included), as keepalived adds it.
  t.same(
    cfg.virtualServers.map((v) => v.realServers.map((r) => [r.key, r.weight])),
    [[['10.1.0.1:80', 2]], [['10.1.0.1:80', 2]], [['10.1.0.1:80', 2]], [['10.1.0.1:80', 2]]],
  );
});

t.test('a fwmark service takes real servers without a port, and a vs weight is their default', async (t) => {
  const cfg = parseHealthConfig(
    'virtual_server fwmark 3 {\n weight 4\n lb_kind DR\n real_server 10.0.0.2 {\n }\n real_server 10.0.0.3 {\n  weight 1\n }\n}\n',
    'ka.conf',
  );
  t.same(cfg.warnings, []);
  t.same(
    cfg.virtualServers[0]?.realServers.map((r) => [r.key, r.port, r.weight]),
    [
      ['10.0.0.2:0', 0, 4],
      ['10.0.0.3:0', 0, 1],
    ],
  );
});

t.test('SSL_GET, SMTP_CHECK and DNS_CHECK parse with the SSL block and their defaults', async (t) => {
  const cfg = parseHealthConfig(
    `SSL {
  ca /etc/ssl/ca.pem
  certificate /etc/ssl/client.pem
  key /etc/ssl/client.key
  password secret
}
virtual_server 10.0.0.1 443 {
  delay_loop 10
  protocol TCP
  virtualhost www.example.test
  real_server 10.0.0.2 443 {
    SSL_GET {
      url {
        path /
        digest 640205b7b0fc66c1ea91c463fac6334d
      }
      enable_sni
      tls_compliant
    }
    SMTP_CHECK {
      connect_port 25
      helo_name lb.example
    }
    DNS_CHECK {
      connect_port 53
      type a
      name example.com
    }
    DNS_CHECK {
      type WKS
      name bad..name
    }
  }
}
`,
    'ka.conf',
  );
  const [ssl, smtp, dns, dnsDefault] = cfg.virtualServers[0]!.realServers[0]!.checkers;
  t.match(ssl, {
    kind: 'SSL_GET',
    opts: {
      ssl: {
        ca: '/etc/ssl/ca.pem',
        certificate: '/etc/ssl/client.pem',
        key: '/etc/ssl/client.key',
        password: 'secret',
      },
      enableSni: true,
      virtualhost: 'www.example.test',
      urls: [{ path: '/', digest: '640205b7b0fc66c1ea91c463fac6334d' }],
    },
    loop: { delayBeforeRetryMs: 3000 },
  });
  t.match(smtp, { kind: 'SMTP_CHECK', opts: { connectPort: 25, heloName: 'lb.example' } });
  t.match(dns, { kind: 'DNS_CHECK', opts: { connectPort: 53, type: 1, name: 'example.com' }, loop: { retry: 3 } });
  // check_dns.c: an unknown type and a name with an empty label are ignored with a warning.
  t.match(dnsDefault, { opts: { type: 6, name: '' }, loop: { delayBeforeRetryMs: 10000 } });
  t.same(cfg.warnings, [
    'ka.conf:18: keyword tls_compliant is accepted and ignored by tsvs (node closes TLS with close_notify always)',
    'ka.conf:30: Unknown DNS check type WKS - ignoring',
    "ka.conf:31: DNS_CHECK name 'bad..name' has empty label - ignoring",
  ]);
});

t.test('SMTP_CHECK host blocks become checkers as check_smtp.c makes them', async (t) => {
  const rs = (body: string): unknown[] =>
    parseHealthConfig(
      `virtual_server 10.0.0.1 25 {\n protocol TCP\n connect_timeout 7\n real_server 10.0.0.2 25 {\n  SMTP_CHECK {\n${body}  }\n }\n}\n`,
      'ka.conf',
    ).virtualServers[0]!.realServers[0]!.checkers.map((c) => c.opts);
  // No connection option of its own: the first host replaces the block's connection.
  t.same(
    rs('   host {\n    connect_ip 10.0.0.3\n   }\n   host {\n    connect_ip 10.0.0.4\n    connect_port 587\n   }\n'),
    [
      { connectIp: 0x0a000003, connectTimeoutMs: 7000, heloName: 'smtpchecker.keepalived.org' },
      { connectIp: 0x0a000004, connectPort: 587, connectTimeoutMs: 7000, heloName: 'smtpchecker.keepalived.org' },
    ],
  );
  // Its own connect_timeout keeps the block's checker; hosts still take the real server's timeout.
  t.same(rs('   connect_timeout 10\n   helo_name lb\n   host {\n    connect_ip 10.0.0.3\n   }\n'), [
    { connectTimeoutMs: 10000, heloName: 'lb' },
    { connectIp: 0x0a000003, connectTimeoutMs: 7000, heloName: 'lb' },
  ]);
});

t.test("validate_check_config's service checks warn and correct", async (t) => {
  const cfg = parseHealthConfig(
    `virtual_server fwmark 2 {
  protocol TCP
  real_server 10.0.0.2 {
  }
}
virtual_server 10.0.0.1 0 {
  protocol TCP
  ops
  real_server 10.0.0.2 80 {
  }
}
`,
    'ka.conf',
  );
  t.same(cfg.warnings, [
    'ka.conf:1: Warning: Virtual server FWM 2: protocol specified for fwmark - protocol will be ignored',
    'ka.conf:6: Virtual server 10.0.0.1:0: one packet scheduling requires UDP - resetting',
    'ka.conf:6: Virtual server 10.0.0.1:0: zero port only valid for persistent services - setting',
  ]);
  t.match(cfg.virtualServers[1], { ops: false, persistenceTimeoutSec: 360 });
});

t.test('unknown checker keywords and log_all_failures warn, as keepalived does', async (t) => {
  const cfg = parseHealthConfig(
    `virtual_server 10.0.0.1 80 {
  protocol TCP
  real_server 10.0.0.2 80 {
    HTTP_GET {
      log_all_failures
      bogus 1
      extra {
        x 1
      }
      url {
        path /
        regex_options caseless
      }
    }
  }
}
`,
    'ka.conf',
  );
  t.same(cfg.warnings, [
    'ka.conf:5: keyword log_all_failures is accepted and ignored by tsvs (tsvsd logs state changes, not every failed probe)',
    "ka.conf:6: Unknown keyword 'bogus'",
    "ka.conf:7: Unknown keyword 'extra'",
    "ka.conf:12: Unknown keyword 'regex_options'",
  ]);
  t.equal(cfg.virtualServers[0]?.realServers[0]?.checkers.length, 1);
});

t.test('DR and TUN real servers get the port IPVS can use; checkers keep probing the written one', async (t) => {
  const cfg = parseHealthConfig(
    `virtual_server fwmark 4 {
  lb_kind DR
  sorry_server 10.0.0.9 8080
  real_server 10.0.0.2 80 {
  }
  real_server 10.0.0.3 {
    lvs_method NAT
  }
}
virtual_server 10.0.0.1 80 {
  protocol TCP
  lb_kind TUN
  real_server 10.0.0.2 8080 {
  }
  real_server 10.0.0.3 8080 {
    lvs_method NAT
  }
}
`,
    'ka.conf',
  );
  const [fwm, tun] = cfg.virtualServers;
  t.same(
    fwm?.realServers.map((r) => [r.key, r.port, r.checkPort]),
    [
      ['10.0.0.2:0', 0, 80],
      ['10.0.0.3:0', 0, 0],
    ],
  );
  t.match(fwm?.sorryServer, { key: '10.0.0.9:0', port: 0 });
  t.same(
    tun?.realServers.map((r) => [r.key, r.port, r.checkPort]),
    [
      ['10.0.0.2:80', 80, 8080],
      ['10.0.0.3:8080', 8080, 8080],
    ],
  );
  t.same(cfg.warnings, [
    'ka.conf:1: WARNING - fwmark virtual server FWM 4, real server 10.0.0.2:80 has port specified - clearing',
    'ka.conf:1: WARNING - virtual server FWM 4, sorry server has port specified - clearing',
    "ka.conf:10: WARNING - virtual server TCP 10.0.0.1:80 and real server 10.0.0.2:8080 ports don't match - resetting",
  ]);
});

t.test("vrrp_sync_group and vrrp_instance warn that VRRP is keepalived's job; the services still load", async (t) => {
  const cfg = parseHealthConfig(
    `vrrp_sync_group VG_1 {
  group {
    VI_1
  }
}
vrrp_script chk {
  script "true"
}
virtual_server 192.168.88.5 80 {
  protocol TCP
  real_server 192.168.99.100 80 {
  }
}
`,
    'ka.conf',
  );
  t.equal(cfg.virtualServers.length, 1);
  t.equal(cfg.warnings.length, 2);
  t.match(cfg.warnings[0], /^ka\.conf:1: vrrp_sync_group VG_1 is ignored by tsvsd: VRRP is keepalived's job\. /);
  t.match(cfg.warnings[0], /its notify_fifo read by tsvsd \(`vrrp-notify-fifo` and `vrrp-state backup`/);
  t.equal(
    cfg.warnings[1],
    'ka.conf:6: keyword vrrp_script is accepted and ignored by tsvs (tsvs runs no VRRP; keepalived does)',
  );
});

t.test('a BFD_CHECK is skipped with the warnings of check_bfd.c, the other checkers kept', async (t) => {
  const cfg = parseHealthConfig(
    `bfd_instance lvs1-web1 {
 neighbor_ip 10.0.0.2
}
virtual_server 10.0.0.1 80 {
 protocol TCP
 real_server 10.0.0.2 80 {
  BFD_CHECK {
   name lvs1-web1
  }
  TCP_CHECK {
  }
 }
 real_server 10.0.0.3 80 {
  BFD_CHECK {
   alpha
  }
 }
 real_server 10.0.0.4 80 {
  BFD_CHECK {
   name a b
  }
 }
}
`,
    'ka.conf',
  );
  const rs = cfg.virtualServers[0]?.realServers ?? [];
  t.same(
    rs.map((r) => [r.key, r.checkers.map((c) => c.kind)]),
    [
      ['10.0.0.2:80', ['TCP_CHECK']],
      ['10.0.0.3:80', []],
      ['10.0.0.4:80', []],
    ],
  );
  t.same(cfg.warnings, [
    'ka.conf:1: keyword bfd_instance is accepted and ignored by tsvs (not part of the LVS configuration)',
    'ka.conf:8: (10.0.0.2:80) BFD_CHECK - BFD lvs1-web1 not configured - skipping checker (tsvs runs no BFD daemon)',
    'ka.conf:14: (10.0.0.3:80) No name has been specified for BFD_CHECKER - skipping',
    'ka.conf:20: (10.0.0.4:80) BFD_CHECK - No or too many names specified - skipping checker',
  ]);
});
