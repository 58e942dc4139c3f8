import t from 'tap';
import { EsdbEventStore } from '../infra/eventstore/esdb.js';
import { eventStoreContract } from './support/eventstore-contract.js';

// There is no EventStoreDB server on the development machines; the suite runs wherever one is
// reachable, e.g. EVENTSTORE_URL=esdb://localhost:2113?tls=false npm test
const url = process.env.EVENTSTORE_URL;

if (!url) {
  t.plan(0, 'EventStoreDB contract suite SKIPPED: EVENTSTORE_URL is not set');
} else {
  t.test('contract: EventStoreDB', async (t) =>
    eventStoreContract(t, async (t) => {
      const store = new EsdbEventStore(url);
      t.teardown(() => store.close());
      return store;
    }),
  );
}
