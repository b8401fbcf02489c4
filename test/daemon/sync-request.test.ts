import t from 'tap';
import { parseConfig } from '../../src/daemon/config-file.ts';
import { parseRuleLines } from '../../src/daemon/load-rules.ts';
import { parseSyncRequest, startDaemonRequests } from '../../src/daemon/sync-request.ts';

const CONF = `[rules]
-A -t 192.168.88.5:80 -s rr
--start-daemon master --mcast-interface eth1 --syncid 3 --mcast-group 224.0.0.82
`;

t.test('a --start-daemon line of [rules] starts a daemon at boot and is no rule', async (t) => {
  const cfg = parseConfig(CONF, '/etc/tsvs/tsvsd.conf');
  const rules = await parseRuleLines(cfg.ruleLines);
  t.same(
    rules.map((r) => r.req.op),
    ['service.add'],
  );
  t.same(startDaemonRequests(cfg.path, cfg.ruleLines), [
    {
      state: 'master',
      mcastIfn: 'eth1',
      syncid: 3,
      syncMaxlen: 0,
      mcastGroup: 0xe0000052,
      mcastPort: 0,
      mcastTtl: 0,
    },
  ]);
});

t.test('a wrong --start-daemon line names the file and line with ipvsadm words', async (t) => {
  const cfg = parseConfig('[rules]\n\n--start-daemon master --syncid 300\n', '/etc/tsvs/tsvsd.conf');
  t.throws(() => startDaemonRequests(cfg.path, cfg.ruleLines), {
    code: 'ECONFIG',
    message: '/etc/tsvs/tsvsd.conf:3: illegal syncid specified',
  });
});

t.test('daemon.start requests are checked field by field', async (t) => {
  t.match(parseSyncRequest({ state: 'backup' }), { state: 'backup', mcastIfn: '', syncid: 0, mcastGroup: 0 });
  const bad: [unknown, string][] = [
    [{ state: 'primary' }, 'state must be master or backup'],
    [{ state: 'master', syncid: 256 }, 'syncid must be an integer from 0 to 255'],
    [{ state: 'master', mcastIfn: 'a/b' }, 'mcastIfn must be an interface name of at most 15 characters'],
    [{ state: 'master', mcastTtl: 1.5 }, 'mcastTtl must be an integer from 1 to 255'],
  ];
  t.throws(() => parseSyncRequest({ state: 'master', mcastGroup: 0x0a000001 }), {
    code: 'EINVAL',
    message: 'mcastGroup must be an IPv4 multicast address',
  });
  for (const [args, message] of bad) {
    t.throws(() => parseSyncRequest(args), { code: 'EBADREQ', message }, message);
  }
});
