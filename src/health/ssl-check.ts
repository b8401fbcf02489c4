// SSL_GET: HTTP_GET over TLS (keepalived/check/check_ssl.c ssl_connect, ssl_read_thread; the
// request and response handling is check_http.c's, shared here through http-check.ts). As
// keepalived does, the server certificate is never verified: build_ssl_ctx loads the `ca` file
// but never calls SSL_CTX_set_verify, so OpenSSL's client default SSL_VERIFY_NONE holds and the
// handshake succeeds whatever the certificate. `certificate` and `key` (with `password`) are the
// client certificate offered to the server. SNI is sent only with `enable_sni`: sni_name, else
// the url's virtualhost, else the checker's or virtual server's (ssl_connect).

import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import type { Checker } from './checker.ts';
import { TsvsError } from '../lib/errors.ts';
import { HttpCheck, type HttpCheckOpts, type HttpTransport } from './http-check.ts';

/** The top-level `SSL { ca certificate key password }` block (check_parser.c ssl_handler). */
export interface SslFiles {
  readonly ca?: string;
  readonly certificate?: string;
  readonly key?: string;
  readonly password?: string;
}

export interface SslCheckOpts extends HttpCheckOpts {
  readonly ssl: SslFiles;
  readonly enableSni: boolean;
  readonly sniName?: string;
}

/** Reads the SSL files once; a file that cannot be read is an error at load, as build_ssl_ctx's "Cant load". */
function secureOptions(ssl: SslFiles): tls.ConnectionOptions {
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new TsvsError('CONFIG_INVALID', `SSL error: cannot load ${what} file ${path}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  };
  const o: tls.ConnectionOptions = { rejectUnauthorized: false };
  if (ssl.ca !== undefined) o.ca = read('CA', ssl.ca);
  if (ssl.certificate !== undefined) o.cert = read('certificate', ssl.certificate);
  if (ssl.key !== undefined) o.key = read('key', ssl.key);
  if (ssl.password !== undefined) o.passphrase = ssl.password;
  return o;
}

export function tlsTransport(opts: SslCheckOpts): HttpTransport {
  const secure = secureOptions(opts.ssl);
  return {
    kind: 'SSL_GET',
    readTimeoutReason: 'Timeout SSL read',
    open(copts, url, onReady) {
      const sni = opts.enableSni ? (opts.sniName ?? url.virtualhost ?? opts.virtualhost) : undefined;
      // Without a servername node sends no SNI for an IP address host, like keepalived without enable_sni.
      return tls.connect({ ...copts, ...secure, ...(sni !== undefined ? { servername: sni } : {}) }, onReady);
    },
  };
}

/** The SSL_GET checker: an HttpCheck (kind 'SSL_GET') over TLS. */
export function sslCheck(opts: SslCheckOpts): Checker {
  return new HttpCheck(opts, tlsTransport(opts));
}
