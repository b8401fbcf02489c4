// --synproxy auto|always|never, tsvs's extension on -A/-E outside ipvsadm's option grid: what it
// sets, the exact usage errors, and the rules line that brings it back (-S / the rules file).
import t from 'tap';
import { parseArgv } from '../../src/ipvsadm/argv.ts';
import { ArgvExit } from '../../src/ipvsadm/argv-exit.ts';
import { formatServiceLine } from '../../src/model/rules-format.ts';
import { SVC_F_SYNPROXY_ALWAYS, SVC_F_SYNPROXY_NEVER, synproxyModeOf } from '../../src/model/synproxy-state.ts';
import { SERVICES_DB } from '../cli/fixtures/format-fixture.ts';

const parse = (argv: string[]) => parseArgv(argv, { services: SERVICES_DB });

t.test('--synproxy sets the mode bits of the service flags; auto is the default and sets none', async (t) => {
  t.equal(parse(['-A', '-t', '1.2.3.4:80', '--synproxy', 'always']).svc.flags, SVC_F_SYNPROXY_ALWAYS);
  t.equal(parse(['-E', '-t', '1.2.3.4:80', '-s', 'rr', '--synproxy', 'never']).svc.flags, SVC_F_SYNPROXY_NEVER);
  t.equal(parse(['-A', '-t', '1.2.3.4:80', '--synproxy', 'auto']).svc.flags, 0);
  t.equal(parse(['-A', '-t', '1.2.3.4:80']).svc.flags, 0);
});

const rejected: [string[], string][] = [
  [['-A', '-t', '1.2.3.4:80', '--synproxy', 'maybe'], 'illegal synproxy mode maybe (auto, always or never)\n'],
  [['-a', '-t', '1.2.3.4:80', '-r', '10.0.0.1', '--synproxy', 'always'], '--synproxy is only for -A and -E\n'],
  [['-A', '-u', '1.2.3.4:53', '--synproxy', 'always'], '--synproxy is only for TCP services (-t)\n'],
  [
    ['-A', '-t', '1.2.3.4:80', '--synproxy', 'always', '--synproxy', 'never'],
    "multiple 'synproxy' options specified\n",
  ],
];
for (const [argv, text] of rejected) {
  t.test(`${argv.join(' ')} is refused with exit 2`, async (t) => {
    const e = t.throws(() => parse(argv)) as ArgvExit;
    t.ok(e instanceof ArgvExit);
    t.equal(e.text, text);
    t.equal(e.exitCode, 2);
  });
}

t.test('the rules line carries the mode unless it is auto, and parses back to the same flags', async (t) => {
  for (const mode of ['auto', 'always', 'never']) {
    const svc = parse(['-A', '-t', '1.2.3.4:80', '-s', 'rr', '--synproxy', mode]).svc;
    const line = formatServiceLine(svc);
    t.equal(line, `-A -t 1.2.3.4:80 -s rr${mode === 'auto' ? '' : ` --synproxy ${mode}`}`);
    t.equal(synproxyModeOf(parse(line.split(' ')).svc.flags), mode);
  }
});
