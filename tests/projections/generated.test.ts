import t from 'tap';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { INDICATORS, type IndicatorSet } from '../../domain/vocabulary.js';
import { ancestry } from '../../domain/units.js';
import { ledgerTotals } from '../../projections/ledger.js';
import { fromSums, tallyOf, toSums } from '../../projections/tallies.js';
import { childrenOf } from '../../projections/units.js';
import { HandLog } from '../support/projections.js';

/**
 * A generated county (issue 10): several townships, dozens of villages, hundreds of reports with
 * amendments, verifications, acknowledgements, dismissals and closures, and relief allocated,
 * approved and delivered. The tallies and the ledger are checked against sums the test computes
 * on its own from what it generated — and every parent against its children, at every level.
 */
const COUNTY = '629901000000';
type Status = 'filed' | 'acknowledged' | 'verified' | 'dismissed' | 'closed';

const indicatorSet = fc.record(
  { affectedPeople: fc.integer({ min: 0, max: 500 }), roomsCollapsed: fc.integer({ min: 0, max: 20 }), dead: fc.integer({ min: 0, max: 3 }), cropAffectedHa: fc.integer({ min: 0, max: 10_000 }).map((n) => n / 100) },
  { requiredKeys: [] },
);
const op = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('file' as const), village: fc.nat(), estimate: indicatorSet, hazard: fc.constantFrom('landslide', 'hail', 'flash_flood') }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('amend' as const), report: fc.nat(), estimate: indicatorSet }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('ack' as const), report: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('verify' as const), report: fc.nat(), figures: indicatorSet, households: fc.integer({ min: 1, max: 3 }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('dismiss' as const), report: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('close' as const), report: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('allocate' as const), report: fc.nat(), cashFen: fc.integer({ min: 1, max: 500_000 }), approve: fc.boolean(), deliverShare: fc.integer({ min: 0, max: 4 }) }), weight: 2 },
);

const sumInto = (into: number[], set: IndicatorSet) => toSums(set).forEach((v, i) => (into[i]! += v));

t.test('a generated county: tallies and ledger equal sums computed independently, and every parent equals its children', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 3, max: 5 }), fc.integer({ min: 4, max: 12 }), fc.array(op, { minLength: 150, maxLength: 400 }), async (townships, villagesEach, ops) => {
      const log = new HandLog();
      let clock = Date.parse('2026-07-01T00:00:00Z');
      const at = () => new Date((clock += 1000)).toISOString();
      const register = (code: string, name: string) => log.add('units', 'UnitRegistered', { code, name, level: code === COUNTY ? 'county' : code.endsWith('000') ? 'township' : 'village', ...(code === COUNTY ? {} : { parent: code.endsWith('000') ? COUNTY : `${code.slice(0, 9)}000` }) }, at());
      register(COUNTY, '测试县');
      const villages: string[] = [];
      for (let s = 0; s < townships; s++) {
        const township = `629901${String(100 + s)}000`;
        register(township, `镇${s}`);
        for (let v = 0; v < villagesEach; v++) {
          const village = `629901${String(100 + s)}${String(200 + v)}`;
          register(village, `村${s}-${v}`);
          villages.push(village);
        }
      }

      // The test's own model of each report, kept apart from the projections.
      const reports: Array<{ id: string; village: string; status: Status; estimate: IndicatorSet; verified?: IndicatorSet; households: string[] }> = [];
      const allocations: Array<{ village: string; household: string; cashFen: number; approved: boolean; deliveredFen: number }> = [];
      for (const o of ops) {
        if (o.kind === 'file') {
          const id = randomUUID();
          const village = villages[o.village % villages.length]!;
          log.add(`report-${id}`, 'ReportFiled', { reportId: id, village, hazard: o.hazard, observedAt: at(), reporter: { id: 'c', name: '王建国', phone: '13800000000' }, estimate: o.estimate }, at());
          reports.push({ id, village, status: 'filed', estimate: { ...o.estimate }, households: [] });
          continue;
        }
        if (reports.length === 0) continue;
        const r = reports[o.report % reports.length]!;
        const stream = `report-${r.id}`;
        const open = r.status !== 'dismissed' && r.status !== 'closed';
        switch (o.kind) {
          case 'amend':
            if (!open) break;
            log.add(stream, 'ReportAmended', { estimate: o.estimate }, at());
            r.estimate = { ...r.estimate, ...o.estimate };
            break;
          case 'ack':
            if (!open) break;
            log.add(stream, 'AlertAcknowledged', { by: `o-${o.report}` }, at());
            if (r.status === 'filed') r.status = 'acknowledged';
            break;
          case 'verify': {
            if (!open) break;
            const households = Array.from({ length: o.households }, (_, i) => ({ householdId: `h${i}`, name: `户主${i}`, damage: 'collapsed' as const, people: 3 }));
            log.add(stream, 'DamageVerified', { verifier: 'o', figures: o.figures, households, method: '入户' }, at());
            r.status = 'verified';
            r.verified = o.figures;
            r.households = households.map((h) => h.householdId);
            break;
          }
          case 'dismiss':
            if (!open) break;
            log.add(stream, 'ReportDismissed', { reason: 'false_alarm' }, at());
            r.status = 'dismissed';
            break;
          case 'close':
            if (r.status !== 'verified') break;
            log.add(stream, 'ReportClosed', { summary: '完' }, at());
            r.status = 'closed';
            break;
          case 'allocate': {
            if (r.status !== 'verified' && r.status !== 'closed') break;
            const allocationId = randomUUID();
            const household = r.households[o.cashFen % r.households.length]!;
            const a = `allocation-${allocationId}`;
            log.add(a, 'ReliefAllocated', { allocationId, reportId: r.id, village: r.village, household: { id: household, name: '户主' }, category: 'emergency_living', cashFen: o.cashFen, goods: [], fund: 'F', allocatedBy: 'o' }, at());
            const model = { village: r.village, household, cashFen: o.cashFen, approved: false, deliveredFen: 0 };
            allocations.push(model);
            if (o.approve) {
              log.add(a, 'AllocationApproved', { approvedBy: 'h' }, at());
              model.approved = true;
              const part = Math.floor((o.cashFen * o.deliverShare) / 4);
              if (part > 0) {
                log.add(a, 'GoodsDelivered', { deliveryId: randomUUID(), deliveredBy: 'o', cashFen: part, goods: [], confirmation: { method: 'signature', reference: 'r' } }, at());
                model.deliveredFen = part;
              }
            }
            break;
          }
        }
      }

      const runner = log.runner();
      t.equal(runner.status().quarantined, 0, 'every generated event is one the catalog admits', { quarantine: runner.quarantine.slice(0, 2) });
      const tallies = runner.state('tallies');
      const units = runner.state('units');
      // Independent sums by unit, from the model.
      const expected = new Map<string, { reported: number[]; verified: number[]; count: number }>();
      for (const r of reports) {
        for (const unit of ancestry(r.village)) {
          let e = expected.get(unit);
          if (!e) expected.set(unit, (e = { reported: INDICATORS.map(() => 0), verified: INDICATORS.map(() => 0), count: 0 }));
          e.count += 1;
          if (r.status !== 'dismissed') sumInto(e.reported, r.estimate);
          if ((r.status === 'verified' || r.status === 'closed') && r.verified) sumInto(e.verified, r.verified);
        }
      }
      const all = [COUNTY, ...units.children.get(COUNTY)!, ...villages];
      for (const unit of all) {
        const tally = tallyOf(tallies, unit);
        const e = expected.get(unit) ?? { reported: INDICATORS.map(() => 0), verified: INDICATORS.map(() => 0), count: 0 };
        if (JSON.stringify(fromSums(tally.reported)) !== JSON.stringify(fromSums(e.reported))) return false;
        if (JSON.stringify(fromSums(tally.verified)) !== JSON.stringify(fromSums(e.verified))) return false;
        if (Object.values(tally.byStatus).reduce((a, b) => a + b, 0) !== e.count) return false;
        const children = childrenOf(units, unit);
        if (children.length > 0) {
          const sum = INDICATORS.map((_, i) => children.reduce((n, c) => n + tallyOf(tallies, c).reported[i]!, 0));
          if (sum.some((v, i) => v !== tally.reported[i])) return false;
          const vsum = INDICATORS.map((_, i) => children.reduce((n, c) => n + tallyOf(tallies, c).verified[i]!, 0));
          if (vsum.some((v, i) => v !== tally.verified[i])) return false;
        }
      }
      // The ledger, per household, against the model.
      const ledger = runner.state('ledger');
      for (const key of new Set(allocations.map((a) => `${a.village}|${a.household}`))) {
        const mine = allocations.filter((a) => `${a.village}|${a.household}` === key);
        const rows = [...ledger.rows.values()].filter((row) => `${row.village}|${row.household.id}` === key);
        const totals = ledgerTotals(rows);
        if (totals.allocatedFen !== mine.reduce((n, a) => n + a.cashFen, 0)) return false;
        if (totals.approvedFen !== mine.filter((a) => a.approved).reduce((n, a) => n + a.cashFen, 0)) return false;
        if (totals.deliveredFen !== mine.reduce((n, a) => n + a.deliveredFen, 0)) return false;
        if (totals.outstandingFen !== mine.filter((a) => a.approved).reduce((n, a) => n + a.cashFen - a.deliveredFen, 0)) return false;
        // Whatever rest is voided (a dismissed report's), the totals add up: approved = delivered + outstanding + voided.
        const someVoid = ledgerTotals(rows, (row) => row.allocationId < '8');
        if (someVoid.approvedFen !== someVoid.deliveredFen + someVoid.outstandingFen + someVoid.voidedFen) return false;
        for (const key of Object.keys(someVoid.goods.approved)) {
          const parts = (someVoid.goods.delivered[key] ?? 0) + (someVoid.goods.outstanding[key] ?? 0) + (someVoid.goods.voided[key] ?? 0);
          if (parts !== someVoid.goods.approved[key]) return false;
        }
      }
      return true;
    }),
    { numRuns: 25 },
  );
});
