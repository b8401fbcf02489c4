// Tests of bench/compare's parsers of tool output (no root, no lab): wrk rates, latencies and
// errors, iperf3's JSON, curl's per-server counts.
// Run: npx tap bench/compare/load.test.ts

import t from 'tap';
import { latencyMs, parseDist, parseIperf, parseWrk } from './load.ts';

// Captured from a real run: wrk 4.1.0 through tsvs, Connection: close, 2 s.
const WRK_CLOSE = `Running 2s test @ http://192.168.88.5/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.66ms    2.63ms  28.43ms   89.88%
    Req/Sec     7.62k     1.24k   10.14k    60.00%
  Latency Distribution
     50%    2.98ms
     75%    4.05ms
     90%    5.88ms
     99%   15.28ms
  15270 requests in 2.02s, 2.58MB read
Requests/sec:   7562.46
Transfer/sec:      1.28MB
`;

t.test('parseWrk reads the rate, the p99 in ms and the request count of a real wrk run', async (t) => {
  t.same(parseWrk(WRK_CLOSE), { rps: 7562.46, p99Ms: 15.28, errors: 0, requests: 15270 });
});

t.test('parseWrk adds socket errors and non-2xx responses into errors', async (t) => {
  const out = WRK_CLOSE.replace(
    'Requests/sec',
    '  Socket errors: connect 1, read 12, write 0, timeout 3\n  Non-2xx or 3xx responses: 5\nRequests/sec',
  );
  t.equal(parseWrk(out)?.errors, 21);
});

t.test('parseWrk returns null when wrk printed no rate (it failed to connect)', async (t) => {
  t.equal(parseWrk('unable to connect to 192.168.88.5:80 Connection refused\n'), null);
});

t.test('latencyMs converts wrk units to milliseconds', async (t) => {
  t.equal(latencyMs('812.00us'), 0.812);
  t.equal(latencyMs('2.68ms'), 2.68);
  t.equal(latencyMs('1.02s'), 1020);
  t.equal(latencyMs('1.5m'), 90_000);
  t.equal(latencyMs('fast'), null);
});

t.test('parseIperf takes the received rate in Gbit/s and the sender retransmits', async (t) => {
  const j = JSON.stringify({ end: { sum_sent: { retransmits: 877 }, sum_received: { bits_per_second: 12.5e9 } } });
  t.same(parseIperf(j), { gbps: 12.5, retransmits: 877 });
});

t.test('parseIperf reports iperf3 errors and output that is not JSON', async (t) => {
  t.same(parseIperf(JSON.stringify({ error: 'unable to connect to server: Connection refused' })), {
    error: 'iperf3: unable to connect to server: Connection refused',
  });
  t.same(parseIperf('iperf3: error'), { error: 'iperf3 printed no JSON: iperf3: error' });
});

t.test('parseDist counts web1 and web2 lines and calls the rest other', async (t) => {
  t.same(parseDist('web1\nweb2\nweb1\nFAIL\n', 5), { web1: 2, web2: 1, other: 2 });
});
