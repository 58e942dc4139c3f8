import t from 'tap';
import { EsdbEventStore } from '../infra/eventstore/esdb.js';
import { EsdbTestNode } from './support/esdb-server.js';
import { eventStoreContract } from './support/eventstore-contract.js';

// The contract suite runs in every `npm test` against the protocol-level test server
// (tests/support/esdb-server.ts), and against a real EventStoreDB whenever one is reachable:
// EVENTSTORE_URL=esdb://localhost:2113?tls=false npm test
const url = process.env.EVENTSTORE_URL;

// Without BatchAppend in its features (a server before 21.10), the client appends with Streams.Append.
for (const batchAppend of [true, false]) {
  t.test(`contract: EventStoreDB protocol, test server ${batchAppend ? 'with' : 'without'} BatchAppend`, async (t) => {
    const node = new EsdbTestNode({ batchAppend });
    await node.start();
    t.teardown(() => node.stop());
    // System events interleave with ours in $all, as on a server running its own subsystems.
    node.log.appendSystem(120);
    eventStoreContract(t, async (t) => {
      const store = new EsdbEventStore(node.url);
      t.teardown(() => store.close());
      return store;
    });
  });
}

t.test('contract: EventStoreDB, real server', { skip: url ? false : 'EVENTSTORE_URL is not set' }, async (t) =>
  eventStoreContract(t, async (t) => {
    const store = new EsdbEventStore(url!);
    t.teardown(() => store.close());
    return store;
  }),
);
