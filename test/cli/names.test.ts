// Names for listings without -n: /etc/services lookups and bounded reverse DNS.
import t from 'tap';
import { ServicesDb } from '../../src/ipvsadm/services-db.ts';
import { NUMERIC_NAMES, ResolvedNames, resolveHostNames } from '../../src/cli/names.ts';
import { ManualTimers, settle } from '../../src/lib/timers.ts';

const db = new ServicesDb(
  '# comment\nhttp\t\t80/tcp\t\twww\t# WWW\nhttp 80/udp\nkerberos 88/tcp kerberos5 krb5\nbroken line\nx 70000/tcp\n',
);

t.test('getservbyname/getservbyport semantics: aliases, per protocol, first entry wins', async (t) => {
  t.equal(db.port('http', 6), 80);
  t.equal(db.port('www', 6), 80);
  t.equal(db.port('krb5', 6), 88);
  t.equal(db.port('kerberos', 17), -1);
  t.equal(db.port('http', 1), -1, 'no lookups for other protocols');
  t.equal(db.name(80, 6), 'http');
  t.equal(db.name(88, 6), 'kerberos');
  t.equal(db.name(443, 6), null);
  t.equal(db.port('x', 6), -1, 'ports above 65535 are ignored');
});

t.test('names print "host:service", falling back to numbers', async (t) => {
  const n = new ResolvedNames(new Map([['10.0.0.1', 'web1']]), db);
  t.equal(n.addrPort('10.0.0.1', 80, 6), 'web1:http');
  t.equal(n.addrPort('10.0.0.2', 8080, 6), '10.0.0.2:8080');
  t.equal(NUMERIC_NAMES.addrPort('10.0.0.1', 80, 6), '10.0.0.1:80');
});

t.test('reverse lookups run at once and stop at the deadline; late answers are ignored', async (t) => {
  const timers = new ManualTimers();
  const calls: string[] = [];
  let answerSlow: (name: string) => void = () => undefined;
  let done = false;
  const pending = resolveHostNames(
    ['10.0.0.1', '10.0.0.2', '10.0.0.1', '10.0.0.3'],
    100,
    (a) => {
      calls.push(a);
      if (a === '10.0.0.1') return Promise.resolve('fast');
      if (a === '10.0.0.2') return new Promise((r) => (answerSlow = r));
      return Promise.resolve(null);
    },
    timers,
  ).then((m) => {
    done = true;
    return m;
  });
  await timers.advance(99);
  t.notOk(done, 'still waiting for the slow lookup before the deadline');
  await timers.advance(1);
  t.ok(done, 'the slow lookup is abandoned at the 100 ms deadline');
  answerSlow('slow');
  await settle();
  const found = await pending;
  t.same(calls, ['10.0.0.1', '10.0.0.2', '10.0.0.3'], 'each address once');
  t.same([...found], [['10.0.0.1', 'fast']]);
  t.equal(timers.pending(), 0, 'no deadline timer left armed');
});
