// web-server: a tiny HTTP server naming its host, the lab's fallback when nginx is not installed.
// Usage: node web-server.js NAME ADDR PORT [DELAY_MS]   (answers "NAME\n"; /delay/N waits N ms)
// Like the lab's nginx, it names the client it saw in an X-Client-Addr header.
import { createServer } from 'node:http';

const [name = 'web', addr = '0.0.0.0', portText = '80', delayText = '0'] = process.argv.slice(2);
const baseDelayMs = Number(delayText);

const server = createServer((req, res) => {
  const m = /^\/delay\/(\d+)/.exec(req.url ?? '/');
  const delayMs = m ? Math.min(Number(m[1]), 10_000) : baseDelayMs;
  const reply = () => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-client-addr': req.socket.remoteAddress ?? '' });
    res.end(`${name}\n`);
  };
  if (delayMs > 0) setTimeout(reply, delayMs);
  else reply();
});
server.keepAliveTimeout = 65_000;
server.listen(Number(portText), addr, () => process.stderr.write(`${name} listening on ${addr}:${portText}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
