// metrics-server: the opt-in HTTP endpoint (node:http) of tsvsd --metrics, serving the text of
// prometheus.ts at GET/HEAD /metrics; anything else is 404 or 405, a failing provider a 500.

import http from 'node:http';
import { PROM_CONTENT_TYPE } from './prom-text.ts';
import { renderTsvsMetrics, type MetricsSnapshot } from './prometheus.ts';

export type MetricsProvider = () => MetricsSnapshot;

export interface MetricsServer {
  /** Bound address and port. */
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Serve GET /metrics on host:port (opt-in; e.g. 127.0.0.1:9110). Port 0 picks a free one. */
export function startMetricsServer(host: string, port: number, provider: MetricsProvider): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not Found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { 'Content-Type': 'text/plain; charset=utf-8', Allow: 'GET, HEAD' })
        .end('Method Not Allowed\n');
      return;
    }
    let body: string;
    try {
      body = renderTsvsMetrics(provider());
    } catch (e) {
      res
        .writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' })
        .end(`error: ${e instanceof Error ? e.message : String(e)}\n`);
      return;
    }
    res.writeHead(200, { 'Content-Type': PROM_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const a = server.address();
      const bound = typeof a === 'object' && a !== null ? a : { address: host, port };
      resolve({
        host: bound.address,
        port: bound.port,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
