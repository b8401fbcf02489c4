import t from 'tap';
import net from 'node:net';
import { SmtpCheck, SMTP_DEFAULT_HELO, smtpStatus } from '../../src/health/smtp-check.ts';

const LO = 0x7f000001;
const sig = (): AbortSignal => new AbortController().signal;

/** A tiny SMTP responder: `script` maps each stage to the line it sends; records what it got. */
async function smtpServer(
  t: { teardown(fn: () => unknown): void },
  script: { greeting: string | null; helo: string; quit: string },
): Promise<{ port: number; got: string[] }> {
  const got: string[] = [];
  const srv = net.createServer((s) => {
    s.on('error', () => {});
    if (script.greeting !== null) s.write(script.greeting);
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        got.push(line);
        if (line.startsWith('HELO ')) s.write(script.helo);
        else if (line === 'QUIT') s.end(script.quit);
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => {
    srv.close();
  });
  return { port: (srv.address() as net.AddressInfo).port, got };
}

t.test('smtp_get_status reads the number a line starts with, as strtoul', async (t) => {
  t.equal(smtpStatus('220 mail.example ESMTP\r\n'), 220);
  t.equal(smtpStatus('220-first line of many\r\n'), 220);
  t.equal(smtpStatus('hello\r\n'), 0);
});

t.test('a 220 greeting, 250 to HELO and a QUIT reply make the check pass', async (t) => {
  const { port, got } = await smtpServer(t, {
    greeting: '220-mail.example ESMTP\r\n',
    helo: '250 mail.example\r\n',
    quit: '221 bye\r\n',
  });
  const check = new SmtpCheck({ connectTimeoutMs: 2000, heloName: 'lb1.example' });
  t.same(await check.check({ addr: LO, port }, sig()), { ok: true, reason: '' });
  t.same(got, ['HELO lb1.example', 'QUIT']);
  t.equal(SMTP_DEFAULT_HELO, 'smtpchecker.keepalived.org');
});

t.test('a bad greeting, a bad HELO reply, silence and a refused port fail with keepalived words', async (t) => {
  const check = new SmtpCheck({ connectTimeoutMs: 300, heloName: SMTP_DEFAULT_HELO });
  const bad = await smtpServer(t, { greeting: '554 go away\r\n', helo: '', quit: '' });
  t.same(await check.check({ addr: LO, port: bad.port }, sig()), {
    ok: false,
    reason: `Bad greeting banner from server 127.0.0.1:${bad.port}`,
  });
  t.same(bad.got, [], 'no HELO after a bad greeting');
  const noHelo = await smtpServer(t, { greeting: '220 ok\r\n', helo: '501 bad name\r\n', quit: '' });
  t.same(await check.check({ addr: LO, port: noHelo.port }, sig()), {
    ok: false,
    reason: `Bad HELO response from server 127.0.0.1:${noHelo.port}`,
  });
  const silent = await smtpServer(t, { greeting: null, helo: '', quit: '' });
  t.same(await check.check({ addr: LO, port: silent.port }, sig()), {
    ok: false,
    reason: `Read timeout from server 127.0.0.1:${silent.port}`,
  });
  const gone = net.createServer();
  await new Promise<void>((r) => gone.listen(0, '127.0.0.1', () => r()));
  const deadPort = (gone.address() as net.AddressInfo).port;
  await new Promise<void>((r) => gone.close(() => r()));
  t.same(await check.check({ addr: LO, port: deadPort }, sig()), {
    ok: false,
    reason: `Error connecting to server 127.0.0.1:${deadPort}: connection refused`,
  });
});
