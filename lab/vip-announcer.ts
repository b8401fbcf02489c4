// vip-announcer: ties a director's BGP announcement of its VIPs to tsvsd's liveness and health,
// the job BFD cannot do here (BFD between the router's and the director's BIRD proves only that
// BIRD and the link are alive; tsvsd may be dead behind them). Started with tsvsd in the
// director's namespace; every POLL_MS it checks that tsvsd's PID runs, that its control socket
// answers `list` within ANSWER_MS, and that some service has a real server with weight > 0
// (health checks remove a failed real server, or set its weight to 0 with inhibit_on_failure).
// All three true: `birdc enable vip` (the static protocol holding the VIP routes: announced);
// otherwise `birdc disable vip` (withdrawn at once with a BGP UPDATE, the session stays up).
// Detection is one poll (200 ms) plus one answer timeout (300 ms) at worst: under 1 s.
// It exits once it has withdrawn for a tsvsd whose PID is gone: the next tsvsd gets its own.
//
// Usage: node vip-announcer.js TSVSD_PID CONTROL_SOCKET BIRD_CTL
// Logs one line per change on stdout: `<epoch ms> announce|withdraw <reason>`.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ControlClient } from '../src/wire/client.ts';

const POLL_MS = 200;
const ANSWER_MS = 300;

const [pidText = '', socket = '', birdCtl = ''] = process.argv.slice(2);
const tsvsdPid = Number(pidText);
if (!(tsvsdPid > 0) || socket === '' || birdCtl === '') {
  process.stderr.write('usage: vip-announcer TSVSD_PID CONTROL_SOCKET BIRD_CTL\n');
  process.exit(2);
}

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

interface ListedService {
  dests?: { weight?: number }[];
}

/** Why the VIPs must not be announced, or null when tsvsd answers and has a real server to send to. */
async function reasonToWithdraw(): Promise<string | null> {
  if (!alive(tsvsdPid)) return `tsvsd ${tsvsdPid} exited`;
  let c: ControlClient | null = null;
  try {
    c = await ControlClient.connect(socket, ANSWER_MS);
    const r = await c.request<{ services?: ListedService[] }>('list');
    const up = (r.services ?? []).some((s) => (s.dests ?? []).some((d) => (d.weight ?? 0) > 0));
    return up ? null : 'no real server with weight > 0';
  } catch (e) {
    return `control socket: ${(e as Error).message}`;
  } finally {
    c?.close();
  }
}

function birdc(cmd: string): boolean {
  const r = spawnSync('birdc', ['-s', birdCtl, cmd, 'vip'], { encoding: 'utf8', timeout: 2000 });
  return r.status === 0;
}

let announced: boolean | null = null;

async function tick(): Promise<void> {
  const why = await reasonToWithdraw();
  const want = why === null;
  if (want !== announced && birdc(want ? 'enable' : 'disable')) {
    announced = want;
    process.stdout.write(`${Date.now()} ${want ? 'announce' : `withdraw ${why}`}\n`);
  }
  if (!want && announced === false && !alive(tsvsdPid)) process.exit(0);
  setTimeout(() => void tick(), POLL_MS);
}

process.on('SIGTERM', () => {
  birdc('disable');
  process.stdout.write(`${Date.now()} withdraw announcer stopped\n`);
  process.exit(0);
});
void tick();
