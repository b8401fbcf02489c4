// state-reshard: the connection state files of a multi-worker engine, and what a start does with
// those of another worker count. (No kernel counterpart: IPVS has one ip_vs_conn_tab per netns.)
//
// One file per shard: worker i of N maps `<state-file>.w<i>-of-<N>` (workers 1: `<state-file>`
// itself), as the single engine maps its file (state-file.ts): every store of the data path is in
// the page cache at once, so a SIGTERM, a SIGKILL or a crash of the thread loses nothing and there
// is no periodic save (nor a write + rename, which would lose what changed since the last one).
// A file per shard needs no coordination between the threads, each holds its own lock, and the
// count in the name keeps a start with another count from attaching a shard built for N.
//
// Another count (N -> M): the files of N are read (not mapped) before the workers start, and each
// entry is dealt to the worker the fanout program (src/io/fanout-program.ts) will send its frames
// to: fanoutWorker(caddr, cport, M), the client side of in and out frames alike. A full-NAT
// entry's replies go to the owner of its local port instead, lport % M (whose pool slice holds
// the port: p % M == w). Where the two differ (`split`), the connection would lose one direction
// on any single worker, so it lives on as two entries: the reply worker's holds the port (its pool
// takes it) and sees the replies, the client side worker's copy (without CONN_F_LPORT_POOLED, so it
// never takes nor frees the port) sees the client's frames; each runs its own timer and state,
// and both end with the connection. Templates (persistence) are copied to every worker: a
// client's next connection may reach any of them and must find its real server there. What is
// dealt is then checked by restoreConns in the worker like any restored entry (counted there), and
// the old files are removed once every worker has restored (removeForeign), so a crash in between
// leaves the new shards, which win at the next start. The IPv6 table's files (`<state-file>6...`,
// CONN6_SPEC) are dealt alike: the fanout program hashes an IPv6 client as the fold of its address
// (fanout-program6.ts), which is what the fold columns hold; the IN key adds the 128-bit words.

import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CONN_SPEC, connLayout, headerMismatch, type LayoutSpec } from '../conn/conn-layout.ts';
import { appendEntry, columnsOf, newImport, type ConnImport } from '../conn/conn-import.ts';
import { CONN_F_LIVE, CONN_F_LPORT_POOLED, CONN_F_TEMPLATE } from '../conn/conn-flags.ts';
import { fanoutWorker } from '../io/fanout-program.ts';
import type { Logger } from '../lib/logger.ts';

/** The state file of worker `index` of `workers`. */
export function shardPath(statePath: string, index: number, workers: number): string {
  return workers === 1 ? statePath : `${statePath}.w${index}-of-${workers}`;
}

/** The worker of `workers` that the fanout program sends a connection's client-side frames to. */
export function reshardWorker(caddr: number, cport: number, workers: number): number {
  return fanoutWorker(caddr, cport, workers);
}

/** The worker of `workers` that receives a full-NAT connection's replies: the owner of its port. */
export function replyWorker(lport: number, workers: number): number {
  return lport % workers;
}

/** The state files of a worker count other than `workers` that exist beside `statePath`. */
export function foreignStateFiles(statePath: string, workers: number): string[] {
  const dir = dirname(statePath);
  const base = basename(statePath);
  const out: string[] = [];
  if (workers !== 1 && existsSync(statePath)) out.push(statePath);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names.sort()) {
    if (!n.startsWith(`${base}.w`)) continue;
    const m = /^\.w(\d+)-of-(\d+)$/.exec(n.slice(base.length));
    if (m !== null && Number(m[2]) !== workers) out.push(join(dir, n));
  }
  return out;
}

export interface ReshardStats {
  /** The old files read, and those that could not be (with the reason). */
  files: string[];
  unreadable: string[];
  /** Connections and templates read (one per IN key). */
  connections: number;
  templates: number;
  /** Entries per new worker (a split connection counts on both). */
  dealt: number[];
  /** Full-NAT connections whose two directions reach two workers: an entry on each. */
  split: number;
  /** Old files ignored because shards of this count exist (a migration cut short). */
  stale: string[];
}

type Image = { capacity: number; cols: ReturnType<typeof columnsOf> };

/** A state file's columns, read into memory, or why not. */
function readImage(path: string, spec: LayoutSpec): Image | string {
  const buf = readFileSync(path);
  if (buf.length < 32) return `it has ${buf.length} bytes`;
  const capacity = buf.readUInt32LE(16);
  const layout = connLayout(capacity, spec.columns);
  if (buf.length !== layout.totalBytes) return `it has ${buf.length} bytes, its header says ${layout.totalBytes}`;
  const mem = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) as ArrayBuffer;
  const why = headerMismatch(new Uint8Array(mem, 0, layout.headerBytes), layout, spec);
  return why !== null ? why : { capacity, cols: columnsOf(mem, capacity, spec.columns) };
}

const isTpl = (f: number): boolean => (f & (CONN_F_LIVE | CONN_F_TEMPLATE)) === (CONN_F_LIVE | CONN_F_TEMPLATE);
const isConn = (f: number): boolean => (f & (CONN_F_LIVE | CONN_F_TEMPLATE)) === CONN_F_LIVE;

/** Entry id's IN key (ConnTable.hashIn, plus the IPv6 words): shared by a connection's copies, a client's templates. */
function inKey(c: Image['cols'], id: number): string {
  const w = (n: string): string => c[n]?.slice(id * 4, id * 4 + 4).join(':') ?? '';
  return `${c['protocol']![id]}|${c['caddr']![id]}|${c['cport']![id]}|${c['vaddr']![id]}|${c['vport']![id]}|${w('caddr6')}|${w('vaddr6')}`;
}

/** One entry per IN key: the first seen, or for a connection the copy that owns its port; the later timer. */
interface Pick {
  img: number;
  id: number;
  expiresMs: number;
}

function pickEntries(images: readonly Image[], tpl: boolean): Map<string, Pick> {
  const picked = new Map<string, Pick>();
  images.forEach((img, i) => {
    const c = img.cols;
    for (let id = 0; id < img.capacity; id++) {
      if (!(tpl ? isTpl(c['flags']![id]!) : isConn(c['flags']![id]!))) continue;
      const key = inKey(c, id);
      const exp = c['expiresMs']![id]!;
      const had = picked.get(key);
      if (had === undefined) picked.set(key, { img: i, id, expiresMs: exp });
      else {
        if ((c['flags']![id]! & CONN_F_LPORT_POOLED) !== 0) Object.assign(had, { img: i, id });
        had.expiresMs = Math.max(had.expiresMs, exp);
      }
    }
  });
  return picked;
}

/**
 * Deals the LIVE entries of the images to `workers` imports (see the top). Each IN key is dealt
 * once: two shards may each hold a template of one client (its connections reached both workers),
 * and a connection split by an earlier re-shard has two copies; the one kept has the later timer.
 * Every import starts with the same templates in the same order (template j is entry j in each),
 * and the connections link to the copy of their template's key.
 */
export function dealEntries(
  images: readonly Image[],
  workers: number,
  st: ReshardStats,
  spec: LayoutSpec = CONN_SPEC,
): ConnImport[] {
  const tpls = pickEntries(images, true);
  const conns = pickEntries(images, false);
  /** [client side worker, reply worker]: one worker, unless a full-NAT port belongs to another. */
  const targets = (p: Pick): [number, number] => {
    const c = images[p.img]!.cols;
    const w = reshardWorker(c['caddr']![p.id]!, c['cport']![p.id]!, workers);
    const pooled = (c['flags']![p.id]! & CONN_F_LPORT_POOLED) !== 0;
    return [w, pooled ? replyWorker(c['lport']![p.id]!, workers) : w];
  };
  const room = new Array<number>(workers).fill(tpls.size);
  for (const p of conns.values()) {
    const [w, o] = targets(p);
    room[w]!++;
    if (o !== w) room[o]!++;
  }
  const imports = room.map((n) => newImport(n, spec.columns));
  const tplIndex = new Map<string, number>();
  for (const [key, p] of tpls) {
    st.templates++;
    for (const imp of imports) {
      const k = appendEntry(imp, images[p.img]!.cols, p.id, -1);
      imp.cols['expiresMs']![k] = p.expiresMs;
      tplIndex.set(key, k);
    }
  }
  for (const p of conns.values()) {
    st.connections++;
    const c = images[p.img]!.cols;
    const [w, o] = targets(p);
    const ct = c['control']![p.id]!;
    const tpl =
      ct >= 0 && ct < images[p.img]!.capacity && isTpl(c['flags']![ct]!) ? (tplIndex.get(inKey(c, ct)) ?? -1) : -1;
    for (const to of o === w ? [w] : [w, o]) {
      const imp = imports[to]!;
      const k = appendEntry(imp, c, p.id, tpl);
      imp.cols['expiresMs']![k] = p.expiresMs;
      st.dealt[to]!++;
      // The client side copy of a split connection: the reply worker's pool owns the port.
      if (to !== o) imp.cols['flags']![k] = imp.cols['flags']![k]! & ~CONN_F_LPORT_POOLED;
    }
    if (o !== w) st.split++;
  }
  return imports;
}

/**
 * The entries of the state files of another worker count, dealt to `workers` imports, or null
 * when there are none. Logged; the caller removes the files (removeForeign) once restored.
 * `spec`: the IPv4 table's files, or the IPv6 table's (CONN6_SPEC, `statePath` its `<state-file>6`).
 */
export function loadForeign(
  statePath: string,
  workers: number,
  log: Logger,
  spec: LayoutSpec = CONN_SPEC,
): { imports: ConnImport[]; stats: ReshardStats } | null {
  const files = foreignStateFiles(statePath, workers);
  if (files.length === 0) return null;
  const st: ReshardStats = {
    files: [],
    unreadable: [],
    connections: 0,
    templates: 0,
    dealt: new Array<number>(workers).fill(0),
    split: 0,
    stale: [],
  };
  const own = Array.from({ length: workers }, (_, i) => shardPath(statePath, i, workers));
  if (own.some((p) => existsSync(p) && statSync(p).size > 0)) {
    st.stale = files;
    log.warn('state files of another worker count ignored: this count has its own (a re-shard was cut short)', {
      files: files.join(','),
    });
    return { imports: own.map(() => newImport(0, spec.columns)), stats: st };
  }
  const images: Image[] = [];
  for (const f of files) {
    try {
      const img = readImage(f, spec);
      if (typeof img === 'string') st.unreadable.push(`${f}: ${img}`);
      else images.push(img);
    } catch (e) {
      st.unreadable.push(`${f}: ${(e as Error).message}`);
    }
    st.files.push(f);
  }
  const imports = dealEntries(images, workers, st, spec);
  log.info(`connections of the state files of another worker count dealt to ${workers} worker(s)`, {
    files: st.files.join(','),
    connections: st.connections,
    templates: st.templates,
    dealt: st.dealt.join(','),
    split: st.split,
  });
  for (const u of st.unreadable) log.warn('a state file of another worker count cannot be read', { file: u });
  return { imports, stats: st };
}

/** Removes the files loadForeign read or found stale: their entries live in this count's shards now. */
export function removeForeign(stats: ReshardStats | null): void {
  if (stats === null) return;
  for (const f of [...stats.files, ...stats.stale]) rmSync(f, { force: true });
}
