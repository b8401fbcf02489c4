import t from 'tap';
import net from 'node:net';
import { createHash } from 'node:crypto';
import {
  HttpCheck,
  buildHttpRequest,
  parseContentLength,
  parseStatusCode,
  DEFAULT_STATUS_CODES,
  type HttpCheckOpts,
  type HttpUrl,
} from '../../src/health/http-check.ts';

const LO = 0x7f000001;

/** A raw HTTP server: records each request, answers with `reply` (or hangs when it is null). */
async function server(reply: string | null): Promise<{ port: number; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const socks = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    socks.add(s);
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n\r\n')) {
        requests.push(buf);
        if (reply !== null) s.end(reply);
      }
    });
    s.on('error', () => {});
    s.on('close', () => socks.delete(s));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  return {
    port,
    requests,
    close: () =>
      new Promise((r) => {
        for (const s of socks) s.destroy();
        srv.close(() => r());
      }),
  };
}

const BODY = '<html>tsvs is healthy</html>\n';
const ok200 = `HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`;
const md5 = createHash('md5').update(BODY).digest('hex');

function opts(urls: HttpUrl[], extra: Partial<HttpCheckOpts> = {}): HttpCheckOpts {
  return { connectTimeoutMs: 300, urls, httpProtocol: '1.0', maxResponseBytes: 65536, ...extra };
}
const url = (u: Partial<HttpUrl> = {}): HttpUrl => ({ path: '/health', statusCodes: DEFAULT_STATUS_CODES, ...u });
const sig = (): AbortSignal => new AbortController().signal;

t.test("the request is keepalived's template byte for byte", async (t) => {
  t.equal(
    buildHttpRequest('/x', '1.0', '10.0.0.1:80'),
    'GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 10.0.0.1:80\r\n\r\n',
  );
  t.equal(
    buildHttpRequest('/x', '1.0C', 'www'),
    'GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www\r\n\r\n',
  );
  t.equal(
    buildHttpRequest('/', '1.1', 'www'),
    'GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www\r\n\r\n',
  );
  t.equal(parseStatusCode('HTTP/1.1 503 Service Unavailable'), 503);
  t.equal(parseStatusCode('garbage'), 0);
  t.equal(parseContentLength('HTTP/1.0 200 OK\r\ncontent-length: 42\r\nX: y'), 42);
  t.equal(parseContentLength('HTTP/1.0 200 OK'), -1);
});

t.test('HTTP_GET passes on 200 with the right digest and sends Host ip:port', async (t) => {
  const s = await server(ok200);
  const r = await new HttpCheck(opts([url({ digest: md5 })])).check({ addr: LO, port: s.port }, sig());
  t.same(r, { ok: true, reason: '' });
  t.equal(s.requests[0], `GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:${s.port}\r\n\r\n`);
  await s.close();
});

t.test('a virtualhost replaces ip:port in the Host header', async (t) => {
  const s = await server(ok200);
  await new HttpCheck(opts([url({ virtualhost: 'www.example.test' })])).check({ addr: LO, port: s.port }, sig());
  t.match(s.requests[0], /\r\nHost: www\.example\.test\r\n/);
  await s.close();
});

t.test('a wrong digest fails', async (t) => {
  const s = await server(ok200);
  const r = await new HttpCheck(opts([url({ digest: '0'.repeat(32) })])).check({ addr: LO, port: s.port }, sig());
  t.same(r, { ok: false, reason: 'MD5 digest error' });
  await s.close();
});

t.test('status codes are matched against the configured ranges', async (t) => {
  const s500 = await server('HTTP/1.0 500 Internal Server Error\r\n\r\noops');
  t.same(await new HttpCheck(opts([url()])).check({ addr: LO, port: s500.port }, sig()), {
    ok: false,
    reason: 'HTTP status code error: 500',
  });
  t.same(
    await new HttpCheck(
      opts([
        url({
          statusCodes: [
            [200, 299],
            [500, 500],
          ],
        }),
      ]),
    ).check({ addr: LO, port: s500.port }, sig()),
    { ok: true, reason: '' },
  );
  await s500.close();
  const s301 = await server('HTTP/1.1 301 Moved\r\nLocation: /\r\n\r\n');
  t.same(await new HttpCheck(opts([url({ statusCodes: [[300, 399]] })])).check({ addr: LO, port: s301.port }, sig()), {
    ok: true,
    reason: '',
  });
  await s301.close();
});

t.test('a substring or regex must be found in the body', async (t) => {
  const s = await server(ok200);
  const chk = (u: Partial<HttpUrl>) => new HttpCheck(opts([url(u)])).check({ addr: LO, port: s.port }, sig());
  t.same(await chk({ substring: 'is healthy' }), { ok: true, reason: '' });
  t.same(await chk({ substring: 'is sick' }), { ok: false, reason: 'substring not found' });
  t.same(await chk({ regex: /health(y|ier)/ }), { ok: true, reason: '' });
  t.same(await chk({ regex: /health(y|ier)/, regexNoMatch: true }), { ok: false, reason: 'Regex match failed' });
  await s.close();
});

t.test('a server that accepts but never answers times out', async (t) => {
  const s = await server(null);
  const r = await new HttpCheck(opts([url()])).check({ addr: LO, port: s.port }, sig());
  t.same(r, { ok: false, reason: 'Timeout HTTP read' });
  await s.close();
});

t.test('a server closing without a response fails, and so does an oversized one', async (t) => {
  const empty = await server('');
  t.same(await new HttpCheck(opts([url()])).check({ addr: LO, port: empty.port }, sig()), {
    ok: false,
    reason: 'Read, no data received',
  });
  await empty.close();
  const big = await server(`HTTP/1.0 200 OK\r\n\r\n${'x'.repeat(5000)}`);
  t.same(await new HttpCheck(opts([url()], { maxResponseBytes: 1000 })).check({ addr: LO, port: big.port }, sig()), {
    ok: false,
    reason: 'response exceeds 1000 bytes',
  });
  await big.close();
});

t.test('every url must pass', async (t) => {
  const s = await server(ok200);
  const r = await new HttpCheck(opts([url(), url({ path: '/two', substring: 'nope' })])).check(
    { addr: LO, port: s.port },
    sig(),
  );
  t.same(r, { ok: false, reason: 'substring not found' });
  t.equal(s.requests.length, 2);
  t.match(s.requests[1], /^GET \/two HTTP\/1\.0\r\n/);
  await s.close();
});

t.test('a refused connection fails', async (t) => {
  const s = await server(ok200);
  const port = s.port;
  await s.close();
  t.same(await new HttpCheck(opts([url()])).check({ addr: LO, port }, sig()), {
    ok: false,
    reason: 'connection refused',
  });
});
