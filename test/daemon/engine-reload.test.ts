// Which [engine] changes a reload applies live (kernel-filter, busy-poll-us) and which it refuses, by key name.
import t from 'tap';
import { diffEngineConfig, engineKeyName, refusedMessage } from '../../src/daemon/engine-reload.ts';
import { parseConfig } from '../../src/daemon/config-file.ts';

const engine = (text: string) => parseConfig(`[engine]\n${text}`, '/c').engine;

t.test('kernel-filter and busy-poll-us change live; the other keys are refused by their config names', async (t) => {
  const running = engine('interface eth0 owned 10.0.0.1\nconn-capacity 1024\nkernel-filter on\n');
  t.same(diffEngineConfig(running, running), { live: [], refused: [] });
  t.same(diffEngineConfig(running, engine('interface eth0 owned 10.0.0.1\nconn-capacity 1024\nkernel-filter off\n')), {
    live: ['kernelFilter'],
    refused: [],
  });
  const d = diffEngineConfig(
    running,
    engine(
      'interface eth0 owned 10.0.0.2\nconn-capacity 2048\nbusy-poll-us 20\npoll-interval-us 50\nkernel-filter on\n',
    ),
  );
  t.same(d, { live: ['busyPollUs'], refused: ['ports', 'connCapacity', 'pollIntervalUs'] });
  t.same(d.refused.map(refusedMessage), [
    'reload: [engine] interface changes at the next start only',
    'reload: [engine] conn-capacity changes at the next start only',
    'reload: [engine] poll-interval-us changes at the next start only',
  ]);
});

t.test('sloppy-tcp changes live, by its config name', async (t) => {
  const running = engine('interface eth0 owned 10.0.0.1\n');
  t.same(diffEngineConfig(running, engine('interface eth0 owned 10.0.0.1\nsloppy-tcp consistent\n')), {
    live: ['sloppyTcp'],
    refused: [],
  });
  t.equal(engineKeyName('sloppyTcp'), 'sloppy-tcp');
});

t.test('a key of a group of settings is named by itself; unknown fields are kebab-cased', async (t) => {
  const a = { ports: [], fullNatAddrs: [], connCapacity: 1, defense: { dropEntry: 0, amDroprate: 10 } };
  const b = { ports: [], fullNatAddrs: [], connCapacity: 1, defense: { dropEntry: 0, amDroprate: 5 } };
  t.same(diffEngineConfig(a, b), { live: [], refused: ['amDroprate'] });
  t.equal(engineKeyName('amDroprate'), 'am-droprate');
  t.equal(engineKeyName('fullNatPorts'), 'fullnat-ports');
  t.equal(engineKeyName('pollIntervalUs'), 'poll-interval-us');
});
