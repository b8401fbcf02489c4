#!/usr/bin/env node
// report-skips: what `npm test` did not run, and why. A suite that skips (no root, no native
// addon, a missing tool) passes quietly in tap's totals; this lists each skipped test file and
// subtest with its reason, from the TAP that tap keeps per file in .tap/test-results.
//
//   node test/report-skips.mjs [TAP ARGS...]
//       runs tap (npm test), then lists what it skipped; exits with tap's status. With no test
//       files named, runs the whole suite in two lanes side by side (./tap-lanes.mjs): the
//       namespace and packet-socket suites one at a time, the others alongside them
//   node test/report-skips.mjs --check-required --since EPOCH_MS
//       for CI as root (.ci/run): exits 1, naming them, if a namespace or native suite skipped
//       anything or wrote no result since EPOCH_MS
// Plain JavaScript, run by node before and after tap.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inSerialLane, runLanes } from './tap-lanes.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(root, '.tap', 'test-results');

// Suites that need root, network namespaces or the native addon: as root (CI) they must run
// whole. Also any test file that asks netnsUnavailable() or nativeLoadError() whether it can run.
const REQUIRED = [
  'test/lab/',
  'test/bin/',
  'test/daemon/netns-engine.test.ts',
  'test/io/af-packet.test.ts',
  'test/io/native-harness.test.ts',
  'test/health/icmp-check.test.ts',
];
const REQUIRED_MARKERS = /\b(netnsUnavailable|nativeLoadError)\(/;

// Skips that are right as root: "file > subtest" -> why. (Unprivileged paths run as nobody via
// setpriv, so none is needed today.)
const ALLOWED_AS_ROOT = new Map();

/** Test files (paths relative to the root) below dir, recursively. */
function testFiles(dir) {
  const out = [];
  if (!existsSync(join(root, dir))) return out;
  for (const e of readdirSync(join(root, dir), { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.test.ts')) out.push(relative(root, join(e.parentPath ?? e.path, e.name)));
  }
  return out;
}

/** Result files written at or after sinceMs: test file path -> TAP text. */
function results(sinceMs) {
  const out = new Map();
  if (!existsSync(resultsDir)) return out;
  for (const e of readdirSync(resultsDir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.tap')) continue;
    const p = join(e.parentPath ?? e.path, e.name);
    if (statSync(p).mtimeMs < sinceMs) continue;
    out.set(relative(resultsDir, p).slice(0, -'.tap'.length), readFileSync(p, 'utf8'));
  }
  return out;
}

/**
 * The skips (and todos) in one file's TAP: { test: "subtest > subtest" or '' for the whole file,
 * reason, todo }. Subtests nest by four spaces; "# Subtest: name" opens one.
 */
function skipsIn(tap) {
  const out = [];
  const stack = [];
  for (const line of tap.split('\n')) {
    const depth = Math.floor((line.length - line.trimStart().length) / 4);
    const text = line.trim();
    const sub = /^# Subtest: (.*)$/.exec(text);
    if (sub) {
      stack.length = depth;
      stack.push(sub[1]);
      continue;
    }
    if (depth === 0) {
      const plan = /^1\.\.0(?:\s*#\s*(.*))?$/.exec(text);
      if (plan) out.push({ test: '', reason: plan[1] ?? '', todo: false });
    }
    const m = /^(?:not )?ok \d+(?: - (.*?))?\s+#\s+(SKIP|TODO)\b\s*(.*)$/i.exec(text);
    if (m) {
      const test = [...stack.slice(0, depth), m[1] ?? ''].filter((s) => s !== '').join(' > ');
      out.push({ test, reason: m[3] ?? '', todo: m[2].toUpperCase() === 'TODO' });
    }
  }
  return out;
}

/**
 * The failed leaf tests in one file's TAP: { test: "subtest > subtest", detail: the first lines
 * of its YAML diagnostic }. A parent that failed only because a child did is not repeated.
 */
function failuresIn(tap) {
  const out = [];
  const stack = [];
  const lines = tap.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const depth = Math.floor((line.length - line.trimStart().length) / 4);
    const text = line.trim();
    const sub = /^# Subtest: (.*)$/.exec(text);
    if (sub) {
      stack.length = depth;
      stack.push(sub[1]);
      continue;
    }
    const m = /^not ok \d+(?: - (.*?))?(\s+#\s+(TODO|SKIP)\b.*)?$/i.exec(text);
    if (!m || m[2]) continue;
    // A failed parent's own line follows its children's; its children were reported already.
    const isParent = i > 0 && /^\s*1\.\.\d+/.test(lines[i - 1]) && stack.length > depth;
    if (isParent) continue;
    const detail = [];
    if (lines[i + 1]?.trim() === '---') {
      for (let j = i + 2; j < lines.length && lines[j].trim() !== '...' && detail.length < 8; j++) {
        const d = lines[j].trim();
        if (!/^(at:|fileName:|lineNumber:|columnNumber:|typeName:)/.test(d)) detail.push(d);
      }
    }
    const test = [...stack.slice(0, depth), m[1] ?? ''].filter((s) => s !== '').join(' > ');
    out.push({ test, detail });
  }
  return out;
}

/** A skip reason without tap's own "skipped:" prefix. */
const why = (reason) => reason.replace(/^skip(ped)?:?\s*/i, '') || '(no reason given)';

function allSkips(found) {
  const out = [];
  for (const [file, tap] of [...found].sort(([a], [b]) => a.localeCompare(b))) {
    for (const s of skipsIn(tap)) out.push({ file, ...s, where: s.test === '' ? file : `${file} > ${s.test}` });
  }
  return out;
}

function report(sinceMs) {
  const found = results(sinceMs);
  const failures = [];
  for (const [file, tap] of [...found].sort(([a], [b]) => a.localeCompare(b))) {
    for (const f of failuresIn(tap)) failures.push({ where: f.test === '' ? file : `${file} > ${f.test}`, ...f });
  }
  if (failures.length > 0) {
    console.log(`\nFailed (${failures.length}):`);
    for (const f of failures) {
      console.log(`  ${f.where}`);
      for (const d of f.detail) console.log(`      ${d}`);
    }
  }
  const skips = allSkips(found);
  if (skips.length === 0) {
    console.log('\nNo test skipped.');
    return;
  }
  console.log(`\nSkipped (${skips.length}):`);
  for (const s of skips) console.log(`  ${s.where}: ${s.todo ? 'TODO ' : ''}${why(s.reason)}`);
}

function requiredFiles() {
  const files = new Set();
  for (const r of REQUIRED) {
    if (r.endsWith('/')) for (const f of testFiles(r)) files.add(f);
    else if (existsSync(join(root, r))) files.add(r);
  }
  for (const dir of ['test', 'bench']) {
    for (const f of testFiles(dir)) if (REQUIRED_MARKERS.test(readFileSync(join(root, f), 'utf8'))) files.add(f);
  }
  return [...files].sort();
}

function checkRequired(sinceMs) {
  const found = results(sinceMs);
  const required = requiredFiles();
  const problems = [];
  for (const f of required) {
    if (!found.has(f)) problems.push(`  ${f} did not run`);
  }
  for (const s of allSkips(found)) {
    if (s.todo || !required.includes(s.file) || ALLOWED_AS_ROOT.has(s.where)) continue;
    problems.push(`  ${s.where} skipped: ${why(s.reason)}`);
  }
  if (problems.length === 0) return 0;
  console.log(`\nCI runs as root, so every namespace and native suite must run in full; these did not:`);
  console.log(problems.join('\n'));
  return 1;
}

const args = process.argv.slice(2);
if (args[0] === '--check-required') {
  const i = args.indexOf('--since');
  const since = i >= 0 ? Number(args[i + 1]) : NaN;
  if (!Number.isFinite(since)) {
    console.error('usage: node test/report-skips.mjs --check-required --since EPOCH_MS');
    process.exit(2);
  }
  process.exitCode = checkRequired(since);
} else {
  const start = Date.now();
  const tapBin = join(root, 'node_modules', '.bin', 'tap');
  let status;
  if (args.some((a) => !a.startsWith('-'))) {
    // Files named on the command line: one tap run over just those, as tap would.
    const tap = spawnSync(tapBin, args, { stdio: 'inherit' });
    if (tap.error) console.error(`cannot run tap: ${tap.error.message}`);
    status = tap.status ?? 1;
  } else {
    const all = [...testFiles('test'), ...testFiles('bench')].sort();
    const serial = all.filter((f) => inSerialLane(f, readFileSync(join(root, f), 'utf8')));
    const unit = all.filter((f) => !serial.includes(f));
    status = await runLanes(tapBin, serial, unit, args);
  }
  report(start);
  // Not process.exit(): the unit lane's TAP is one large write, and exiting at once would cut it
  // (and the totals after it) short when stdout is a pipe, as under .ci/run's tee.
  process.exitCode = status;
}
