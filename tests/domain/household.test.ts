import t from 'tap';
import fc from 'fast-check';
import { allocationDecider, holdsRelief, isLive, type AllocationState, type ExistingAllocation } from '../../domain/allocation.js';
import { DomainError } from '../../domain/errors.js';
import { householdDecider, type HouseholdCommand, type HouseholdEvent, type ReservedAllocation } from '../../domain/household.js';
import { spec } from '../support/decider-spec.js';
import { VILLAGE } from '../support/fixtures.js';
import { canonicalHouseholdId, cleanHouseholdId, earlierHouseholdStreamIds, HouseholdId } from '../../domain/vocabulary.js';

/** Issue 11: the rules of SPEC §3 "No double relief", given / when / then. */
const DAY = 86_400_000;
const T0 = Date.parse('2026-07-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const A = '0a000000-0000-4000-8000-0000000000a1';
const B = '0b000000-0000-4000-8000-0000000000b1';
const RA = '1a000000-0000-4000-8000-0000000000a1';
const RB = '1b000000-0000-4000-8000-0000000000b1';

const reserved = (allocationId: string, incident: string, atMs: number, over: Record<string, unknown> = {}): HouseholdEvent & { at: string } => ({
  type: 'ReliefReserved',
  data: { village: VILLAGE, householdId: 'hh-1', allocationId, category: 'emergency_living', incident, reportId: incident === 'inc-1' ? RA : RB, ...over },
  at: at(atMs),
});
const reserve = (
  allocationId: string,
  incident: string,
  nowMs: number,
  allocations: Record<string, ReservedAllocation>,
  over: Record<string, unknown> = {},
): HouseholdCommand => ({
  type: 'ReserveRelief',
  data: { village: VILLAGE, householdId: 'hh-1', allocationId, category: 'emergency_living', incident, reportId: RB, ...over },
  allocations: new Map(Object.entries(allocations)),
  windowDays: 30,
  claimTtlMs: 10_000,
  now: at(nowMs),
});
const live = (allocatedAtMs: number): ReservedAllocation => ({ exists: true, live: true, allocatedAt: at(allocatedAtMs) });
const dead: ReservedAllocation = { exists: true, live: false, allocatedAt: at(0) };

t.test('one live relief per category per incident; none within 30 days across incidents; repeatReason lifts both', async (t) => {
  const s = spec(t, householdDecider);
  s.given().when(reserve(B, 'inc-2', 0, {})).then([{ type: 'ReliefReserved', data: reserve(B, 'inc-2', 0, {}).data }], 'a first relief');
  s.given(reserved(A, 'inc-1', 0)).when(reserve(B, 'inc-1', 40 * DAY, { [A]: live(0) })).thenThrows('duplicate_relief', 'the same incident, whenever');
  s.given(reserved(A, 'inc-1', 0)).when(reserve(B, 'inc-2', 3 * DAY, { [A]: live(0) })).thenThrows('duplicate_relief', 'another incident three days later');
  s.given(reserved(A, 'inc-1', 0)).when(reserve(B, 'inc-2', 30 * DAY - 1, { [A]: live(0) })).thenThrows('duplicate_relief', 'one millisecond inside the window');
  s.given(reserved(A, 'inc-1', 0)).when(reserve(B, 'inc-2', 30 * DAY, { [A]: live(0) })).then([{ type: 'ReliefReserved', data: reserve(B, 'inc-2', 30 * DAY, {}).data }], 'thirty days after: allowed');
  s.given(reserved(A, 'inc-1', 0)).when(reserve(B, 'inc-2', 31 * DAY, { [A]: live(5 * DAY) })).thenThrows('duplicate_relief', 'the window counts from the earlier allocation\u2019s time');
  s.given(reserved(A, 'inc-1', 0)).when(reserve(B, 'inc-1', DAY, { [A]: dead })).then([{ type: 'ReliefReserved', data: reserve(B, 'inc-1', DAY, {}).data }], 'a rejected or cancelled one frees the slot');
  s.given(reserved(A, 'inc-1', 0))
    .when(reserve(B, 'inc-1', DAY, { [A]: live(0) }, { repeatReason: '房屋二次倒塌' }))
    .then([{ type: 'ReliefReserved', data: reserve(B, 'inc-1', DAY, {}, { repeatReason: '房屋二次倒塌' }).data }], 'repeatReason lifts both rules');
  s.given(reserved(A, 'inc-1', 0)).when(reserve(B, 'inc-1', DAY, { [A]: live(0) }, { category: 'housing' })).then([{ type: 'ReliefReserved', data: reserve(B, 'inc-1', DAY, {}, { category: 'housing' }).data }], 'another category');
  s.given(reserved(A, 'inc-1', 0)).when(reserve(B, 'inc-1', 5_000, {})).thenThrows('duplicate_relief', 'a reservation whose allocation is still being written holds');
  s.given(reserved(A, 'inc-1', 0)).when(reserve(B, 'inc-1', 60_000, {})).then([{ type: 'ReliefReserved', data: reserve(B, 'inc-1', 60_000, {}).data }], 'one whose allocation never came, past its lifetime, does not');
  s.given(reserved(A, 'inc-1', 0)).when(reserve(A, 'inc-1', 1_000, {})).then([], 'its own reservation again: nothing new');
  let named: unknown;
  try {
    householdDecider.decide(reserve(B, 'inc-1', DAY, { [A]: live(0) }), householdDecider.evolve(householdDecider.initialState(), reserved(A, 'inc-1', 0)));
  } catch (error) {
    named = (error as DomainError).details;
  }
  t.same(named, { allocationId: A, rule: 'one_per_incident' }, 'the refusal names the live allocation');
});

t.test('a link made after a reservation counts: its relief is in the incident its report is linked to now (found by a newcomer)', async (t) => {
  const s = spec(t, householdDecider);
  // Reserved while its report stood alone (`report:…`); the report was linked to inc-2 since.
  s.given(reserved(A, 'report:' + RA, 0)).when(reserve(B, 'inc-2', 40 * DAY, { [A]: { ...live(0), incident: 'inc-2' } })).thenThrows('duplicate_relief', 'the same incident now, whenever');
  s.given(reserved(A, 'report:' + RA, 0)).when(reserve(B, 'inc-2', 40 * DAY, { [A]: { ...live(0), incident: 'report:' + RA } })).then([{ type: 'ReliefReserved', data: reserve(B, 'inc-2', 40 * DAY, {}).data }], 'still alone, and past the window: given');
});

t.test('relief holds its slot while live, unless its report was dismissed before anything was handed over', async (t) => {
  t.equal(holdsRelief(true, false, 0), true, 'live');
  t.equal(holdsRelief(true, true, 0), false, 'dismissed, nothing handed over: it will never be given');
  t.equal(holdsRelief(true, true, 1), true, 'dismissed after a delivery: relief given stays given');
  t.equal(holdsRelief(false, false, 3), false, 'rejected or cancelled');
});

t.test('sweep: a household number is one household however it is typed — case, full-width, dashes, other separators, spaces, invisible characters', async (t) => {
  const variants: Record<string, string[]> = {
    // Every dash an input method gives, doubled (the IME's ——), the katakana ー, an underscore, and
    // spaces around any of them; and the other marks a hand puts between parts (found by a newcomer:
    // hh·1, hh.1 and hh/1 were households of their own): dots, the middle dots, slashes, the
    // enumeration comma, commas, colons, full-width or not.
    '-': ['-', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2014\u2014', '\u2e3a', '\u2212', '\uff0d', '\ufe63', '\u30fc', '_', '\uff3f', ' - ', '\u3000\u2014\u2014 ', '\u2500',
      '.', '\uff0e', '\u00b7', '\u30fb', '\u2027', '\u2022', '/', '\uff0f', '\\', '\u3001', ',', '\uff0c', ':', '\uff1a', ' . ', '#'],
  };
  const spelling = (c: string) => {
    if (variants[c]) return fc.constantFrom(...variants[c]);
    const upper = c.toUpperCase();
    const full = (ch: string) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0);
    return fc.constantFrom(c, upper, full(c), full(upper));
  };
  // Canonical numbers: no digit run padded with zeros (a lone 0 is a number), no dash between a letter and a digit.
  const id = fc.stringMatching(/^[a-z0-9]{1,4}(-[a-z0-9]{1,4}){0,3}$/).filter((p) => !/(?<![0-9])0[0-9]/.test(p) && !/[a-z]-[0-9]|[0-9]-[a-z]/.test(p));
  // What a register writes around them: zeros padding a digit run, 第 before a leading number,
  // 号 or 户 after a final one (found by newcomers: 07, 7号 and 7 were three households).
  const pad = fc.constantFrom('', '', '0', '00', '\uff10');
  await fc.assert(
    fc.asyncProperty(
      id.chain((plain) =>
        fc.tuple(
          fc.constant(plain),
          fc.tuple(...[...plain].map((c, i) => fc.tuple(/[0-9]/.test(c) && !/[0-9]/.test(plain[i - 1] ?? '') ? pad : fc.constant(''), spelling(c), fc.constantFrom('', '', '', '\u200b', '\ufeff', '\u2060')))),
          /^[0-9]/.test(plain) ? fc.constantFrom('', '', '第') : fc.constant(''),
          /[0-9]$/.test(plain) ? fc.constantFrom('', '', '号', '户', ' 号') : fc.constant(''),
        ),
      ),
      async ([plain, parts, before, after]) => {
        const typed = ' \u3000' + before + parts.map(([zeros, c, gap]) => zeros + c + gap).join('') + after + ' ';
        t.equal(canonicalHouseholdId(typed), plain, `${JSON.stringify(typed)} is ${plain}`);
      },
    ),
    { numRuns: 400 },
  );
  t.equal(cleanHouseholdId(' Ｄ－００７ '), 'd-007', 'kept: width, dashes, spaces and case cleaned, the zeros as written');
  t.equal(canonicalHouseholdId('07'), '7', 'a padded number is the number (found by a newcomer)');
  t.equal(canonicalHouseholdId('7号'), '7', '号 after it is the same household');
  t.equal(canonicalHouseholdId('第7户'), '7');
  t.equal(canonicalHouseholdId('3组12户'), '3-12', '组 between group and household is the register\u2019s dash');
  t.equal(canonicalHouseholdId('3 组 012 户'), '3-12');
  t.equal(canonicalHouseholdId('0'), '0', 'a lone zero stays');
  t.equal(canonicalHouseholdId('100'), '100', 'zeros inside a number stay');
  t.equal(canonicalHouseholdId('a-07'), 'a7');
  // A dash between a letter and a digit is the writer's, not the register's (found by a newcomer:
  // hh-1 and HH1 were two households, each paid); between two digits it is the group's.
  for (const typed of ['hh-1', 'HH1', 'hh－01', 'H H-1'.replace(' ', ''), 'hh_1', 'hh 1']) t.equal(canonicalHouseholdId(typed), 'hh1', `${typed} is hh1`);
  t.equal(canonicalHouseholdId('3-a'), '3a');
  t.equal(canonicalHouseholdId('a-b'), 'a-b', 'between two letters it stays');
  t.same(earlierHouseholdStreamIds('hh-01'), ['hh-01', 'hh-1', 'hh1'], 'streams written under earlier rules: as typed, session 50\u2019s key, and the key until session 55');
  t.same(earlierHouseholdStreamIds('07'), ['07', '7']);
  t.same(earlierHouseholdStreamIds('hh1'), ['hh1']);
  t.same(earlierHouseholdStreamIds('hh.01'), ['hh.01', 'hh.1'], 'a dotted number was its own key until session 55: that stream is read');
  t.equal(canonicalHouseholdId('hh.01'), 'hh1');
  t.not(canonicalHouseholdId('1-0'), canonicalHouseholdId('1'), 'a zero after a dash is a number of its own');
  // Written by hand in Chinese numerals, and 号户 together (found by a newcomer).
  for (const [typed, key] of [['七号', '7'], ['7号户', '7'], ['第七户', '7'], ['三组十二户', '3-12'], ['十', '10'], ['二十', '20'], ['一百零五', '105'], ['一〇五', '105'], ['两千零一', '2001'], ['三组〇七', '3-7']] as const) {
    t.equal(canonicalHouseholdId(typed), key, `${typed} is ${key}`);
  }
  for (const words of ['号', '户', '第户', '组', ' 号 ']) t.equal(HouseholdId.safeParse(words).success, false, `${JSON.stringify(words)}: the register's words alone are no number`);
  t.equal(canonicalHouseholdId('  ０１２－３  '), '12-3');
  t.not(canonicalHouseholdId('12-3'), canonicalHouseholdId('123'), 'a dash is kept: 12-3 is not 123');
  t.equal(canonicalHouseholdId('7——1'), '7-1', 'the IME dash, doubled, is one dash (found by a newcomer)');
  t.equal(canonicalHouseholdId('1 23'), '1-23', 'a space between digits separates: 1 23 is 1-23 ...');
  t.not(canonicalHouseholdId('1 23'), canonicalHouseholdId('123'), '... not 123');
  t.equal(canonicalHouseholdId('3 组 12 户'), canonicalHouseholdId('3组12户'), 'a space beside a Chinese character is dropped');
  t.equal(canonicalHouseholdId('-7-1-'), '7-1', 'no dash at either end');
  t.equal(canonicalHouseholdId('－'), '', 'a lone dash leaves nothing, which HouseholdId refuses');
  t.equal(HouseholdId.safeParse('——').success, false, 'nothing but dashes is no household number');
  t.equal(HouseholdId.safeParse('。').success, false, 'nor a full stop');
  t.equal(HouseholdId.parse('3组12户'), '3组12户', 'kept as the register writes it ...');
  t.equal(HouseholdId.parse('００７'), '007', '... zeros too');
  t.equal(canonicalHouseholdId(HouseholdId.parse('3组012户')), canonicalHouseholdId('3-12'), '... and known by its key');
});

t.test('a delivered allocation stays live, and is delivered only when cash and every goods line are', async (t) => {
  const s = spec(t, allocationDecider);
  const allocated = { type: 'ReliefAllocated' as const, data: { allocationId: A, reportId: RA, village: VILLAGE, household: { id: 'hh-1', name: '张三明' }, category: 'emergency_living' as const, cashFen: 1000, goods: [{ item: '大米', quantity: 25, unit: '公斤' as const }], fund: 'F', allocatedBy: 'o' } };
  const approved = { type: 'AllocationApproved' as const, data: { approvedBy: 'h' } };
  const delivery = (id: string, cashFen: number, quantity: number) => ({ type: 'GoodsDelivered' as const, data: { deliveryId: id, deliveredBy: 'o', cashFen, goods: quantity ? [{ item: '大米', quantity, unit: '公斤' as const }] : [], confirmation: { method: 'signature' as const, reference: 'r' } } });
  const cashOnly = s.given(allocated, approved, delivery('00000000-0000-4000-8000-000000000001', 1000, 0)).state as ExistingAllocation;
  t.equal(cashOnly.status, 'approved', 'the rice is still owed');
  const all = s.given(allocated, approved, delivery('00000000-0000-4000-8000-000000000001', 1000, 0), delivery('00000000-0000-4000-8000-000000000002', 0, 25)).state as AllocationState;
  t.equal((all as ExistingAllocation).status, 'delivered');
  t.ok(isLive(all), 'delivered relief stays live (SPEC §3)');
  s.given(allocated, approved, delivery('00000000-0000-4000-8000-000000000001', 1000, 0), delivery('00000000-0000-4000-8000-000000000002', 0, 25))
    .when({ type: 'RecordDelivery', data: delivery('00000000-0000-4000-8000-000000000003', 1, 0).data, report: { dismissed: false }, flags: [], now: at(0) })
    .thenThrows('over_delivery');
});

/**
 * A property over random command sequences across several reports and incidents, through the
 * deciders as the command handler drives them: no household ever holds two live allocations of
 * one category in one incident, or two within the window, without a repeatReason; deliveries never
 * exceed what was allocated.
 */
t.test('property: no double relief and no over-delivery, whatever the order of requests', async (t) => {
  const incidents = ['inc-1', 'inc-2', 'inc-3'];
  const command = fc.oneof(
    fc.record({ kind: fc.constant('allocate' as const), incident: fc.constantFrom(...incidents), category: fc.constantFrom('emergency_living', 'housing'), days: fc.integer({ min: 0, max: 40 }), repeat: fc.boolean(), cashFen: fc.integer({ min: 1, max: 1000 }) }),
    fc.record({ kind: fc.constantFrom('approve' as const, 'reject' as const, 'cancel' as const), which: fc.nat() }),
    fc.record({ kind: fc.constant('deliver' as const), which: fc.nat(), cashFen: fc.integer({ min: 1, max: 1200 }) }),
  );
  fc.assert(
    fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
      let household = householdDecider.initialState();
      const allocations = new Map<string, AllocationState>();
      const reservedAt = new Map<string, { incident: string; category: string; atMs: number; repeat: boolean }>();
      let clock = 0;
      let n = 0;
      const knowledge = () =>
        new Map([...allocations].map(([id, a]) => [id, a.exists ? { exists: true, live: isLive(a), allocatedAt: a.allocatedAt } : { exists: false, live: false }] as const));
      for (const c of commands) {
        if (c.kind === 'allocate') {
          clock += c.days * DAY + 60_000;
          const id = `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
          const now = at(clock);
          try {
            const events = householdDecider.decide(
              { type: 'ReserveRelief', data: { village: VILLAGE, householdId: 'hh-1', allocationId: id, category: c.category as 'housing', incident: c.incident, reportId: RA, ...(c.repeat ? { repeatReason: '复核后再次救助' } : {}) }, allocations: knowledge(), windowDays: 30, claimTtlMs: 10_000, now },
              household,
            );
            for (const e of events) household = householdDecider.evolve(household, { ...e, at: now });
          } catch (error) {
            if (error instanceof DomainError && error.code === 'duplicate_relief') continue;
            throw error;
          }
          const data = { allocationId: id, reportId: RA, village: VILLAGE, household: { id: 'hh-1', name: '张三明' }, category: c.category as 'housing', cashFen: c.cashFen, goods: [], fund: 'F', allocatedBy: 'o' };
          allocations.set(id, allocationDecider.evolve(allocationDecider.initialState(), { type: 'ReliefAllocated', data, at: now }));
          reservedAt.set(id, { incident: c.incident, category: c.category, atMs: clock, repeat: c.repeat });
          continue;
        }
        const ids = [...allocations.keys()];
        if (ids.length === 0) continue;
        const id = ids[c.which % ids.length]!;
        const state = allocations.get(id)!;
        const cmd =
          c.kind === 'approve'
            ? { type: 'ApproveAllocation' as const, data: { approvedBy: 'h' }, report: { dismissed: false }, flags: [], now: at(clock) }
            : c.kind === 'reject'
              ? { type: 'RejectAllocation' as const, data: { by: 'h', reason: 'r' }, now: at(clock) }
              : c.kind === 'cancel'
                ? { type: 'CancelAllocation' as const, data: { by: 'o', reason: 'r' }, now: at(clock) }
                : { type: 'RecordDelivery' as const, data: { deliveryId: `10000000-0000-4000-8000-${String(++n).padStart(12, '0')}`, deliveredBy: 'o', cashFen: 'cashFen' in c ? c.cashFen : 0, goods: [], confirmation: { method: 'signature' as const, reference: 'r' } }, report: { dismissed: false }, flags: [], now: at(clock) };
        try {
          let next = state;
          for (const e of allocationDecider.decide(cmd, state)) next = allocationDecider.evolve(next, { ...e, at: at(clock) });
          allocations.set(id, next);
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
        }
      }
      // The invariants, over every pair of live allocations.
      const liveOnes = [...allocations].filter(([, a]) => isLive(a)).map(([id, a]) => ({ id, a: a as ExistingAllocation, r: reservedAt.get(id)! }));
      for (const [i, x] of liveOnes.entries()) {
        if (x.a.deliveredCashFen > x.a.cashFen) return false;
        for (const y of liveOnes.slice(i + 1)) {
          if (x.r.category !== y.r.category || y.r.repeat) continue;
          if (x.r.incident === y.r.incident) return false;
          if (Math.abs(y.r.atMs - x.r.atMs) < 30 * DAY) return false;
        }
      }
      return true;
    }),
    { numRuns: 400 },
  );
  t.pass('no counterexample in 400 runs');
});
