import t from 'tap';
import { rosterDecider } from '../../domain/roster.js';
import { unitRegisterDecider, type UnitEvent } from '../../domain/unit-register.js';
import { spec } from '../support/decider-spec.js';
import { NOW, TOWNSHIP } from '../support/fixtures.js';

t.test('roster: replacing releases the departed and assigns the new', async (t) => {
  const s = spec(t, rosterDecider);
  const set = (entries: Array<{ officer: string; tier: 'primary' | 'backup'; from?: string; until?: string }>, township = TOWNSHIP) => ({
    type: 'SetRoster' as const,
    data: { township, entries },
    now: NOW,
  });
  s.given().when(set([{ officer: 'u-li', tier: 'primary' }])).then([
    { type: 'OnCallAssigned', data: { township: TOWNSHIP, officer: 'u-li', tier: 'primary' } },
  ]);
  const li = { type: 'OnCallAssigned' as const, data: { township: TOWNSHIP, officer: 'u-li', tier: 'primary' as const } };
  s.given(li).when(set([{ officer: 'u-li', tier: 'primary' }])).then([], 'an unchanged roster writes nothing');
  s.given(li).when(set([{ officer: 'u-wang', tier: 'primary' }])).then([
    { type: 'OnCallReleased', data: { township: TOWNSHIP, officer: 'u-li' } },
    { type: 'OnCallAssigned', data: { township: TOWNSHIP, officer: 'u-wang', tier: 'primary' } },
  ]);
  s.given().when(set([{ officer: 'a', tier: 'primary' }], '621224000000')).thenThrows('invalid_unit');
  s.given().when(set([{ officer: 'a', tier: 'primary' }, { officer: 'a', tier: 'backup' }])).thenThrows('duplicate_roster_entry');
  s.given().when(set([{ officer: 'a', tier: 'primary', from: '2026-07-02T00:00:00.000Z', until: '2026-07-01T00:00:00.000Z' }])).thenThrows('invalid_period');
  t.same(s.given(li, { type: 'OnCallReleased', data: { township: TOWNSHIP, officer: 'u-li' } }).state.entries, []);
});

t.test('units: parents first; re-import writes only changes', async (t) => {
  const s = spec(t, unitRegisterDecider);
  const units = [
    { code: '620000000000', name: '甘肃省' },
    { code: '621200000000', name: '陇南市' },
    { code: '621224000000', name: '康县' },
    { code: '621224103000', name: '王坝镇', phones: ['09395123456'] },
    { code: '621224103201', name: '李家村', centre: { lat: 33.33, lon: 105.61 }, accessNotes: '县道X412，过桥左转' },
  ];
  const importAll = { type: 'ImportUnits' as const, data: { units }, now: NOW };
  const registered: UnitEvent[] = [
    { type: 'UnitRegistered', data: { code: '620000000000', name: '甘肃省', level: 'province' } },
    { type: 'UnitRegistered', data: { code: '621200000000', name: '陇南市', level: 'city', parent: '620000000000' } },
    { type: 'UnitRegistered', data: { code: '621224000000', name: '康县', level: 'county', parent: '621200000000' } },
    { type: 'UnitRegistered', data: { code: '621224103000', name: '王坝镇', level: 'township', parent: '621224000000', phones: ['09395123456'] } },
    {
      type: 'UnitRegistered',
      data: { code: '621224103201', name: '李家村', level: 'village', parent: '621224103000', centre: { lat: 33.33, lon: 105.61 }, accessNotes: '县道X412，过桥左转' },
    },
  ];
  s.given().when(importAll).then(registered);
  s.given(...registered).when(importAll).then([], 'the same file twice writes nothing');
  s.given(...registered)
    .when({ type: 'ImportUnits', data: { units: [{ code: '621224103201', name: '李家村', accessNotes: '新修便道' }] }, now: NOW })
    .then([{ type: 'UnitUpdated', data: { code: '621224103201', accessNotes: '新修便道' } }]);
  s.given().when({ type: 'ImportUnits', data: { units: [units[2]!, units[4]!] }, now: NOW }).thenThrows('parent_not_found', 'a village whose township is missing');
  s.given()
    .when({ type: 'ImportUnits', data: { units: [units[2]!, units[3]!] }, now: NOW })
    .then(registered.slice(2, 4), 'a county office\u2019s file may start at its county: the first entry is a root');
  s.given(...registered.slice(0, 1)).when({ type: 'ImportUnits', data: { units: [units[2]!] }, now: NOW }).thenThrows('parent_not_found', 'but not into a register that has other units');
  s.given().when({ type: 'ImportUnits', data: { units: [units[0]!, units[0]!] }, now: NOW }).thenThrows('already_exists');
  const state = s.given(...registered, { type: 'UnitUpdated', data: { code: '621224103201', name: '李家新村' } }).state;
  t.equal(state.units.get('621224103201')?.name, '李家新村', 'a renamed village has its new name in the register');
  t.equal(state.units.get('621224103000')?.name, '王坝镇', 'and its township keeps its own');
});
