// ControlServer: tsvsd's control socket, a Unix stream socket speaking JSON lines (wire.ts).
// Root only by default: the directory is created 0700 when missing and the socket is made 0600
// (created under umask 0177, then chmod). With a group (an operators' group, [daemon]
// socket-group), the socket gets that group and mode 0660 (or the mode given), and a directory
// tsvsd makes gets the group and mode 0750 so that members can reach the socket; an existing
// directory is never changed (onWarning says when the group cannot pass it). A stale socket
// left by a killed daemon is replaced; a live one is refused. Bad JSON, unknown ops and wrong
// versions get an error reply; a line longer than maxLineBytes gets one and the connection is
// closed. Nothing a client sends crashes tsvsd.

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { chmod, chown, lstat, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TsvsError } from '../lib/errors.ts';
import { toWireError } from './wire-convert.ts';
import { WIRE_VERSION, type WireResponse } from './wire.ts';

export const DEFAULT_SOCKET_PATH = '/run/tsvs/tsvsd.sock';
export const DEFAULT_MAX_LINE_BYTES = 4 * 1024 * 1024;

export type OpHandler = (op: string, args: unknown) => Promise<unknown>;

export interface ControlServerOptions {
  readonly path: string;
  readonly handle: OpHandler;
  readonly maxLineBytes?: number;
  /** Called for protocol errors worth a log line. */
  readonly onProtocolError?: (message: string) => void;
  /** Group id that may use the socket (chown after listen); default none (root only). */
  readonly gid?: number;
  /** The socket's permission bits; default 0660 with a gid, else 0600. */
  readonly mode?: number;
  /** Called when the group cannot reach the socket through an existing directory. */
  readonly onWarning?: (message: string) => void;
}

/** Whether members of `gid` may search (pass through) a directory. */
function groupCanPass(st: { gid: number; mode: number }, gid: number): boolean {
  return (st.mode & 0o001) !== 0 || (st.gid === gid && (st.mode & 0o010) !== 0);
}

function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function reply(sock: Socket, r: WireResponse): void {
  if (!sock.destroyed) sock.write(JSON.stringify(r) + '\n');
}

export class ControlServer {
  readonly path: string;
  private readonly handle: OpHandler;
  private readonly maxLineBytes: number;
  private readonly onProtocolError: (message: string) => void;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly gid: number | undefined;
  private readonly mode: number;
  private readonly onWarning: (message: string) => void;

  constructor(opts: ControlServerOptions) {
    this.onWarning = opts.onWarning ?? (() => undefined);
    this.gid = opts.gid;
    this.mode = opts.mode ?? (opts.gid !== undefined ? 0o660 : 0o600);
    this.path = opts.path;
    this.handle = opts.handle;
    this.maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.onProtocolError = opts.onProtocolError ?? (() => undefined);
  }

  /**
   * Serves the socket. `waitMs`: how long another process may still be listening on the path (a
   * tsvsd handing over, which stops as it exits) before this one gives up with EALREADY.
   */
  async listen(waitMs = 0): Promise<void> {
    const deadline = performance.now() + waitMs;
    for (;;) {
      try {
        return await this.listenOnce();
      } catch (e) {
        if ((e as TsvsError).code !== 'EALREADY' || performance.now() >= deadline) throw e;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }

  private async listenOnce(): Promise<void> {
    const dir = dirname(this.path);
    const dirSt = await lstat(dir).catch(() => null);
    if (dirSt === null) await mkdir(dir, { recursive: true, mode: 0o700 });
    if (this.gid !== undefined && dirSt === null) {
      await chown(dir, -1, this.gid);
      await chmod(dir, 0o750);
    } else if (this.gid !== undefined && dirSt !== null && !groupCanPass(dirSt, this.gid)) {
      const mode = (dirSt.mode & 0o777).toString(8).padStart(4, '0');
      this.onWarning(
        `the socket's group (gid ${this.gid}) cannot reach ${this.path}: ${dir} is mode ${mode}, group ${dirSt.gid}; ` +
          `give it that group and mode 0750, or remove it and let tsvsd make it`,
      );
    }
    const st = await lstat(this.path).catch(() => null);
    if (st !== null) {
      if (!st.isSocket()) throw new TsvsError('ESOCKET', `${this.path} exists and is not a socket; not replacing it`);
      if (await isLive(this.path))
        throw new TsvsError('EALREADY', `another tsvsd is already listening on ${this.path}`);
      // A predecessor that handed over may have its server's close remove the file meanwhile.
      await unlink(this.path).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
    }
    const server = createServer((sock) => this.serve(sock));
    const oldMask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.path, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(oldMask);
    }
    if (this.gid !== undefined) await chown(this.path, -1, this.gid);
    await chmod(this.path, this.mode);
    this.server = server;
  }

  /**
   * Stops accepting, drops open connections and removes the socket file, unless `keepFile`: a
   * tsvsd handing over leaves the path to its successor, which replaces it once nothing listens
   * (listen() above), so that a late unlink here cannot remove the successor's socket.
   */
  async close(keepFile = false): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (!keepFile) await unlink(this.path).catch(() => undefined);
  }

  private serve(sock: Socket): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf = '';
    let queue: Promise<void> = Promise.resolve();
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() === '') continue;
        // One request at a time per connection, answered in order.
        queue = queue.then(() => this.answer(sock, line));
      }
      if (Buffer.byteLength(buf) > this.maxLineBytes) {
        this.onProtocolError(`request line over ${this.maxLineBytes} bytes; connection closed`);
        reply(sock, {
          v: WIRE_VERSION,
          id: null,
          ok: false,
          error: { code: 'E2BIG', message: `request line exceeds ${this.maxLineBytes} bytes` },
        });
        buf = '';
        sock.end();
        sock.pause();
      }
    });
  }

  private async answer(sock: Socket, line: string): Promise<void> {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch (e) {
      this.onProtocolError('bad JSON on the control socket');
      reply(sock, {
        v: WIRE_VERSION,
        id: null,
        ok: false,
        error: { code: 'EBADJSON', message: `invalid JSON: ${(e as Error).message}` },
      });
      return;
    }
    const o = typeof msg === 'object' && msg !== null && !Array.isArray(msg) ? (msg as Record<string, unknown>) : null;
    const id = o !== null && typeof o['id'] === 'number' && Number.isSafeInteger(o['id']) ? o['id'] : null;
    const fail = (code: string, message: string): void =>
      reply(sock, { v: WIRE_VERSION, id, ok: false, error: { code, message } });
    if (o === null || id === null || typeof o['op'] !== 'string') {
      fail('EBADREQ', 'invalid request: expected {"v":1,"id":<integer>,"op":"<name>","args":{...}}');
      return;
    }
    if (o['v'] !== WIRE_VERSION) {
      fail(
        'EVERSION',
        `unsupported protocol version ${JSON.stringify(o['v'])}; this tsvsd speaks version ${WIRE_VERSION}`,
      );
      return;
    }
    try {
      const result = await this.handle(o['op'], o['args']);
      reply(sock, { v: WIRE_VERSION, id, ok: true, result });
    } catch (e) {
      const err = toWireError(e);
      fail(err.code, err.message);
    }
  }
}
