// RulesStore: atomic, durable saves (temp file + fsync + rename + directory fsync), coalescing,
// and loading that names the file and line of a bad rule without touching the file.
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RulesStore } from '../../src/model/rules-store.ts';
import { RuleLineError } from '../../src/model/rules-format.ts';
import { TsvsError } from '../../src/lib/errors.ts';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'tsvs-store-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

t.test('a missing file loads as null (first start)', async (t) => {
  const store = new RulesStore(join(tempDir(t), 'rules'));
  t.equal(await store.read(), null);
  t.equal(await store.load(() => 1), null);
});

t.test('save creates the directory, writes the text 0600 and leaves no temporary file', async (t) => {
  const dir = join(tempDir(t), 'var', 'lib', 'tsvs');
  const store = new RulesStore(join(dir, 'rules'));
  await store.save('-A -t 1.2.3.4:80 -s rr\n');
  t.equal(readFileSync(join(dir, 'rules'), 'utf8'), '-A -t 1.2.3.4:80 -s rr\n');
  t.equal(statSync(join(dir, 'rules')).mode & 0o777, 0o600);
  t.equal(statSync(dir).mode & 0o777, 0o700);
  t.same(readdirSync(dir), ['rules']);
});

t.test('saves made while one is writing are coalesced and the last text wins', async (t) => {
  const path = join(tempDir(t), 'rules');
  const store = new RulesStore(path);
  const all = ['a\n', 'b\n', 'c\n', 'd\n'].map((s) => store.save(s));
  await Promise.all(all);
  t.equal(readFileSync(path, 'utf8'), 'd\n');
  await store.flush();
});

t.test('a bad line is reported as file:line and the file is left untouched', async (t) => {
  const path = join(tempDir(t), 'rules');
  writeFileSync(path, 'good\nbad\n');
  const store = new RulesStore(path);
  const e = await store
    .load((text) => {
      const i = text.split('\n').indexOf('bad');
      throw new RuleLineError(i + 1, 'illegal weight specified', 'EUSAGE');
    })
    .catch((x: unknown) => x);
  t.ok(e instanceof TsvsError);
  t.equal((e as TsvsError).code, 'ERULES_CORRUPT');
  t.equal((e as TsvsError).message, `${path}:2: illegal weight specified`);
  t.equal(readFileSync(path, 'utf8'), 'good\nbad\n');
});

t.test('a failed write rejects with ERULES_WRITE naming the file', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'file'), 'x');
  const store = new RulesStore(join(dir, 'file', 'rules')); // a file where a directory should be
  const e = await store.save('x\n').catch((x: unknown) => x);
  t.ok(e instanceof TsvsError);
  t.equal((e as TsvsError).code, 'ERULES_WRITE');
  t.match((e as TsvsError).message, new RegExp(`^cannot save rules to ${join(dir, 'file', 'rules')}: `));
});
