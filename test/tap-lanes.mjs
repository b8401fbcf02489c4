// tap-lanes: runs the suite as two tap processes side by side. tap runs one file at a time on a
// 2-core machine (its default is one job fewer than the cores), and most of the namespace suites'
// time is waiting on real TCP stacks, not CPU. So the suites that build namespaces or open packet
// sockets run in one lane, one file at a time as before (they share the lab's fixed names and are
// sensitive to each other's load), while all the others run in a second lane alongside them,
// two files at a time.
//
// The serial lane streams as it runs; the unit lane's TAP is kept in a file and printed after it,
// then one combined "# { total: ... }" line (the sum of both lanes' tap summaries, which
// .ci/run reads). Plain JavaScript, run by node before tap.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SUMMARY = /^# \{ total: .*\}$/;
const UNIT_JOBS = 2;

/**
 * Whether a test file belongs to the serial lane: the labs, and every suite that builds network
 * namespaces or opens packet sockets. Root-only suites that do neither (installs, the daemon on a
 * unix socket) are CPU work and run in the unit lane.
 */
export function inSerialLane(file, text) {
  if (UNIT_LANE_LABS.has(file)) return false;
  return file.startsWith('test/lab/') || /\bnetns|nativeLoadError\(/.test(text);
}

/**
 * Namespace suites that run in the unit lane all the same: they use names of their own, assert
 * nothing about timing or how load is shared, and spend their minutes on work of their own
 * (the Ansible deployment: ssh round trips and an npm install of the packed tarball).
 */
const UNIT_LANE_LABS = new Set(['test/lab/ansible.test.ts']);

/** The numbers in tap's "# { total: 6, pass: 5, fail: 1 }" line, or null. */
export function parseSummary(line) {
  if (!SUMMARY.test(line)) return null;
  const out = {};
  for (const m of line.matchAll(/(\w+): (\d+)/g)) out[m[1]] = Number(m[2]);
  return out;
}

/** Adds tap summaries key by key, in the order tap prints them. */
export function sumSummaries(list) {
  const order = ['total', 'pass', 'fail', 'skip', 'todo'];
  const sum = {};
  for (const s of list) for (const [k, v] of Object.entries(s)) sum[k] = (sum[k] ?? 0) + v;
  const keys = [...order.filter((k) => k in sum), ...Object.keys(sum).filter((k) => !order.includes(k))];
  return `# { ${keys.map((k) => `${k}: ${sum[k]}`).join(', ')} }`;
}

/** The last tap summary line in a TAP text, or null. */
function lastSummary(text) {
  const lines = text.split('\n').filter((l) => SUMMARY.test(l));
  return lines.length ? parseSummary(lines[lines.length - 1]) : null;
}

function exitOf(child) {
  return new Promise((resolve) => {
    child.on('error', (err) => {
      console.error(`cannot run tap: ${err.message}`);
      resolve(1);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/**
 * Runs tapBin over serialFiles and unitFiles in two concurrent lanes (the serial one a file at a
 * time, the unit one UNIT_JOBS files at a time), with extra tap arguments. Resolves to the
 * combined exit status (non-zero if either lane failed).
 */
export async function runLanes(tapBin, serialFiles, unitFiles, extraArgs = []) {
  const tty = process.stdout.isTTY === true;
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-tap-lanes-'));
  const unitLog = join(dir, 'unit.tap');
  const unitFd = openSync(unitLog, 'w');
  try {
    // Niced: the serial lane's suites drive real servers and measure how they share load (lc
    // against a slow server, reloads under wrk), so they get the CPU first and the unit lane the
    // rest, which is plenty while they wait on their stacks. Two jobs: most of a unit file's time
    // is node starting and loading TypeScript, and one file's wait is the other's CPU.
    const unit = spawn(
      'nice',
      ['-n', '10', tapBin, `--jobs=${UNIT_JOBS}`, '--reporter=tap', ...extraArgs, ...unitFiles],
      {
        stdio: ['ignore', unitFd, unitFd],
      },
    );
    // At a terminal the serial lane keeps tap's own reporter; otherwise its TAP is forwarded as it
    // comes and its summary line read from it.
    const serial = spawn(tapBin, ['--jobs=1', ...extraArgs, ...serialFiles], {
      stdio: ['ignore', tty ? 'inherit' : 'pipe', 'inherit'],
    });
    let serialTail = '';
    serial.stdout?.on('data', (chunk) => {
      process.stdout.write(chunk);
      serialTail = (serialTail + chunk.toString('utf8')).slice(-4096);
    });
    const [unitCode, serialCode] = await Promise.all([exitOf(unit), exitOf(serial)]);
    closeSync(unitFd);
    const unitText = readFileSync(unitLog, 'utf8');
    console.log(`\n# unit lane (${unitFiles.length} files, ran alongside the serial lane)`);
    if (tty) {
      const s = lastSummary(unitText);
      console.log(s ? sumSummaries([s]) : '# the unit lane printed no summary');
    } else {
      // Renamed so that the combined line below is the only one .ci/run can read as the totals.
      process.stdout.write(unitText.replace(/^# \{ total: /gm, '# unit lane: { total: '));
    }
    const summaries = [lastSummary(unitText), tty ? null : lastSummary(serialTail)];
    if (!tty && summaries.every((s) => s !== null)) console.log(sumSummaries(summaries));
    return serialCode !== 0 ? serialCode : unitCode;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
