// print_largenum(): 9 columns, K/M/G/T from 100 million, --exact widths.
import t from 'tap';
import { printLargenum, padLeft, padRight } from '../../src/cli/format-numbers.ts';
import { FMT_EXACT } from '../../src/ipvsadm/argv-options.ts';

t.test('numbers switch to suffixes at ipvsadm\'s thresholds ("%9llu" / "%8lluK|M|G|T")', async (t) => {
  const cases: [number, string][] = [
    [0, '        0'],
    [99_999_999, ' 99999999'],
    [100_000_000, '  100000K'],
    [999_999_999, '  999999K'],
    [1_000_000_000, '    1000M'],
    [99_999_999_999, '   99999M'],
    [100_000_000_000, '     100G'],
    [99_999_999_999_999, '   99999G'],
    [100_000_000_000_000, '     100T'],
    [2 ** 53, '    9007T'],
  ];
  for (const [n, s] of cases) t.equal(printLargenum(n, 0), s, String(n));
});

t.test('--exact prints whole numbers, 9 wide up to 8 digits, else one blank before', async (t) => {
  t.equal(printLargenum(12345678, FMT_EXACT), ' 12345678');
  t.equal(printLargenum(123456789, FMT_EXACT), ' 123456789');
  t.equal(printLargenum(2 ** 53, FMT_EXACT), ' 9007199254740992');
});

t.test('%-Ns and %Ns pad but never cut', async (t) => {
  t.equal(padRight('ab', 4), 'ab  ');
  t.equal(padLeft('ab', 4), '  ab');
  t.equal(padRight('abcdef', 4), 'abcdef');
});
