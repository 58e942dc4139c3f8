import t from 'tap';
import { z } from 'zod';
import { EVENT_SCHEMAS, EVENT_TYPES, SCHEMA_VERSION, parseEvent } from '../../domain/events.js';
import { HAZARD_LABELS, IndicatorSet } from '../../domain/vocabulary.js';
import { allocatedData, filedData, verifiedData } from '../support/fixtures.js';

t.test('the catalog knows every SPEC §3 event, each at a schema version', async (t) => {
  for (const type of [
    'ReportFiled', 'ReportAmended', 'AlertRaised', 'AlertAcknowledged', 'OfficerDispatched', 'OfficerArrived', 'DamageVerified',
    'ReportDismissed', 'ReportClosed', 'ReliefAllocated', 'AllocationApproved', 'AllocationRejected', 'GoodsDelivered',
    'AllocationCancelled', 'IncidentOpened', 'ReportLinked', 'ReportUnlinked', 'FiguresSubmitted', 'IncidentStabilized',
    'IncidentClosed', 'OnCallAssigned', 'OnCallReleased', 'UnitRegistered', 'UnitUpdated', 'AuditSealed',
  ]) {
    t.ok(EVENT_TYPES.includes(type as never), type);
  }
  t.ok(EVENT_TYPES.every((type) => SCHEMA_VERSION[type] === 1));
  t.equal(HAZARD_LABELS.debris_flow, '泥石流');
});

t.test('parseEvent accepts good data and names the bad field', async (t) => {
  t.same(parseEvent('ReportFiled', filedData()).data, filedData());
  t.ok(parseEvent('DamageVerified', verifiedData()));
  t.ok(parseEvent('ReliefAllocated', allocatedData()));
  t.throws(() => parseEvent('ReportRewritten', {}), /unknown event type/);
  const bad = (type: string, data: unknown): string[] => {
    try {
      parseEvent(type, data);
      return [];
    } catch (e) {
      return (e as z.ZodError).issues.map((i) => i.path.join('.'));
    }
  };
  t.same(bad('ReliefAllocated', allocatedData({ cashFen: 12.5 })), ['cashFen'], 'money is never a float');
  t.same(bad('ReportFiled', filedData({ village: '62122410320' })), ['village']);
  t.same(bad('ReportFiled', { ...filedData(), extra: 1 }), [''], 'unknown fields are rejected');
  t.same(bad('ReportFiled', filedData({ estimate: { dead: -1 } })), ['estimate.dead']);
  t.same(bad('ReportFiled', filedData({ hazard: 'tsunami' as never })), ['hazard']);
  t.same(bad('ReportFiled', filedData({ location: { lat: 91, lon: 0 } })), ['location.lat']);
  t.same(bad('DamageVerified', verifiedData({ households: [{ householdId: 'h', name: 'x', damage: 'total' as never, people: 1 }] })), ['households.0.damage']);
});

t.test('indicator set: hectares to the hundredth, counts whole', async (t) => {
  t.ok(IndicatorSet.safeParse({ cropAffectedHa: 0.07, cropFailedHa: 12.35 }).success);
  t.notOk(IndicatorSet.safeParse({ cropAffectedHa: 0.075 }).success);
  t.notOk(IndicatorSet.safeParse({ affectedPeople: 1.5 }).success);
  t.ok(Object.keys(EVENT_SCHEMAS).length >= 25);
});
