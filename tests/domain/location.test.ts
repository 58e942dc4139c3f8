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
