// mergeSyncStats (src/daemon/workers-sync.ts): one daemon's counters from every worker as one.
// Every worker reads every message, so the message counters are worker 0's; each entry is counted
// by the workers that take it, so the entry counters (and a master's) are summed.

import t from 'tap';
import { mergeSyncStats } from '../../src/daemon/workers-sync.ts';

t.test('a backup: message counters once, entry counters summed', async (t) => {
  const w0 = {
    messages: 7,
    badLength: 1,
    otherSyncid: 0,
    v0Messages: 0,
    corrupt: 2,
    entries: 30,
    created: 20,
    updated: 10,
  };
  const w1 = {
    messages: 7,
    badLength: 1,
    otherSyncid: 0,
    v0Messages: 0,
    corrupt: 2,
    entries: 12,
    created: 12,
    updated: 0,
  };
  t.same(mergeSyncStats([w0, w1]), {
    messages: 7,
    badLength: 1,
    otherSyncid: 0,
    v0Messages: 0,
    corrupt: 2,
    entries: 42,
    created: 32,
    updated: 10,
  });
});

t.test('a master: every counter summed; no worker, no counters', async (t) => {
  const a = { connsSynced: 5, messagesSent: 2, bytesSent: 300, queued: 1, connsDropped: 0, sendErrors: 0 };
  const b = { connsSynced: 3, messagesSent: 1, bytesSent: 200, queued: 0, connsDropped: 1, sendErrors: 2 };
  t.same(mergeSyncStats([a, b]), {
    connsSynced: 8,
    messagesSent: 3,
    bytesSent: 500,
    queued: 1,
    connsDropped: 1,
    sendErrors: 2,
  });
  t.same(mergeSyncStats([]), {});
});
