// HTTP_GET: GET each url over plain HTTP, check the status code, MD5 digest of the body, and
// optionally a substring or regex (keepalived/check/check_http.c http_request_thread,
// http_process_response, http_handle_response). SSL_GET (ssl-check.ts) is the same request and
// response handling over TLS: check_http.c serves both, choosing the stream by checker kind.

import net from 'node:net';
import { createHash, type Hash } from 'node:crypto';
import {
  CHECK_OK,
  checkDst,
  checkFail,
  type Checker,
  type CheckResult,
  type CheckTarget,
  type ConnOpts,
  targetHostPort,
} from './checker.ts';
import { runProbe, socketErrorReason, tcpConnectOptions } from './probe.ts';

/** Inclusive status code range; keepalived's default is 200-299 (url_check in check_http.c). */
export type StatusRange = readonly [number, number];
export const DEFAULT_STATUS_CODES: readonly StatusRange[] = [[200, 299]];

export interface HttpUrl {
  readonly path: string;
  readonly statusCodes: readonly StatusRange[];
  /** MD5 of the body as 32 hex digits (keepalived's `digest`, made with genhash). */
  readonly digest?: string;
  /** tsvs extension: the body must contain this text. */
  readonly substring?: string;
  /** keepalived's `regex` (JavaScript syntax here, PCRE2 there); `regex_no_match` inverts it. */
  readonly regex?: RegExp;
  readonly regexNoMatch?: boolean;
  readonly virtualhost?: string;
}

/** http_protocol: 1.0 (default), 1.0C (1.0 + Connection: close), 1.1 (always Connection: close). */
export type HttpProtocol = '1.0' | '1.0C' | '1.1';

export interface HttpCheckOpts extends ConnOpts {
  readonly urls: readonly HttpUrl[];
  readonly httpProtocol: HttpProtocol;
  readonly virtualhost?: string;
  /** Bound on header + body bytes read; beyond it the check fails (keepalived streams without a bound). */
  readonly maxResponseBytes: number;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 1 << 20;

/** The request bytes exactly as keepalived's request_template (check_http.c). */
export function buildHttpRequest(path: string, protocol: HttpProtocol, host: string): string {
  const minor = protocol === '1.1' ? 1 : 0;
  const conn = protocol === '1.0' ? '' : 'Connection: close\r\n';
  return `GET ${path} HTTP/1.${minor}\r\nUser-Agent: KeepAliveClient\r\n${conn}Host: ${host}\r\n\r\n`;
}

/** extract_status_code (check_http.c): the number after "HTTP/x.y "; 0 when malformed. */
export function parseStatusCode(head: string): number {
  const m = /^HTTP\/\d+\.\d+ +(\d{3})/.exec(head);
  return m === null ? 0 : Number(m[1]);
}

/** extract_content_length: -1 when absent or malformed. */
export function parseContentLength(head: string): number {
  const m = /\r?\ncontent-length:[ \t]*(\d+)[ \t]*\r?(\n|$)/i.exec(head);
  return m === null ? -1 : Number(m[1]);
}

function statusAccepted(code: number, ranges: readonly StatusRange[]): boolean {
  for (const [lo, hi] of ranges) if (code >= lo && code <= hi) return true;
  return false;
}

/**
 * How an HTTP check reaches the server: a plain TCP stream (HTTP_GET) or TLS (SSL_GET). `open`
 * connects and calls onReady once the request may be written (TCP connected, or TLS handshake
 * done); connect_timeout covers everything up to onReady.
 */
export interface HttpTransport {
  readonly kind: 'HTTP_GET' | 'SSL_GET';
  /** keepalived's words when a read stalls: "Timeout HTTP read" / "Timeout SSL read". */
  readonly readTimeoutReason: string;
  open(copts: net.TcpNetConnectOpts, url: HttpUrl, onReady: () => void): net.Socket;
}

export const PLAIN_HTTP: HttpTransport = {
  kind: 'HTTP_GET',
  readTimeoutReason: 'Timeout HTTP read',
  open(copts, _url, onReady) {
    const sock = net.connect(copts);
    sock.once('connect', onReady);
    return sock;
  },
};

export class HttpCheck implements Checker {
  readonly kind: 'HTTP_GET' | 'SSL_GET';
  readonly opts: HttpCheckOpts;
  private readonly transport: HttpTransport;

  constructor(opts: HttpCheckOpts, transport: HttpTransport = PLAIN_HTTP) {
    this.opts = opts;
    this.transport = transport;
    this.kind = transport.kind;
  }

  /** Every url in turn (keepalived checks one url per delay_loop unless fast_recovery; we check all at once). */
  async check(target: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
    const dst = checkDst(this.opts, target);
    for (const url of this.opts.urls) {
      const r = await this.getOne(dst, url, signal);
      if (!r.ok) return r;
    }
    return CHECK_OK;
  }

  private getOne(dst: CheckTarget, url: HttpUrl, signal: AbortSignal): Promise<CheckResult> {
    const o = this.opts;
    // Host: the virtualhost (url, checker) or "ip:port" (http_request_thread).
    const vhost = url.virtualhost ?? o.virtualhost;
    const host = vhost ?? targetHostPort(dst);
    const request = buildHttpRequest(url.path, o.httpProtocol, host);
    return runProbe(signal, (finish) => {
      const copts = tcpConnectOptions(o, dst);
      const rx = new ResponseReader(url, o.maxResponseBytes);
      const sock = this.transport.open(copts, url, () => {
        clearTimeout(connectTimer);
        // Every later stage (write, each read) gets connect_timeout of inactivity, as keepalived's threads do.
        sock.setTimeout(o.connectTimeoutMs, () => finish(checkFail(this.transport.readTimeoutReason)));
        sock.write(request);
      });
      const connectTimer = setTimeout(() => finish(checkFail('Timeout connecting')), o.connectTimeoutMs);
      sock.on('data', (chunk: Buffer) => {
        const verdict = rx.push(chunk);
        if (verdict !== undefined) finish(verdict);
      });
      sock.once('end', () => finish(rx.end()));
      sock.once('error', (e) => finish(checkFail(socketErrorReason(e))));
      return () => {
        clearTimeout(connectTimer);
        sock.destroy();
      };
    });
  }
}

/** Incremental response parser: header, then body into MD5 and a bounded text buffer. */
class ResponseReader {
  private readonly url: HttpUrl;
  private readonly maxBytes: number;
  private total = 0;
  private head: Buffer[] = [];
  private headLen = 0;
  private status = 0;
  private contentLength = -1;
  private bodyBytes = 0;
  private headerDone = false;
  private readonly md5: Hash | undefined;
  private readonly keepBody: boolean;
  private body: Buffer[] = [];
  private verdict: CheckResult | undefined;

  constructor(url: HttpUrl, maxBytes: number) {
    this.url = url;
    this.maxBytes = maxBytes;
    this.md5 = url.digest !== undefined ? createHash('md5') : undefined;
    this.keepBody = url.substring !== undefined || url.regex !== undefined;
  }

  /** Feed bytes; a result when the response is complete (Content-Length reached) or too large. */
  push(chunk: Buffer): CheckResult | undefined {
    this.total += chunk.length;
    if (this.total > this.maxBytes) return checkFail(`response exceeds ${this.maxBytes} bytes`);
    if (!this.headerDone) {
      this.head.push(chunk);
      this.headLen += chunk.length;
      const all = Buffer.concat(this.head, this.headLen);
      let end = all.indexOf('\r\n\r\n');
      let sep = 4;
      if (end < 0) {
        end = all.indexOf('\n\n');
        sep = 2;
      }
      if (end < 0) return undefined;
      const headText = all.subarray(0, end).toString('latin1');
      this.status = parseStatusCode(headText);
      this.contentLength = parseContentLength(headText);
      this.headerDone = true;
      this.head = [];
      chunk = all.subarray(end + sep);
    }
    this.addBody(chunk);
    if (this.contentLength >= 0 && this.bodyBytes >= this.contentLength) return this.end();
    return undefined;
  }

  private addBody(chunk: Buffer): void {
    // The digest covers at most Content-Length bytes (http_process_response).
    let use = chunk;
    if (this.contentLength >= 0 && this.bodyBytes + use.length > this.contentLength)
      use = use.subarray(0, this.contentLength - this.bodyBytes);
    this.bodyBytes += use.length;
    if (this.md5 !== undefined) this.md5.update(use);
    if (this.keepBody) this.body.push(use);
  }

  /** The verdict once the stream ended (http_handle_response order: data, status, digest, regex). */
  end(): CheckResult {
    if (this.verdict === undefined) this.verdict = this.judge();
    return this.verdict;
  }

  private judge(): CheckResult {
    if (!this.headerDone) return checkFail('Read, no data received');
    if (!statusAccepted(this.status, this.url.statusCodes)) return checkFail(`HTTP status code error: ${this.status}`);
    if (this.md5 !== undefined && this.md5.digest('hex') !== this.url.digest?.toLowerCase())
      return checkFail('MD5 digest error');
    if (this.keepBody) {
      const text = Buffer.concat(this.body).toString('utf8');
      if (this.url.substring !== undefined && !text.includes(this.url.substring))
        return checkFail('substring not found');
      if (this.url.regex !== undefined && this.url.regex.test(text) === (this.url.regexNoMatch ?? false))
        return checkFail('Regex match failed');
    }
    return CHECK_OK;
  }
}
