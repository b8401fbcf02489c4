// tsvsadm --engine: the engine.stats reply as text, with the defence block in the sysctls' words.
import t from 'tap';
import { formatEngine } from '../../src/cli/cli-extensions.ts';

t.test('--engine prints the defence levels, free entries, drops and the embryonic quota', async (t) => {
  const text = formatEngine({
    connections: 32779,
    defense: {
      dropEntry: 2,
      dropPacket: 2,
      secureTcp: 2,
      amemthresh: 40000,
      amDroprate: 10,
      freeEntries: 32757,
      nomem: true,
      dropentryOn: true,
      dropRate: 5,
      secureTcpOn: true,
      packetsDropped: 87178,
      entriesDropped: 7032,
      entriesScanned: 7150,
      embryonic: 32767,
      embryonicQuota: 32768,
      embryonicRecycled: 356166,
    },
    drops: { conn_table_full: 0 },
  });
  t.equal(
    text,
    'connections: 32779\n' +
      'defense:\n' +
      '  drop_entry 2  drop_packet 2  secure_tcp 2  amemthresh 40000  am_droprate 10\n' +
      '  free entries 32757 (nomem yes)  drop_entry on  drop rate 5  tcp_states_dos on\n' +
      '  dropped packets 87178  dropped entries 7032\n' +
      '  embryonic 32767 of quota 32768  recycled 356166\n' +
      'drops: {"conn_table_full":0}\n',
  );
});

t.test('--engine lists the IPv4 and the IPv6 neighbours, one per line', async (t) => {
  const text = formatEngine({
    neighbours: [{ ip: 0xc0a86364, mac: '02:00:00:00:99:64', state: 2, port: 1 }],
    neighbours6: [{ ip: '2001:db8:99::100', mac: '02:00:00:00:99:64', state: 2, port: 1 }],
  });
  t.equal(
    text,
    'neighbours:\n' +
      '  192.168.99.100 02:00:00:00:99:64 port 1 state 2\n' +
      'neighbours6:\n' +
      '  2001:db8:99::100 02:00:00:00:99:64 port 1 state 2\n',
  );
});
