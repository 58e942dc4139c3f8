import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { z } from 'zod';
import { EVENT_SCHEMAS, EVENT_STREAM, EVENT_TYPES, SCHEMA_VERSION, parseEvent, parseStream, streamId, streams, upcast } from '../../domain/events.js';
import { HAZARD_LABELS, IndicatorSet } from '../../domain/vocabulary.js';
import { allocatedData, filedData, verifiedData } from '../support/fixtures.js';

/** SPEC §3's events, and the ones zhitong adds (each documented in docs/decisions.md or the catalog). */
const SPEC_EVENTS = [
  'ReportFiled', 'ReportAmended', 'AlertRaised', 'AlertAcknowledged', 'OfficerDispatched', 'OfficerArrived', 'DamageVerified',
  'ReportDismissed', 'ReportClosed', 'ReliefAllocated', 'AllocationApproved', 'AllocationRejected', 'GoodsDelivered',
  'AllocationCancelled', 'IncidentOpened', 'ReportLinked', 'ReportUnlinked', 'FiguresSubmitted', 'IncidentStabilized',
  'IncidentClosed', 'OnCallAssigned', 'OnCallReleased', 'UnitRegistered', 'UnitUpdated', 'AuditSealed',
  // SPEC §2: stream `access`.
  'AccessGranted', 'AccessRevoked',
];
const ADDED = [
  'StatutoryClockAlerted', 'IncidentLinkClaimed', 'IncidentLinkReleased', 'ReliefClaimed', 'ReliefReserved',
  // SPEC §3 review: a head lets a flagged allocation go on (docs/decisions.md, "A review flag holds").
  'AllocationReviewed',
  'IdempotencyKeyClaimed', 'IdempotencyKeyCompleted', 'IdempotencyKeyReleased',
  // SPEC §5: SMS and voice (docs/decisions.md, issue 13).
  'AlertReceived', 'NotificationAttempted', 'NotificationSent', 'NotificationFailed', 'NotificationDelivered', 'SmsReceived', 'SmsAnswered',
  // SPEC §5: an answer through a related report that no longer stands (docs/decisions.md, session 55).
  'AlertReopened',
];

t.test('the catalog is exactly SPEC §3\u2019s events and the documented additions', async (t) => {
  t.same([...EVENT_TYPES].sort(), [...SPEC_EVENTS, ...ADDED].sort());
  t.equal(HAZARD_LABELS.debris_flow, '泥石流');
});

/**
 * A schema that changes shape must change version (readers upcast older events by version). The
 * fingerprint of each schema is recorded with its version in schema-fingerprints.json; a change
 * to a schema without a new version fails here. After bumping SCHEMA_VERSION and writing the
 * upcaster, record the new fingerprint.
 */
t.test('every schema change comes with a new schema version', async (t) => {
  const recorded = JSON.parse(readFileSync(join(import.meta.dirname, 'schema-fingerprints.json'), 'utf8')) as Record<string, { version: number; fingerprint: string }>;
  t.same(Object.keys(recorded).sort(), [...EVENT_TYPES].sort(), 'one record per event type');
  for (const type of EVENT_TYPES) {
    const fingerprint = createHash('sha256').update(JSON.stringify(z.toJSONSchema(EVENT_SCHEMAS[type], { io: 'input', unrepresentable: 'any' }))).digest('hex').slice(0, 16);
    const entry = recorded[type];
    if (entry?.fingerprint === fingerprint) t.equal(SCHEMA_VERSION[type], entry.version, `${type}: same schema, same version`);
    else t.fail(`${type}: its schema changed (${fingerprint}); bump SCHEMA_VERSION.${type} past ${entry?.version}, upcast the old version, record the fingerprint`);
  }
});

t.test('upcast: a GoodsDelivered of version 1 reads as one delivery, its id the event\u2019s', async (t) => {
  const v1 = { deliveredBy: 'u', cashFen: 100, goods: [], confirmation: { method: 'signature', reference: 'r' } };
  t.same(upcast('GoodsDelivered', 1, v1, 'e1a2b3c4-0000-4000-8000-000000000001'), { deliveryId: 'e1a2b3c4-0000-4000-8000-000000000001', ...v1 });
  const v3 = { ...v1, deliveryId: 'd' };
  t.equal(upcast('GoodsDelivered', 3, v3, 'x'), v3, 'the current version is untouched');
  const beforeVocabulary = { ...v3, goods: [{ item: '大米', quantity: 25, unit: 'kg' }, { item: '棉被', quantity: 2, unit: '床' }] };
  t.same((upcast('GoodsDelivered', 2, beforeVocabulary, 'x') as typeof beforeVocabulary).goods.map((g) => g.unit), ['公斤', '床'], 'version 2: a synonym becomes its canonical unit');
  t.same((upcast('ReliefAllocated', 1, { goods: [{ item: '油', quantity: 5, unit: 'L' }] }, 'x') as { goods: Array<{ unit: string }> }).goods[0]!.unit, '升');
  t.ok(parseEvent('GoodsDelivered', upcast('GoodsDelivered', 1, v1, 'e1a2b3c4-0000-4000-8000-000000000001')), 'and passes the current schema');
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
  t.same(bad('ReportFiled', filedData({ village: '62129910320' })), ['village']);
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
});

t.test('streamId answers what parseStream does, for every kind and for names of other kinds', async (t) => {
  const names = [
    streams.report('0b6c1f0e-4f5e-4a7e-9c55-1d2f3a4b5c6d'),
    streams.allocation('a-1'),
    streams.incident('i'),
    streams.roster('621224103'),
    streams.idempotency('k'),
    streams.household('621224103201', '0007'),
    streams.inbound('sms-1'),
    streams.units,
    streams.access,
    streams.audit,
    // Names zhitong does not write, and ones that only look like its own.
    'report',
    'report-',
    'reports-x',
    'unitsx',
    'units-1',
    'audit-',
    '-report-x',
    '',
    'Report-x',
  ];
  const kinds = [...new Set(Object.values(EVENT_STREAM))];
  t.equal(kinds.length, 10, 'every kind of stream has an event type written to it');
  for (const name of names) {
    const parsed = parseStream(name);
    for (const kind of kinds) {
      t.equal(streamId(name, kind), parsed?.kind === kind ? parsed.id : undefined, `${JSON.stringify(name)} as ${kind}`);
    }
  }
  t.equal(streamId(streams.household('621224103201', '0007'), 'household'), '621224103201-0007');
});
