// Capture: on-demand packet capture of what enters and what leaves the director, to two classic
// pcap files (PREFIX-in.pcap, PREFIX-out.pcap) readable by tshark/Wireshark, bounded by time and
// frame count. While no capture runs, the data path pays one null check per batch / frame sent.

import { PcapWriter } from '../packet/pcap-file.ts';

export class Capture {
  private readonly inFile: PcapWriter;
  private readonly outFile: PcapWriter;
  private left: number;
  private readonly timer: NodeJS.Timeout;
  inFrames = 0;
  outFrames = 0;
  done = false;

  constructor(
    readonly prefix: string,
    seconds: number,
    maxFrames: number,
    private readonly onDone: () => void,
  ) {
    this.inFile = new PcapWriter(`${prefix}-in.pcap`);
    this.outFile = new PcapWriter(`${prefix}-out.pcap`);
    this.left = maxFrames;
    this.timer = setTimeout(() => this.stop(), seconds * 1000);
    this.timer.unref();
  }

  get files(): string[] {
    return [`${this.prefix}-in.pcap`, `${this.prefix}-out.pcap`];
  }

  captureIn(buf: Uint8Array, off: number, len: number): void {
    if (this.done) return;
    this.inFile.writeNow(buf, off, len);
    this.inFrames++;
    if (--this.left <= 0) this.stop();
  }

  captureOut(buf: Uint8Array, off: number, len: number): void {
    if (this.done) return;
    this.outFile.writeNow(buf, off, len);
    this.outFrames++;
    if (--this.left <= 0) this.stop();
  }

  stop(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.inFile.close();
    this.outFile.close();
    this.onDone();
  }
}
