// Raw Ethernet frames in and out of a lab namespace through Python's AF_PACKET sockets, beneath
// the namespace's kernel stack: sendRaw puts a crafted frame on the wire (the kernel never sees
// it), Sniffer6 counts the IPv6 TCP segments a namespace receives from given source ports.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** Send one raw Ethernet frame out of dev in ns. */
export function sendRaw(ns: string, dev: string, frame: Buffer): void {
  const py = `import socket,sys\ns=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\ns.bind((sys.argv[1],0))\ns.send(bytes.fromhex(sys.argv[2]))\n`;
  const r = spawnSync('ip', ['netns', 'exec', ns, 'python3', '-c', py, dev, frame.toString('hex')], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (r.status !== 0) throw new Error(`raw send failed: ${r.stderr}`);
}

// Counts IPv6 TCP frames (no extension headers) by source port; exits once a frame from one of
// the stop ports arrived, printing the counts as JSON. Bounded by `timeout` around it.
const SNIFF_PY = `import socket,sys,json
s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW,socket.htons(3))
s.bind((sys.argv[1],0))
ports=[int(p) for p in sys.argv[2].split(',')]
stop=[int(p) for p in sys.argv[3].split(',')]
n={p:0 for p in ports}
print('ready',flush=True)
while True:
  f=s.recv(65536)
  if len(f)<58 or f[12:14]!=b'\\x86\\xdd' or f[20]!=6: continue
  sp=int.from_bytes(f[54:56],'big')
  if sp in n: n[sp]+=1
  if sp in stop: break
print(json.dumps(n),flush=True)
`;

/** A capture on dev in ns of the IPv6 TCP segments from `ports`, until one from stopPorts (or timeoutSec). */
export class Sniffer6 {
  private readonly child: ChildProcess;
  private out = '';
  private readonly done: Promise<void>;
  readonly ready: Promise<void>;

  constructor(ns: string, dev: string, ports: readonly number[], stopPorts: readonly number[], timeoutSec: number) {
    this.child = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        'timeout',
        String(timeoutSec),
        'python3',
        '-c',
        SNIFF_PY,
        dev,
        ports.join(','),
        stopPorts.join(','),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    this.ready = new Promise((resolve) => {
      this.child.stdout!.on('data', (b: Buffer) => {
        this.out += b.toString();
        if (this.out.startsWith('ready')) resolve();
      });
    });
    this.done = new Promise((resolve) => this.child.on('exit', () => resolve()));
  }

  /** The counts by source port once the capture ended; null when it timed out first. */
  async counts(): Promise<Record<string, number> | null> {
    await this.done;
    const line = this.out.split('\n').find((l) => l.startsWith('{'));
    return line === undefined ? null : (JSON.parse(line) as Record<string, number>);
  }
}
