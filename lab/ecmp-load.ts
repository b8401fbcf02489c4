// ecmp-load: the ECMP lab's client load, run inside the client namespace. Two kinds of traffic
// to VIP:80 for a bounded time:
//  - LONG long-lived keep-alive connections, each sending one request every KEEP_MS and checking
//    that the answer comes within REPLY_MS from the same real server; a connection is broken when
//    it is reset, closed, answers late or from another real server;
//  - WORKERS loops of new connections (a request each, `Connection: close`), each request failed
//    when it has no answer within NEW_MS (a SYN lost in a black hole waits 1 s to be resent).
// Prints `ready <local ports>` once every long-lived connection has its first answer, and at the
// end one JSON line with what broke and when (epoch ms). Everything stops after DURATION_MS.
//
// Usage: node ecmp-load.js VIP DURATION_MS LONG WORKERS

import { connect, type Socket } from 'node:net';

const [vip = '', durText = '8000', longText = '30', workersText = '4'] = process.argv.slice(2);
const DURATION_MS = Math.min(Number(durText), 60_000);
const LONG = Math.min(Number(longText), 500);
const WORKERS = Math.min(Number(workersText), 16);
const KEEP_MS = 100;
const REPLY_MS = 5000;
const NEW_MS = 1000;
const MAX_NEW = 50_000;
const t0 = Date.now();
const endAt = t0 + DURATION_MS;

interface LongConn {
  port: number;
  server: string;
  requests: number;
  broken: string | null;
  brokenAt: number;
}

/** Reads "HTTP/1.1 200 ...\r\n...\r\n\r\nBODY" answers with a Content-Length; calls back with each body. */
function answers(sock: Socket, onBody: (body: string) => void): void {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buf += chunk;
    for (;;) {
      const h = buf.indexOf('\r\n\r\n');
      if (h < 0) return;
      const len = Number(/content-length:\s*(\d+)/i.exec(buf.slice(0, h))?.[1] ?? '0');
      if (buf.length < h + 4 + len) return;
      onBody(buf.slice(h + 4, h + 4 + len).trim());
      buf = buf.slice(h + 4 + len);
    }
  });
}

const longs: LongConn[] = [];

function longLived(): Promise<void> {
  return new Promise((ready) => {
    const c: LongConn = { port: 0, server: '', requests: 0, broken: null, brokenAt: 0 };
    longs.push(c);
    const sock = connect({ host: vip, port: 80 });
    let timer: NodeJS.Timeout | null = null;
    const fail = (why: string): void => {
      if (c.broken === null && Date.now() < endAt) {
        c.broken = why;
        c.brokenAt = Date.now();
      }
      if (timer !== null) clearTimeout(timer);
      sock.destroy();
      ready();
    };
    const ask = (): void => {
      if (Date.now() >= endAt) {
        sock.end();
        return;
      }
      sock.write(`GET / HTTP/1.1\r\nHost: ${vip}\r\n\r\n`);
      timer = setTimeout(() => fail(`no answer within ${REPLY_MS} ms`), REPLY_MS);
    };
    answers(sock, (body) => {
      if (timer !== null) clearTimeout(timer);
      c.requests++;
      if (c.server === '') {
        c.server = body;
        c.port = sock.localPort ?? 0;
        ready();
      } else if (body !== c.server) return fail(`answered by ${body}, was ${c.server}`);
      setTimeout(ask, KEEP_MS);
    });
    sock.on('connect', ask);
    sock.on('error', (e) => fail(e.message));
    sock.on('close', () => fail('closed'));
  });
}

interface NewStats {
  ok: number;
  failed: number;
  failures: number[];
  perServer: Record<string, number>;
}
const news: NewStats = { ok: 0, failed: 0, failures: [], perServer: {} };

function oneNew(): Promise<void> {
  return new Promise((done) => {
    const started = Date.now();
    const sock = connect({ host: vip, port: 80 });
    let settled = false;
    const finish = (body: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (body === null) {
        news.failed++;
        news.failures.push(started);
      } else {
        news.ok++;
        news.perServer[body] = (news.perServer[body] ?? 0) + 1;
      }
      done();
    };
    const timer = setTimeout(() => finish(null), NEW_MS);
    sock.on('connect', () => sock.write(`GET / HTTP/1.1\r\nHost: ${vip}\r\nConnection: close\r\n\r\n`));
    answers(sock, (body) => finish(body));
    sock.on('error', () => finish(null));
  });
}

async function worker(): Promise<void> {
  while (Date.now() < endAt && news.ok + news.failed < MAX_NEW) await oneNew();
}

async function main(): Promise<void> {
  await Promise.all(Array.from({ length: LONG }, () => longLived()));
  process.stdout.write(`ready ${longs.map((c) => c.port).join(' ')}\n`);
  await Promise.all(Array.from({ length: WORKERS }, () => worker()));
  await new Promise((r) => setTimeout(r, Math.max(0, endAt - Date.now()) + 200));
  const broken = longs.filter((c) => c.broken !== null);
  process.stdout.write(
    `${JSON.stringify({
      long: longs.length,
      longRequests: longs.reduce((n, c) => n + c.requests, 0),
      broken: broken.map((c) => ({ port: c.port, server: c.server, why: c.broken, at: c.brokenAt })),
      newOk: news.ok,
      newFailed: news.failed,
      failureStarts: news.failures,
      perServer: news.perServer,
    })}\n`,
  );
  process.exit(0);
}

setTimeout(() => process.exit(3), DURATION_MS + 20_000).unref();
void main();
