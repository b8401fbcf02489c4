// The fuzzer's static seeds: every input and expected output of the golden packet tables
// (test/fixtures/packets/golden.json, made by make-goldens.py) and the frames captured from a
// real kernel (kernel-frames.json), each with the port it would arrive on.

import { loadGolden, loadKernelFrames } from '../../test/fixtures/packets/golden.ts';
import { fromHex } from '../../test/helpers/frames.ts';
import { ipv4Shape } from './frame-view.ts';

export interface SeedFrame {
  readonly frame: Buffer;
  readonly port: number;
}

const RS_SUBNET = 0xc0a863; // 192.168.99.0/24: the real-server side, port 1

/** Port 1 for frames from the real-server subnet, else port 0 (the client side). */
export function arrivalPort(frame: Uint8Array): number {
  const s = ipv4Shape(frame);
  return s !== null && s.saddr >>> 8 === RS_SUBNET ? 1 : 0;
}

export function goldenCorpus(): SeedFrame[] {
  const hexes: string[] = [];
  for (const c of loadGolden()) {
    hexes.push(c.input);
    if (typeof c.output === 'string') hexes.push(c.output);
  }
  for (const k of loadKernelFrames()) hexes.push(k.input);
  return hexes.map((h) => {
    const frame = fromHex(h);
    return { frame, port: arrivalPort(frame) };
  });
}
