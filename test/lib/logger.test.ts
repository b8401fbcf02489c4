// Logger: logfmt lines, levels, and rate limiting of repeated messages.
import t from 'tap';
import { openSync, closeSync, fstatSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, logfmt, stderrIsJournal } from '../../src/lib/logger.ts';

t.test('lines are logfmt with time, level and msg first; values with blanks are quoted', async (t) => {
  const lines: string[] = [];
  const log = new Logger({ write: (l) => lines.push(l), nowMs: () => 0 });
  log.info('tsvsd listening', { socket: '/run/tsvs/tsvsd.sock', n: 3, gone: undefined });
  t.same(lines, ['time=1970-01-01T00:00:00.000Z level=info msg="tsvsd listening" socket=/run/tsvs/tsvsd.sock n=3\n']);
  t.equal(logfmt({ a: 'x y', b: 'q"' }), 'a="x y" b="q\\""');
});

t.test('messages below the level are dropped', async (t) => {
  const lines: string[] = [];
  const log = new Logger({ level: 'warn', write: (l) => lines.push(l) });
  log.debug('d');
  log.info('i');
  log.warn('w');
  log.error('e');
  t.same(
    lines.map((l) => / level=(\w+)/.exec(l)![1]),
    ['warn', 'error'],
  );
});

t.test('a repeated message is limited per window and the next window reports how many were dropped', async (t) => {
  const lines: string[] = [];
  const now = { ms: 0 };
  const log = new Logger({ write: (l) => lines.push(l), nowMs: () => now.ms, burst: 2, windowMs: 1000 });
  for (let i = 0; i < 10; i++) log.warn('bad JSON on the control socket');
  log.warn('another message');
  t.equal(lines.length, 3, 'two of the repeated message and the other one');
  now.ms = 1000;
  log.warn('bad JSON on the control socket');
  t.match(lines[3], /msg="bad JSON on the control socket" suppressed=8\n$/);
});

t.test('--log-format json writes one JSON object per line, fields after time, level and msg', async (t) => {
  const lines: string[] = [];
  const log = new Logger({ write: (l) => lines.push(l), nowMs: () => 0, format: 'json' });
  log.warn('reload: [engine] conn-capacity changes at the next start only', { n: 3, ok: true, gone: undefined });
  t.same(lines, [
    '{"time":"1970-01-01T00:00:00.000Z","level":"warn","msg":"reload: [engine] conn-capacity changes at the next start only","n":3,"ok":true}\n',
  ]);
  t.same(JSON.parse(lines[0]!), {
    time: '1970-01-01T00:00:00.000Z',
    level: 'warn',
    msg: 'reload: [engine] conn-capacity changes at the next start only',
    n: 3,
    ok: true,
  });
});

t.test('in the journal each line starts with its sd-daemon priority', async (t) => {
  const lines: string[] = [];
  const log = new Logger({ level: 'debug', write: (l) => lines.push(l), nowMs: () => 0, journal: true });
  log.debug('d');
  log.info('i');
  log.warn('w');
  log.error('e');
  t.same(
    lines.map((l) => l.slice(0, 3)),
    ['<7>', '<6>', '<4>', '<3>'],
  );
  t.equal(lines[1], '<6>time=1970-01-01T00:00:00.000Z level=info msg=i\n');
});

t.test('stderr is the journal only when JOURNAL_STREAM names its device and inode', async (t) => {
  const path = join(tmpdir(), `tsvs-journal-${process.pid}`);
  const fd = openSync(path, 'w');
  t.teardown(() => {
    closeSync(fd);
    unlinkSync(path);
  });
  const st = fstatSync(fd);
  t.equal(stderrIsJournal({ JOURNAL_STREAM: `${st.dev}:${st.ino}` }, fd), true);
  t.equal(stderrIsJournal({ JOURNAL_STREAM: `${st.dev}:${st.ino + 1}` }, fd), false);
  t.equal(stderrIsJournal({}, fd), false);
});
