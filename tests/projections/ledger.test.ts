import t from 'tap';
import { ledgerProjection, ORPHAN_RESERVATION_MS } from '../../projections/ledger.js';
import type { ProjectedEvent } from '../../projections/projection.js';

const village = '620102001001';
const reportId = '11111111-1111-4111-8111-111111111111';
const actor = { id: 'officer-1', role: 'officer' };
let position = 0;
const pos = () => String(++position).padStart(20, '0');

const reserved = (allocationId: string, incident: string, at: string): ProjectedEvent<'ReliefReserved'> => ({
  type: 'ReliefReserved',
  data: { village, householdId: '7', allocationId, category: 'emergency_living', incident, reportId },
  stream: `household-${village}-7`,
  id: `${village}-7`,
  revision: 0,
  position: pos(),
  at,
  actor,
});
const allocated = (allocationId: string, at: string): ProjectedEvent<'ReliefAllocated'> => ({
  type: 'ReliefAllocated',
  data: { allocationId, reportId, village, household: { id: '7', name: '张三' }, category: 'emergency_living', cashFen: 50_000, goods: [], fund: 'SP-1', allocatedBy: 'officer-1' },
  stream: `allocation-${allocationId}`,
  id: allocationId,
  revision: 0,
  position: pos(),
  at,
  actor,
});
const a = (n: number) => `aaaaaaaa-aaaa-4aaa-8aaa-${String(n).padStart(12, '0')}`;
const at = (ms: number) => new Date(Date.parse('2026-07-01T00:00:00.000Z') + ms).toISOString();

t.test('an allocation takes the incident its reservation counted it in, and the reservation is let go', async (t) => {
  let s = ledgerProjection.initialState();
  s = ledgerProjection.evolve(s, reserved(a(1), 'incident-x', at(0)));
  s = ledgerProjection.evolve(s, allocated(a(1), at(50)));
  t.equal(s.rows.get(a(1))?.reservedIncident, 'incident-x');
  t.equal(s.reserved.size, 0);
});

t.test('a reservation whose allocation was never written is dropped a day later, not kept for ever', async (t) => {
  let s = ledgerProjection.initialState();
  s = ledgerProjection.evolve(s, reserved(a(1), 'incident-x', at(0)));
  // Still expected within the day: a slow request writes its allocation late.
  s = ledgerProjection.evolve(s, reserved(a(2), 'incident-x', at(ORPHAN_RESERVATION_MS - 1)));
  t.same([...s.reserved.keys()], [a(1), a(2)]);
  // Many orphans, each a day apart: the map holds the ones of the last day only.
  for (let i = 3; i < 200; i++) s = ledgerProjection.evolve(s, reserved(a(i), 'incident-x', at(i * ORPHAN_RESERVATION_MS)));
  t.same([...s.reserved.keys()], [a(198), a(199)], 'only those of the last day remain');
  s = ledgerProjection.evolve(s, allocated(a(199), at(199 * ORPHAN_RESERVATION_MS + 10)));
  t.equal(s.rows.get(a(199))?.reservedIncident, 'incident-x');
  s = ledgerProjection.evolve(s, allocated(a(1), at(200 * ORPHAN_RESERVATION_MS)));
  t.equal(s.rows.get(a(1))?.reservedIncident, undefined, 'an allocation written after its reservation was let go reads as one from before reservations were kept');
  t.same([...s.reserved.keys()], [a(198)], 'the orphan of the last day waits for the next reservation to be let go');
});
