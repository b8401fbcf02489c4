#!/usr/bin/env node
// ensure-setup: installs on first use what `npm test`, `npm run lab` and `npm run bench` need
// (Debian packages, npm packages, the native addon, the TypeScript build), so a fresh clone on a
// fresh Debian machine needs no manual step. Plain JavaScript: it runs before anything is built.
// Idempotent and quiet when everything is already in place.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const mode = process.argv[2] ?? 'test';

// command -> Debian package, per mode.
const APT = {
  test: {
    ip: 'iproute2',
    ping: 'iputils-ping',
    curl: 'curl',
    ethtool: 'ethtool',
    'pcap-config': 'libpcap-dev',
    nginx: 'nginx-light',
    tshark: 'tshark',
    nft: 'nftables',
    hping3: 'hping3',
    'atk6-thcsyn6': 'thc-ipv6',
    wrk: 'wrk',
  },
  lab: {
    ip: 'iproute2',
    ping: 'iputils-ping',
    curl: 'curl',
    ethtool: 'ethtool',
    nginx: 'nginx-light',
    nft: 'nftables',
  },
  // `npm run lab -- ansible` (and its test) asks for this mode itself: the playbook runs from the
  // client namespace over ssh to an sshd in each host's namespace. The other labs do without.
  ansible: {
    ip: 'iproute2',
    curl: 'curl',
    nginx: 'nginx-light',
    nft: 'nftables',
    'ansible-playbook': 'ansible-core',
    '/usr/sbin/sshd': 'openssh-server',
    'ssh-keygen': 'openssh-client',
  },
  // `npm run lab -- ecmp` (and its test) asks for this mode itself: BIRD 2 announces each
  // director's VIP to the router namespace over BGP. The other labs do without.
  ecmp: {
    ip: 'iproute2',
    curl: 'curl',
    nginx: 'nginx-light',
    nft: 'nftables',
    bird: 'bird2',
    birdc: 'bird2',
  },
  // `npm run lab -- ha` (and its test) asks for this mode itself: keepalived runs VRRP between
  // the two directors; the package's own service is never started (policy-rc.d below).
  ha: {
    ip: 'iproute2',
    curl: 'curl',
    nginx: 'nginx-light',
    nft: 'nftables',
    wrk: 'wrk',
    keepalived: 'keepalived',
  },
  // `npm run lab -- tun` (and its test) asks for this mode itself: the real servers decapsulate
  // IPIP/GUE with a tc BPF program (lab/tun-decap.bpf.c) built with clang against libbpf's headers.
  tun: {
    ip: 'iproute2',
    curl: 'curl',
    nginx: 'nginx-light',
    nft: 'nftables',
    clang: 'clang',
    '/usr/include/bpf/bpf_helpers.h': 'libbpf-dev',
  },
  // `npm run lab -- flood` asks for this mode itself (hping3, and THC's thcsyn6 for --ipv6, only
  // for that lab).
  flood: {
    ip: 'iproute2',
    curl: 'curl',
    nginx: 'nginx-light',
    nft: 'nftables',
    hping3: 'hping3',
    'atk6-thcsyn6': 'thc-ipv6',
  },
  bench: {
    ip: 'iproute2',
    curl: 'curl',
    ethtool: 'ethtool',
    nginx: 'nginx-light',
    wrk: 'wrk',
    iperf3: 'iperf3',
    haproxy: 'haproxy',
    nft: 'nftables',
    conntrack: 'conntrack',
    '/usr/lib/nginx/modules/ngx_stream_module.so': 'libnginx-mod-stream',
  },
};

function log(msg) {
  process.stderr.write(`[setup] ${msg}\n`);
}

function have(cmd) {
  if (cmd.startsWith('/')) return existsSync(cmd); // a file a package installs (e.g. an nginx module)
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

// Everything a set-up step prints goes to stderr: a namespace test that installs its packages on
// first use writes TAP on stdout, and apt's or npm's lines there would break the TAP stream.
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 2, 2], cwd: root, ...opts });
  return r.status === 0;
}

function ensureApt() {
  const want = APT[mode] ?? APT.test;
  const missing = [
    ...new Set(
      Object.entries(want)
        .filter(([cmd]) => !have(cmd))
        .map(([, pkg]) => pkg),
    ),
  ];
  if (missing.length === 0) return;
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || !have('apt-get')) {
    log(`missing ${missing.join(' ')}; not root on Debian, so not installing them (tests that need them will skip)`);
    return;
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  // Keep package postinst scripts from starting nginx & co. in the root namespace.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    // Another apt-get (a second lab or test run set up at the same time) holds dpkg's lock: wait for it.
    const lock = ['-o', 'DPkg::Lock::Timeout=300'];
    run('apt-get', [...lock, 'update', '-qq'], { env });
    if (!run('apt-get', [...lock, 'install', '-y', '-qq', '--no-install-recommends', ...missing], { env })) {
      // Install one by one so one unavailable package does not block the rest.
      for (const p of missing) run('apt-get', [...lock, 'install', '-y', '-qq', '--no-install-recommends', p], { env });
    }
  } finally {
    if (ownPolicy) unlinkSync(policy);
  }
}

function newestMtime(dir, exts) {
  let newest = 0;
  if (!existsSync(dir)) return 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name === 'node_modules' || e.name === 'build') continue;
      newest = Math.max(newest, newestMtime(p, exts));
    } else if (exts.some((x) => e.name.endsWith(x))) {
      newest = Math.max(newest, statSync(p).mtimeMs);
    }
  }
  return newest;
}

function ensureNpm() {
  const stamp = join(root, 'node_modules', '.package-lock.json');
  const pkg = join(root, 'package.json');
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= statSync(pkg).mtimeMs) return;
  log('installing npm packages');
  if (!run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'])) {
    log('npm install failed');
    process.exit(1);
  }
}

// cap (libpcap) builds its binding when npm installs it; installed before libpcap-dev was, it has
// none and nothing else builds it again. Rebuild once libpcap's headers are there.
function ensureCap() {
  if (!existsSync(join(root, 'node_modules', 'cap')) || !have('pcap-config')) return;
  const load = spawnSync(process.execPath, ['-e', "require('cap')"], { cwd: root, stdio: 'ignore' });
  if (load.status === 0) return;
  log('building the libpcap binding of the cap package');
  if (!run('npm', ['rebuild', 'cap', '--loglevel=error']))
    log('cap failed to build; the pcap backend stays unavailable');
}

function ensureNative() {
  const gyp = join(root, 'native', 'binding.gyp');
  if (!existsSync(gyp)) return;
  const out = join(root, 'native', 'build', 'Release', 'tsvs_native.node');
  const src = newestMtime(join(root, 'native'), ['.c', '.h', '.gyp']);
  if (existsSync(out) && statSync(out).mtimeMs >= src) return;
  log('building the native packet I/O addon');
  const nodeGyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  // Build against the headers installed with Node when they are there (no download needed).
  const nodedir = existsSync('/usr/include/node/node_api.h') ? ['--nodedir=/usr'] : [];
  if (!run(process.execPath, [nodeGyp, 'rebuild', '--silent', ...nodedir], { cwd: join(root, 'native') })) {
    log('native addon failed to build; the engine will fall back to the pcap backend where available');
  }
}

function ensureBuild() {
  const stamp = join(root, 'dist', '.build-stamp');
  const src = Math.max(
    newestMtime(join(root, 'src'), ['.ts']),
    newestMtime(join(root, 'lab'), ['.ts']),
    newestMtime(join(root, 'bench'), ['.ts']),
    statSync(join(root, 'tsconfig.json')).mtimeMs,
  );
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= src) return;
  log('compiling TypeScript');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!run(process.execPath, [tsc, '-p', 'tsconfig.build.json'])) {
    log('TypeScript build failed');
    process.exit(1);
  }
  writeFileSync(stamp, new Date().toISOString() + '\n');
}

ensureApt();
ensureNpm();
ensureCap();
ensureNative();
ensureBuild();
