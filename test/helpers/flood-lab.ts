// The pieces of the lab's SYN-flood tests besides the flooder (lab/flood.ts): curl through the
// VIP and one keep-alive HTTP connection held in the client namespace.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { VIP } from '../../lab/topology.ts';

/**
 * In the client namespace: one keep-alive connection to host (an IPv4 or IPv6 address) port 80; a
 * GET now, another after each line on stdin.
 */
export function keepAliveScript(host: string): string {
  return `
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const get = () => new Promise((resolve) => {
  const r = http.get({ host: '${host}', path: '/', agent, timeout: 3000 }, (m) => {
    let body = '';
    m.on('data', (d) => (body += d));
    m.on('end', () => resolve({ status: m.statusCode, port: r.socket.localPort, body: body.trim() }));
  });
  r.on('timeout', () => r.destroy(new Error('timeout')));
  r.on('error', (e) => resolve({ error: e.message }));
});
get().then((a) => console.log(JSON.stringify(a)));
process.stdin.on('data', () => get().then((b) => console.log(JSON.stringify(b))));
setTimeout(() => process.exit(2), 60000);
`;
}

/** keepAliveScript() to the VIP. */
export const KEEPALIVE = keepAliveScript(VIP);

export interface Reply {
  status?: number;
  port?: number;
  body?: string;
  error?: string;
}

/** The stdout lines of a child, as they come. */
export function lines(c: ChildProcess): string[] {
  const out: string[] = [];
  let buf = '';
  c.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    out.push(...parts);
  });
  return out;
}

/** One curl from ns to url, the VIP's by default (with curl options `extra`): true on HTTP 200 within 3 s. */
export function curlOk(ns: string, extra: readonly string[] = [], url = `http://${VIP}/`): boolean {
  const r = spawnSync(
    'ip',
    ['netns', 'exec', ns, 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-m', '3', '-g', ...extra, url],
    { encoding: 'utf8', timeout: 5000 },
  );
  return r.stdout === '200';
}

export function hasHping3(): boolean {
  return spawnSync('sh', ['-c', 'command -v hping3'], { stdio: 'ignore' }).status === 0;
}
