// ha-probe: the HA lab's keep-alive load, run in the client namespace: N TCP connections to the
// VIP, each sending `GET /` after the previous answer (HTTP/1.1 keep-alive, one request every
// PAUSE ms), for SECONDS. A connection that errors, is reset or gets no answer within TIMEOUT ms
// counts as broken and is replaced by a new one. It prints one JSON line: every connection with
// when it opened, when it was last answered and whether it broke, and the longest time no
// connection got any answer (the stall), so the lab can tell the connections opened before a
// failover that kept working after it. One more worker opens a new connection every PAUSE ms
// for one request each (answer within 1 s or it counts as failed): the longest gap between their
// answers is the time new clients could not connect, the failover's stall.
//
//   node ha-probe.js VIP PORT CONNS SECONDS TIMEOUT_MS PAUSE_MS

import { connect, type Socket } from 'node:net';

interface ConnRecord {
  fresh: boolean;
  openedMs: number;
  lastOkMs: number;
  answers: number;
  broken: string | null;
}

const [
  host = '192.168.88.5',
  portText = '80',
  connsText = '8',
  secondsText = '15',
  timeoutText = '10000',
  pauseText = '20',
] = process.argv.slice(2);
const port = Number(portText);
const endMs = Date.now() + Number(secondsText) * 1000;
const timeoutMs = Number(timeoutText);
const pauseMs = Number(pauseText);
const records: ConnRecord[] = [];
/** The longest time without an answer, for keep-alive connections and for new ones. */
class Gap {
  lastOkMs = Date.now();
  maxMs = 0;
  endMs = 0;
  note(now: number): void {
    if (now - this.lastOkMs > this.maxMs) {
      this.maxMs = now - this.lastOkMs;
      this.endMs = now;
    }
    this.lastOkMs = now;
  }
}
const keepAliveGap = new Gap();
const freshGap = new Gap();
let freshFailed = 0;

function answered(rec: ConnRecord): void {
  const now = Date.now();
  (rec.fresh ? freshGap : keepAliveGap).note(now);
  rec.lastOkMs = now;
  rec.answers++;
}

/** One connection: request, wait for a whole answer, pause, again; resolves when it ends. */
function runConn(fresh: boolean): Promise<ConnRecord> {
  const rec: ConnRecord = { fresh, openedMs: Date.now(), lastOkMs: 0, answers: 0, broken: null };
  if (!fresh) records.push(rec);
  return new Promise((resolve) => {
    const s: Socket = connect({ host, port });
    let buf = '';
    let timer: NodeJS.Timeout | null = null;
    let done = false;
    const finish = (why: string | null): void => {
      if (done) return;
      done = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      rec.broken = why;
      s.destroy();
      resolve(rec);
    };
    const send = (): void => {
      if (done) return;
      if (Date.now() >= endMs) return finish(null);
      buf = '';
      s.write(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      const limitMs = fresh ? Math.min(1000, timeoutMs) : timeoutMs;
      timer = setTimeout(() => finish(`no answer in ${limitMs} ms`), limitMs);
    };
    s.setNoDelay(true);
    s.on('connect', send);
    if (fresh) timer = setTimeout(() => finish('no connection in 1000 ms'), 1000);
    s.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
    s.on('close', () => finish('closed by the peer'));
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const head = buf.indexOf('\r\n\r\n');
      if (head < 0) return;
      const len = Number(/content-length:\s*(\d+)/i.exec(buf.slice(0, head))?.[1] ?? 0);
      if (buf.length < head + 4 + len) return;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      answered(rec);
      if (fresh) finish(null);
      else setTimeout(send, pauseMs);
    });
  });
}

async function worker(): Promise<void> {
  while (Date.now() < endMs) await runConn(false);
}

/**
 * New connections, one request each, one started every PAUSE_MS whether or not the previous one
 * was answered (at most FRESH_IN_FLIGHT at once): during an outage a new one still starts every
 * PAUSE_MS, so the first answer after a takeover comes from a SYN sent after it, and the stall
 * is the time the VIP was dark, not rounded up to one client's SYN retransmission (1 s, 3 s).
 */
const FRESH_IN_FLIGHT = 64;
async function freshWorker(): Promise<void> {
  let inFlight = 0;
  while (Date.now() < endMs) {
    if (inFlight < FRESH_IN_FLIGHT) {
      inFlight++;
      void runConn(true).then((r) => {
        inFlight--;
        if (r.broken !== null) freshFailed++;
      });
    }
    await new Promise((r) => setTimeout(r, pauseMs));
  }
  while (inFlight > 0) await new Promise((r) => setTimeout(r, pauseMs));
}

async function main(): Promise<void> {
  await Promise.all([...Array.from({ length: Number(connsText) }, () => worker()), freshWorker()]);
  const keepAlive = records;
  process.stdout.write(
    `${JSON.stringify({
      stallMs: freshGap.maxMs,
      stallEndMs: freshGap.endMs,
      freshFailed,
      keepAliveGapMs: keepAliveGap.maxMs,
      answers: keepAlive.reduce((n, r) => n + r.answers, 0),
      conns: keepAlive,
    })}\n`,
  );
}

void main();
