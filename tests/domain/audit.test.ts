import t from 'tap';
import fc from 'fast-check';
import { positionForPeople } from '../../domain/audit.js';
import { sqlitePosition } from '../../infra/eventstore/sqlite-appender.mjs';

// Positions are padded so that string order is log order (16 digits in SQLite, 20 for EventStoreDB's
// commit positions); people — the CLI, printed notices, verify's summary — read the number. One
// helper does it everywhere, so no place prints `0000000000000042` and another `42`.

t.test('every padded position reads as its number, whatever the padding', async (t) => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 10n ** 20n - 1n }), fc.integer({ min: 1, max: 24 }), (n, width) => {
      return positionForPeople(n.toString().padStart(width, '0')) === n.toString();
    }),
  );
  t.equal(positionForPeople(sqlitePosition(42)), '42');
  t.equal(positionForPeople(sqlitePosition(0)), '0');
  t.equal(positionForPeople('0000'), '0', 'all zeros is position 0, not empty');
  t.equal(positionForPeople(''), '', 'nothing stays nothing');
});
