// The commands_v_options grid of ipvsadm 1.31, checked cell by cell through parseArgv. The grid
// below is the C initializer pasted from ipvsadm.c, independent of src/ipvsadm/argv-options.ts:
// 'x' cells must fail with "Illegal '<option>' option with the '<command>' command" (exit 2),
// '+' cells when missing with "You need to supply ...", two '1' cells with "The option ...
// conflicts with ...", and ' ' cells must not be refused by the grid.
import t from 'tap';
import { parseArgv } from '../../src/ipvsadm/argv.ts';
import { ArgvExit } from '../../src/ipvsadm/argv-exit.ts';

const C_GRID = `
/*ADD*/     {'x', 'x', '+', ' ', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ' ', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
/*EDIT*/    {'x', 'x', '+', ' ', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ' ', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
/*DEL*/     {'x', 'x', '+', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
/*FLUSH*/   {'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
/*LIST*/    {' ', '1', '1', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', '1', '1', ' ', ' ', ' ', ' ', ' ', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ' ', 'x', 'x', 'x', 'x', 'x'},
/*ADDSRV*/  {'x', 'x', '+', 'x', 'x', 'x', '+', ' ', ' ', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ' ', ' ', ' ', ' ', ' '},
/*DELSRV*/  {'x', 'x', '+', 'x', 'x', 'x', '+', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
/*EDITSRV*/ {'x', 'x', '+', 'x', 'x', 'x', '+', ' ', ' ', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ' ', ' ', ' ', ' ', ' '},
/*TIMEOUT*/ {'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
/*STARTD*/  {'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ' ', 'x', 'x', 'x', 'x', ' ', ' ', ' ', ' ', 'x', 'x', 'x', 'x', 'x', 'x'},
/*STOPD*/   {'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
/*RESTORE*/ {'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
/*SAVE*/    {' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
/*ZERO*/    {'x', 'x', ' ', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'},
`;
const grid = C_GRID.trim()
  .split('\n')
  .map((l) => [...l.matchAll(/'(.)'/g)].map((m) => m[1]!));

/** The commands, in row order: cmdnames[] and the words that select them. */
const COMMANDS: { name: string; argv: string[] }[] = [
  { name: 'add-service', argv: ['-A'] },
  { name: 'edit-service', argv: ['-E'] },
  { name: 'delete-service', argv: ['-D'] },
  { name: 'flush', argv: ['-C'] },
  { name: 'list', argv: ['-L'] },
  { name: 'add-server', argv: ['-a'] },
  { name: 'delete-server', argv: ['-d'] },
  { name: 'edit-server', argv: ['-e'] },
  { name: 'set', argv: ['--set', '1', '2', '3'] },
  { name: 'start-daemon', argv: ['--start-daemon', 'master'] },
  { name: 'stop-daemon', argv: ['--stop-daemon', 'master'] },
  { name: 'restore', argv: ['-R'] },
  { name: 'save', argv: ['-S'] },
  { name: 'zero', argv: ['-Z'] },
];

/** optnames[] in column order, with a valid way to give each option. */
const OPTIONS: { name: string; argv: string[] }[] = [
  { name: 'numeric', argv: ['-n'] },
  { name: 'connection', argv: ['-c'] },
  { name: 'service-address', argv: ['-u', '192.168.88.5:53'] },
  { name: 'scheduler', argv: ['-s', 'rr'] },
  { name: 'persistent', argv: ['-p', '100'] },
  { name: 'netmask', argv: ['-M', '255.255.255.0'] },
  { name: 'real-server', argv: ['-r', '10.0.0.1:53'] },
  { name: 'forwarding-method', argv: ['-m'] },
  { name: 'weight', argv: ['-w', '3'] },
  { name: 'u-threshold', argv: ['-x', '10'] },
  { name: 'l-threshold', argv: ['-y', '5'] },
  { name: 'mcast-interface', argv: ['--mcast-interface', 'eth0'] },
  { name: 'timeout', argv: ['--timeout'] },
  { name: 'daemon', argv: ['--daemon'] },
  { name: 'stats', argv: ['--stats'] },
  { name: 'rate', argv: ['--rate'] },
  { name: 'thresholds', argv: ['--thresholds'] },
  { name: 'persistent-conn', argv: ['--persistent-conn'] },
  { name: 'nosort', argv: ['--nosort'] },
  { name: 'syncid', argv: ['--syncid', '3'] },
  { name: 'exact', argv: ['--exact'] },
  { name: 'ops', argv: ['-o'] },
  { name: 'pe', argv: ['--pe', 'sip'] },
  { name: 'sched-flags', argv: ['-b', 'flag-1'] },
  { name: 'mcast-group', argv: ['--mcast-group', '224.0.0.81'] },
  { name: 'mcast-port', argv: ['--mcast-port', '8848'] },
  { name: 'mcast-ttl', argv: ['--mcast-ttl', '1'] },
  { name: 'sync-maxlen', argv: ['--sync-maxlen', '1472'] },
  { name: 'tun-info', argv: ['--tun-info'] },
  { name: 'tun-type', argv: ['--tun-type', 'ipip'] },
  { name: 'tun-port', argv: ['--tun-port', '6080'] },
  { name: 'tun-nocsum', argv: ['--tun-nocsum'] },
  { name: 'tun-csum', argv: ['--tun-csum'] },
  { name: 'tun-remcsum', argv: ['--tun-remcsum'] },
];

const GRID_MESSAGE = /^(Illegal '|You need to supply|The option '.*' conflicts)/;

function outcome(argv: string[]): { exit: number; text: string } | null {
  try {
    parseArgv(argv);
    return null;
  } catch (e) {
    if (!(e instanceof ArgvExit)) throw e;
    return { exit: e.exitCode, text: e.text };
  }
}

t.test('the pasted grid has 14 rows of 34 columns', async (t) => {
  t.equal(grid.length, COMMANDS.length);
  for (const row of grid) t.equal(row.length, OPTIONS.length);
});

for (let i = 0; i < COMMANDS.length; i++) {
  const cmd = COMMANDS[i]!;
  const row = grid[i]!;
  const compulsory = OPTIONS.filter((_, j) => row[j] === '+');
  t.test(`the ${cmd.name} command accepts and refuses options as commands_v_options says`, async (t) => {
    for (const want of compulsory) {
      const others = compulsory.filter((o) => o !== want).flatMap((o) => o.argv);
      t.same(
        outcome([...cmd.argv, ...others]),
        { exit: 2, text: `You need to supply the '${want.name}' option for the '${cmd.name}' command\n` },
        `${want.name} is compulsory`,
      );
    }
    const base = [...cmd.argv, ...compulsory.flatMap((o) => o.argv)];
    for (let j = 0; j < OPTIONS.length; j++) {
      const opt = OPTIONS[j]!;
      if (row[j] === '+') continue;
      const got = outcome([...base, ...opt.argv]);
      if (row[j] === 'x') {
        t.same(
          got,
          { exit: 2, text: `Illegal '${opt.name}' option with the '${cmd.name}' command\n` },
          `${opt.name} is illegal`,
        );
      } else {
        t.notMatch(got?.text ?? '', GRID_MESSAGE, `${opt.name} is allowed by the grid`);
      }
    }
    const exclusive = OPTIONS.map((o, j) => ({ o, j })).filter(({ j }) => row[j] === '1');
    for (let a = 0; a < exclusive.length; a++) {
      for (let b = a + 1; b < exclusive.length; b++) {
        const first = exclusive[a]!.o;
        const second = exclusive[b]!.o;
        t.same(
          outcome([...base, ...second.argv, ...first.argv]),
          {
            exit: 2,
            text: `The option '${second.name}' conflicts with the '${first.name}' option in the '${cmd.name}' command\n`,
          },
          `${first.name} and ${second.name} exclude each other (reported in column order)`,
        );
      }
    }
  });
}
