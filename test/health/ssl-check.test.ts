import t from 'tap';
import net from 'node:net';
import tls from 'node:tls';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { sslCheck, type SslCheckOpts } from '../../src/health/ssl-check.ts';
import { DEFAULT_STATUS_CODES, type HttpUrl } from '../../src/health/http-check.ts';

const LO = 0x7f000001;
const BODY = '<html>tls is healthy</html>\n';
const md5 = createHash('md5').update(BODY).digest('hex');
const reply = (status: string): string => `HTTP/1.0 ${status}\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`;

/** A self-signed certificate and key made with the openssl CLI; the key encrypted when pass is given. */
function selfSigned(dir: string, name: string, cn: string, pass?: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  const args = [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-days',
    '1',
    '-subj',
    `/CN=${cn}`,
    '-keyout',
    key,
    '-out',
    cert,
  ];
  execFileSync('openssl', [...args, ...(pass !== undefined ? ['-passout', `pass:${pass}`] : ['-nodes'])], {
    stdio: 'ignore',
  });
  return { cert, key };
}

interface Seen {
  request: string;
  servername: string | false;
  clientCn: string;
}

/** A TLS server on loopback answering every request with `answer`; records what each client sent. */
async function tlsServer(
  t: { teardown(fn: () => unknown): void },
  files: { cert: string; key: string },
  answer: string,
): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const srv = tls.createServer(
    { cert: readFileSync(files.cert), key: readFileSync(files.key), requestCert: true, rejectUnauthorized: false },
    (s) => {
      let buf = '';
      s.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        if (!buf.includes('\r\n\r\n')) return;
        const peer = s.getPeerCertificate();
        const cn = peer.subject?.CN;
        seen.push({
          request: buf,
          servername: (s as tls.TLSSocket & { servername: string | false }).servername,
          clientCn: typeof cn === 'string' ? cn : '',
        });
        s.end(answer);
      });
      s.on('error', () => {});
    },
  );
  srv.on('tlsClientError', () => {});
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => srv.close(() => r())));
  return { port: (srv.address() as net.AddressInfo).port, seen };
}

const url = (u: Partial<HttpUrl> = {}): HttpUrl => ({ path: '/health', statusCodes: DEFAULT_STATUS_CODES, ...u });
function opts(urls: HttpUrl[], extra: Partial<SslCheckOpts> = {}): SslCheckOpts {
  return {
    connectTimeoutMs: 2000,
    urls,
    httpProtocol: '1.0',
    maxResponseBytes: 65536,
    ssl: {},
    enableSni: false,
    ...extra,
  };
}
const sig = (): AbortSignal => new AbortController().signal;

t.test('SSL_GET checks status and MD5 digest over TLS, never verifying the certificate', async (t) => {
  const dir = t.testdir({});
  const srvFiles = selfSigned(dir, 'server', 'rs.example.test');
  const other = selfSigned(dir, 'other-ca', 'unrelated CA');
  const { port, seen } = await tlsServer(t, srvFiles, reply('200 OK'));
  const target = { addr: LO, port };
  // The `ca` is loaded but, as in keepalived (no SSL_CTX_set_verify), does not decide anything.
  const check = sslCheck(opts([url({ digest: md5 })], { ssl: { ca: other.cert } }));
  t.equal(check.kind, 'SSL_GET');
  t.same(await check.check(target, sig()), { ok: true, reason: '' });
  t.equal(seen[0]?.request, `GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  t.equal(seen[0]?.servername, false, 'no SNI without enable_sni');
  t.same(await sslCheck(opts([url({ digest: '0'.repeat(32) })])).check(target, sig()), {
    ok: false,
    reason: 'MD5 digest error',
  });
  t.same(await sslCheck(opts([url({ statusCodes: [[300, 399]] })])).check(target, sig()), {
    ok: false,
    reason: 'HTTP status code error: 200',
  });
});

t.test('enable_sni sends sni_name, else the url virtualhost; a client certificate with its password', async (t) => {
  const dir = t.testdir({});
  const { port, seen } = await tlsServer(t, selfSigned(dir, 'server', 'rs'), reply('200 OK'));
  const target = { addr: LO, port };
  const u = url({ virtualhost: 'www.example.test' });
  t.same(await sslCheck(opts([u], { enableSni: true })).check(target, sig()), { ok: true, reason: '' });
  t.equal(seen[0]?.servername, 'www.example.test');
  t.match(seen[0]?.request, /\r\nHost: www\.example\.test\r\n/);
  t.same(await sslCheck(opts([u], { enableSni: true, sniName: 'sni.example.test' })).check(target, sig()), {
    ok: true,
    reason: '',
  });
  t.equal(seen[1]?.servername, 'sni.example.test');
  const client = selfSigned(dir, 'client', 'tsvs-client', 's3cret');
  const withCert = sslCheck(opts([url()], { ssl: { certificate: client.cert, key: client.key, password: 's3cret' } }));
  t.same(await withCert.check(target, sig()), { ok: true, reason: '' });
  t.equal(seen[2]?.clientCn, 'tsvs-client', 'the server saw the client certificate');
  t.throws(
    () => sslCheck(opts([url()], { ssl: { ca: path.join(dir, 'missing.pem') } })),
    /SSL error: cannot load CA file .*missing\.pem/,
  );
});

t.test('a server that does not speak TLS, or nothing listening, fails', async (t) => {
  const plain = net.createServer((s) => {
    s.on('error', () => {});
    s.end(reply('200 OK'));
  });
  await new Promise<void>((r) => plain.listen(0, '127.0.0.1', () => r()));
  const r = await sslCheck(opts([url()])).check({ addr: LO, port: (plain.address() as net.AddressInfo).port }, sig());
  t.equal(r.ok, false);
  t.not(r.reason, '');
  plain.close();
  const gone = net.createServer();
  await new Promise<void>((res) => gone.listen(0, '127.0.0.1', () => res()));
  const deadPort = (gone.address() as net.AddressInfo).port;
  await new Promise<void>((res) => gone.close(() => res()));
  t.same(await sslCheck(opts([url()])).check({ addr: LO, port: deadPort }, sig()), {
    ok: false,
    reason: 'connection refused',
  });
});
