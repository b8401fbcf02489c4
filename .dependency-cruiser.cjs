// The layering of src/, enforced in `npm test` (npm run lint:deps). Each room (folder of src/)
// has a rank; a file may import its own room and rooms of a lower rank, never a higher or an
// equal one (siblings stay independent), type-only imports included. No cycles anywhere.
// README.md ("Architecture") draws the same picture; CONTRIBUTING.md says where new files go.
/** @type {Record<string, number>} */
const RANK = {
  lib: 0, // errors, drop reasons, logger, timers, rng, inet: leaves every room may use
  packet: 1, // frame codecs: parse and build headers by offset; checksums; pcap files
  model: 1, // services, real servers, the scheduler contract, the rules format
  sched: 2, // one file per IPVS scheduler
  conn: 2, // connection table, timers, per-protocol state machines (ip_vs_conn.c, ip_vs_proto_*.c)
  nat: 2, // address/port/checksum rewriting, ICMP error translation, TCP timestamps
  datapath: 3, // pipeline, xmit, neighbours, routes, the PacketIo seam, trace
  io: 4, // packet backends behind PacketIo: AF_PACKET rings (native), pcap, memory, pcap files
  health: 4, // health checkers and the monitor (keepalived's checkers)
  metrics: 4, // counters, rate estimator, Prometheus text
  ipvsadm: 4, // the ipvsadm language: argv grammar, commands, usage, services db
  sync: 4, // connection sync: the IPVS sync protocol codec, master and backup (ip_vs_sync.c)
  wire: 5, // control socket protocol: messages, conversions, server socket, client
  daemon: 6, // tsvsd: config, handlers, rules persistence, engine runner, health and metrics wiring
  cli: 6, // tsvsadm: commands over the wire, ipvsadm's exact listings
  bin: 7, // entry points
};
const rooms = Object.keys(RANK);
const forbidden = rooms.map((room) => {
  const notAllowed = rooms.filter((r) => r !== room && RANK[r] >= RANK[room]);
  return {
    name: `layer-${room}`,
    comment: `src/${room} (rank ${RANK[room]}) may import only rooms of a lower rank: not ${notAllowed.join(', ')}`,
    severity: 'error',
    from: { path: `^src/${room}/` },
    to: { path: `^src/(${notAllowed.join('|')})/` },
  };
});
forbidden.push(
  {
    name: 'no-circular',
    comment: 'No import cycles, type-only imports included.',
    severity: 'error',
    from: {},
    to: { circular: true },
  },
  {
    name: 'src-not-outside',
    comment: 'src/ never imports lab/, bench/ or test/.',
    severity: 'error',
    from: { path: '^src/' },
    to: { path: '^(lab|bench|test)/' },
  },
  {
    name: 'lab-not-test',
    comment: 'lab/ is what students run; it must not depend on test/.',
    severity: 'error',
    from: { path: '^lab/' },
    to: { path: '^test/' },
  },
  {
    name: 'no-unresolvable',
    comment: 'Every relative import resolves to a file.',
    severity: 'error',
    from: {},
    to: { couldNotResolve: true },
  },
  {
    name: 'no-root-files-in-src',
    comment: 'Every file of src/ lives in a room (a folder with a rank above).',
    severity: 'error',
    from: { path: '^src/[^/]+\\.ts$' },
    to: {},
  },
);

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|native/build)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js'] },
  },
};
