import fc from 'fast-check';
import t from 'tap';
import { FAR_FROM_VILLAGE_KM, distanceKm, locationSuspicion, nearestCentre, placeToGo, suspicionWords } from '../../domain/location.js';

/** A phone's point that cannot be where the hazard is, and where an officer is sent then (SPEC §5 "without guesswork"). */
const LIJIA = { lat: 33.3521, lon: 105.6313 };

t.test('the newcomer’s cases: 0,0 and Beijing for a village in Longnan', async (t) => {
  t.match(locationSuspicion({ lat: 0, lon: 0 }, LIJIA), { problem: 'no_fix', distanceKm: Number });
  t.same(locationSuspicion({ lat: 0, lon: 0 }), { problem: 'no_fix', distanceKm: null, centreOf: null }, 'no centre, no distance');
  const beijing = locationSuspicion({ lat: 39.9, lon: 116.4 }, LIJIA)!;
  t.equal(beijing.problem, 'far_from_village');
  t.ok(beijing.distanceKm! > 1000 && beijing.distanceKm! < 1300, `Beijing is ~1,200 km from Kang county (${beijing.distanceKm})`);
  t.same(placeToGo({ lat: 0, lon: 0 }, LIJIA), { point: LIJIA, source: 'unit', suspicion: locationSuspicion({ lat: 0, lon: 0 }, LIJIA) }, 'the officer goes to the village centre');
  t.match(suspicionWords(beijing).zh, /公里，不在该村/);
});

t.test('every class of point, with and without a centre', async (t) => {
  const cases: Array<[string, { lat: number; lon: number }, string | undefined, string | undefined]> = [
    // name, point, problem with the centre, problem without one
    ['no fix', { lat: 0, lon: 0 }, 'no_fix', 'no_fix'],
    ['no fix, jittered', { lat: 0.004, lon: -0.003 }, 'no_fix', 'no_fix'],
    ['lat and lon swapped', { lat: 105.6313 > 90 ? 89 : 0, lon: 33.3521 }, 'outside_country', 'outside_country'],
    ['abroad (Moscow)', { lat: 55.75, lon: 37.62 }, 'outside_country', 'outside_country'],
    // A box, not a border: a neighbouring country inside it is caught by its distance only.
    ['abroad inside the box (Hanoi)', { lat: 21.03, lon: 105.85 }, 'far_from_village', undefined],
    ['the southern hemisphere', { lat: -33.35, lon: 105.63 }, 'outside_country', 'outside_country'],
    ['in China, the wrong province (Beijing)', { lat: 39.9, lon: 116.4 }, 'far_from_village', undefined],
    ['in the county, just past the line', { lat: LIJIA.lat + 0.28, lon: LIJIA.lon }, 'far_from_village', undefined],
    ['in the village', { lat: 33.3555, lon: 105.6402 }, undefined, undefined],
    ['the centre itself', LIJIA, undefined, undefined],
    ['the neighbouring township (12 km)', { lat: LIJIA.lat + 0.1, lon: LIJIA.lon + 0.05 }, undefined, undefined],
  ];
  for (const [name, point, withCentre, without] of cases) {
    t.equal(locationSuspicion(point, LIJIA)?.problem, withCentre, `${name}, with the village's centre`);
    t.equal(locationSuspicion(point)?.problem, without, `${name}, without a centre`);
    const place = placeToGo(point, LIJIA)!;
    t.same(place.point, withCentre ? LIJIA : point, `${name}: where the officer goes`);
    t.equal(place.source, withCentre ? 'unit' : 'report');
    // Without a centre: a point that cannot be trusted is no place to go (no map link to 0,0).
    t.same(placeToGo(point, undefined), without ? null : { point, source: 'report', suspicion: undefined });
  }
  t.same(placeToGo(undefined, LIJIA), { point: LIJIA, source: 'unit', suspicion: undefined }, 'no point: the centre');
  t.equal(placeToGo(undefined, undefined), null, 'neither: nothing to point at');
});

t.test('the distance: symmetric, zero at the point, the line where it says', async (t) => {
  const point = fc.record({ lat: fc.double({ min: 3, max: 54, noNaN: true }), lon: fc.double({ min: 73, max: 136, noNaN: true }) });
  fc.assert(
    fc.property(point, point, (a, b) => {
      const ab = distanceKm(a, b);
      return ab >= 0 && Math.abs(ab - distanceKm(b, a)) < 1e-9 && distanceKm(a, a) === 0;
    }),
  );
  // A degree of latitude is ~111.2 km on the mean sphere.
  t.ok(Math.abs(distanceKm({ lat: 33, lon: 105 }, { lat: 34, lon: 105 }) - 111.2) < 0.1);
  fc.assert(
    fc.property(point, (centre) => {
      const near = { lat: centre.lat + (FAR_FROM_VILLAGE_KM - 1) / 111.2, lon: centre.lon };
      const far = { lat: centre.lat + (FAR_FROM_VILLAGE_KM + 1) / 111.2, lon: centre.lon };
      return locationSuspicion(near, centre)?.problem !== 'far_from_village' && (far.lat > 54 || locationSuspicion(far, centre)?.problem === 'far_from_village');
    }),
  );
});

t.test('a village with no centre is measured from its township’s, else its county’s, each with its own reach (found by a newcomer: Beijing passed unflagged)', async (t) => {
  const WANGBA = { lat: 33.3287, lon: 105.6072 };
  const KANG = { lat: 33.33, lon: 105.6 };
  const units = new Map<string, { centre?: { lat: number; lon: number } }>([
    ['621299103201', {}],
    ['621299103000', { centre: WANGBA }],
    ['621299000000', { centre: KANG }],
  ]);
  const near = nearestCentre('621299103201', (code) => units.get(code))!;
  t.same(near, { point: WANGBA, of: 'township' });
  t.match(locationSuspicion({ lat: 39.9, lon: 116.4 }, near), { problem: 'far_from_village', centreOf: 'township' });
  t.equal(locationSuspicion({ lat: WANGBA.lat + 0.4, lon: WANGBA.lon }, near), undefined, '44 km from the township centre: within a township\u2019s reach');
  t.match(suspicionWords(locationSuspicion({ lat: 39.9, lon: 116.4 }, near)!).zh, /离所在乡镇中心/);
  t.same(placeToGo({ lat: 0, lon: 0 }, near)!.point, WANGBA, 'the officer goes to the township centre');
  units.set('621299103000', {});
  t.same(nearestCentre('621299103201', (code) => units.get(code)), { point: KANG, of: 'county' });
  units.set('621299000000', {});
  t.equal(nearestCentre('621299103201', (code) => units.get(code)), undefined);
  t.equal(placeToGo({ lat: 0, lon: 0 }, undefined), null, 'nothing known: no map link, rather than one to 0,0');
});

t.test('a point nearer a village of another township than its own, some way off, is not in the village (found by a newcomer: 15 km off, in the next township, unflagged)', async (t) => {
  // The demo register: 李家村 in 王坝镇, 年坝村 in the next township (年坝镇), about 15 km apart.
  const register: Record<string, { name: string; centre: { lat: number; lon: number } }> = {
    '621299103000': { name: '王坝镇', centre: { lat: 33.3287, lon: 105.6072 } },
    '621299103201': { name: '李家村', centre: LIJIA },
    '621299103202': { name: '何家沟村', centre: { lat: 33.3012, lon: 105.5899 } },
    '621299104000': { name: '年坝镇', centre: { lat: 33.2611, lon: 105.7004 } },
    '621299104201': { name: '年坝村', centre: { lat: 33.2402, lon: 105.7221 } },
  };
  const lookup = Object.assign((code: string) => register[code], {
    nearby: (point: { lat: number; lon: number }, km: number) =>
      Object.entries(register)
        .filter(([, u]) => distanceKm(point, u.centre) <= km)
        .map(([code, u]) => ({ code, name: u.name, centre: u.centre })),
  });
  const known = nearestCentre('621299103201', lookup)!;
  const atNianba = { lat: 33.2405, lon: 105.7215 };
  const s = locationSuspicion(atNianba, known)!;
  t.match(s, { problem: 'in_other_township', centreOf: 'village', nearer: { code: '621299104201', name: '年坝村' } });
  t.ok(s.distanceKm! > 14 && s.distanceKm! < 16, `15 km from 李家村 (${s.distanceKm})`);
  t.ok(s.nearer!.distanceKm < 0.2, 'beside 年坝村');
  t.match(suspicionWords(s).zh, /更靠近别的乡镇的年坝村/);
  t.same(placeToGo(atNianba, known)?.point, LIJIA, 'the officer is sent to 李家村, where the report is about');
  t.equal(locationSuspicion(atNianba, { point: LIJIA, of: 'village' }), undefined, 'without the register at hand, not judged (as before)');
  t.equal(locationSuspicion({ lat: 33.3012, lon: 105.5899 }, known), undefined, 'nearer a village of its own township: a point between two of its villages is where it says');
  t.equal(locationSuspicion({ lat: 33.33, lon: 105.66 }, known), undefined, 'within 5 km of its own centre: the edge of the village');

  // Generated: for any point, the rule is exactly "more than 5 km from its own centre, and nearer a
  // village of another township than to its own".
  const point = fc.record({ lat: fc.double({ min: 33.1, max: 33.5, noNaN: true }), lon: fc.double({ min: 105.4, max: 105.9, noNaN: true }) });
  fc.assert(
    fc.property(point, (p) => {
      const own = Math.round(distanceKm(p, LIJIA) * 10) / 10;
      const other = Math.round(distanceKm(p, register['621299104201']!.centre) * 10) / 10;
      const expected = own > FAR_FROM_VILLAGE_KM ? 'far_from_village' : own > 5 && other < own ? 'in_other_township' : undefined;
      return locationSuspicion(p, known)?.problem === expected;
    }),
    { numRuns: 500 },
  );
});
