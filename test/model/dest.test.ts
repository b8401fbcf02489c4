import t from 'tap';
import { Dest, destOverhead, AF_INET } from '../../src/model/dest.ts';

t.test('a new dest is inactive with weight 1 and the DR default', async (t) => {
  const d = new Dest(AF_INET, 0xc0a86364, 80);
  t.equal(d.weight, 1);
  d.activeConns = 2;
  d.inactConns = 3;
  t.equal(destOverhead(d), 2 * 256 + 3);
});
