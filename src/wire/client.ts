// ControlClient: tsvsadm's side of the control socket (JSON lines, wire.ts). Error replies come
// back as TsvsError with the daemon's code and message; a daemon that is not there is reported
// with how to start it, a socket we may not use with who may.

import { createConnection, type Socket } from 'node:net';
import { TsvsError } from '../lib/errors.ts';
import { DEFAULT_SOCKET_PATH } from './socket.ts';
import { WIRE_VERSION } from './wire.ts';

export const DEFAULT_CONFIG_PATH = '/etc/tsvs/tsvsd.conf';
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/** The socket path: --socket, else $TSVS_SOCKET, else /run/tsvs/tsvsd.sock. */
export function socketPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag !== '') return flag;
  const e = env['TSVS_SOCKET'];
  return e !== undefined && e !== '' ? e : DEFAULT_SOCKET_PATH;
}

function reasonOf(code: string | undefined): string {
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTSOCK':
      return 'not a socket';
    default:
      return code ?? 'unknown error';
  }
}

export function cannotConnectMessage(path: string, code: string | undefined): string {
  if (code === 'EACCES' || code === 'EPERM')
    return `permission denied on ${path}: run as root or as a member of the socket's group`;
  return `cannot connect to tsvsd at ${path} (${reasonOf(code)}): is the daemon running? Start it with: tsvsd --config ${DEFAULT_CONFIG_PATH}`;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

export class ControlClient {
  private readonly sock: Socket;
  private nextId = 1;
  private buf = '';
  private readonly pending = new Map<number, Pending>();
  private readonly timeoutMs: number;
  private closedError: TsvsError | null = null;

  private constructor(sock: Socket, timeoutMs: number) {
    this.sock = sock;
    this.timeoutMs = timeoutMs;
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => this.onData(chunk));
    const onGone = (): void => this.failAll(new TsvsError('EDISCONNECTED', 'tsvsd closed the control connection'));
    sock.on('close', onGone);
    sock.on('error', onGone);
  }

  /**
   * Connects, or rejects with ENODAEMON and the "is the daemon running?" message, or with
   * ENOACCESS when the socket is there but not ours to use.
   */
  static connect(path: string, timeoutMs: number = DEFAULT_REQUEST_TIMEOUT_MS): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const sock = createConnection(path);
      const onError = (e: NodeJS.ErrnoException): void => {
        sock.destroy();
        const code = e.code === 'EACCES' || e.code === 'EPERM' ? 'ENOACCESS' : 'ENODAEMON';
        reject(new TsvsError(code, cannotConnectMessage(path, e.code), { cause: e }));
      };
      sock.once('error', onError);
      sock.once('connect', () => {
        sock.off('error', onError);
        resolve(new ControlClient(sock, timeoutMs));
      });
    });
  }

  /** Sends one request; resolves with its result or rejects with the daemon's error. */
  request<T = unknown>(op: string, args?: unknown): Promise<T> {
    if (this.closedError !== null) return Promise.reject(this.closedError);
    const id = this.nextId++;
    const msg = args === undefined ? { v: WIRE_VERSION, id, op } : { v: WIRE_VERSION, id, op, args };
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TsvsError('ETIMEDOUT', `tsvsd did not answer ${op} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      timer.unref();
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.sock.write(JSON.stringify(msg) + '\n');
    });
  }

  close(): void {
    this.sock.end();
    this.sock.destroy();
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      let r: { id?: unknown; ok?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown } };
      try {
        r = JSON.parse(line) as typeof r;
      } catch {
        this.failAll(new TsvsError('EBADREPLY', 'tsvsd sent a reply that is not JSON'));
        return;
      }
      const p = typeof r.id === 'number' ? this.pending.get(r.id) : undefined;
      if (p === undefined) {
        // A reply without our id (e.g. E2BIG): fail everything in flight with it.
        if (r.ok === false)
          this.failAll(new TsvsError(String(r.error?.code ?? 'EBADREPLY'), String(r.error?.message ?? 'error')));
        continue;
      }
      this.pending.delete(r.id as number);
      if (r.ok === true) p.resolve(r.result);
      else
        p.reject(
          new TsvsError(String(r.error?.code ?? 'EBADREPLY'), String(r.error?.message ?? 'malformed error reply')),
        );
    }
  }

  private failAll(e: TsvsError): void {
    this.closedError ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
