/**
 * Whether a point a phone sent can be where a hazard is, and where to send an officer when it
 * cannot (SPEC §5 "without guesswork": an alert says where). A phone without a fix often sends
 * 0,0, and one that kept an old fix sends where it last was. Such a point is kept in the log as the
 * phone sent it, but it is flagged, and an alert points at the village's centre instead.
 */
import { ancestorAt, unitLevel } from './units.js';

export interface Point {
  /** Degrees, WGS-84. */
  lat: number;
  lon: number;
}

/**
 * Why a reported point is not trusted:
 * - `no_fix`: 0,0 (within about a kilometre), what a phone sends with no fix;
 * - `outside_country`: outside the box around China (a box, not the border: a point in a
 *   neighbouring country inside it is caught by its distance), so a phone's stale or foreign fix;
 * - `far_from_village`: further from the nearest centre the register knows than a point of that
 *   unit can be (FAR_FROM_KM: the village's own, else its township's, else its county's);
 * - `in_other_township`: not that far, but nearer to a village of another township than to its
 *   own village (or, where only townships' centres are known, nearer to another township's centre
 *   than to its own), and some way from it (NEIGHBOUR_FROM_KM): a phone in the next township — the
 *   contact walked to where there is signal, or sent it from the town — is not where the hazard is.
 */
export type LocationProblem = 'no_fix' | 'outside_country' | 'far_from_village' | 'in_other_township';

/** Whose centre a point was measured from: the village's, or, where it has none, its township's or county's. */
export type CentreOf = 'village' | 'township' | 'county';

export interface LocationSuspicion {
  problem: LocationProblem;
  /** Kilometres from the centre measured from, to one decimal; null where the register has no centre. */
  distanceKm: number | null;
  /** Whose centre that was; null where there was none. */
  centreOf: CentreOf | null;
  /** in_other_township: the unit of another township whose centre is nearer, and how far (km, one decimal). */
  nearer?: { code: string; name: string; distanceKm: number } | undefined;
}

/** A registered unit's centre near a point (projections/units.ts `nearbyCentres`). */
export interface NearbyCentre {
  code: string;
  name: string;
  centre: Point;
}

/** The nearest centre the register knows for a village: its own, else its township's, else its county's. */
export interface KnownCentre {
  point: Point;
  of: CentreOf;
  /** The village it is the centre for, when `nearby` is given. */
  village?: string | undefined;
  /**
   * The register's centres of units at the level of `of` (villages, or townships) within `km` of a
   * point, any order; given where the register is at hand (`in_other_township`).
   */
  nearby?: ((point: Point, km: number) => Iterable<NearbyCentre>) | undefined;
}

/**
 * A point this far from its village's centre is not in that village. A mountain village spans a few
 * kilometres and a township rarely more than 30. A report about a neighbouring village, or a road
 * between two, still falls within this distance.
 */
export const FAR_FROM_VILLAGE_KM = 30;

/**
 * How far a point of the village can be from each centre: a township spans some tens of kilometres,
 * a mountain county up to a hundred and more.
 */
export const FAR_FROM_KM: Record<CentreOf, number> = { village: FAR_FROM_VILLAGE_KM, township: 60, county: 150 };

/**
 * How far from its own centre a point must be before a nearer centre of another township says it
 * is not in the village (`in_other_township`): within it, a point at the edge of a village that
 * borders another township is where it says. A county's centre is not compared (a county's
 * neighbours are other counties, and the register may hold one county only).
 */
export const NEIGHBOUR_FROM_KM: Partial<Record<CentreOf, number>> = { village: 5, township: 10 };

/** China's extent with a margin (Zengmu Reef 3.9°N, Mohe 53.6°N; Pamirs 73.5°E, Fuyuan 135.1°E). */
const COUNTRY = { south: 3, north: 54, west: 73, east: 136 };

const EARTH_RADIUS_KM = 6371.0088;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance in kilometres (haversine on a sphere of the Earth's mean radius). */
export function distanceKm(a: Point, b: Point): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Why `point` cannot be where a report about a village is, or undefined when it can. `centre`: the
 * nearest centre the register knows (a bare Point is the village's own). Without one only 0,0 and
 * a point outside the country are caught.
 */
export function locationSuspicion(point: Point, centre?: Point | KnownCentre | undefined): LocationSuspicion | undefined {
  const known = centre === undefined ? undefined : 'point' in centre ? centre : { point: centre, of: 'village' as const };
  const distance = known ? Math.round(distanceKm(point, known.point) * 10) / 10 : null;
  const centreOf = known?.of ?? null;
  if (Math.abs(point.lat) < 0.01 && Math.abs(point.lon) < 0.01) return { problem: 'no_fix', distanceKm: distance, centreOf };
  if (point.lat < COUNTRY.south || point.lat > COUNTRY.north || point.lon < COUNTRY.west || point.lon > COUNTRY.east) return { problem: 'outside_country', distanceKm: distance, centreOf };
  if (distance !== null && distance > FAR_FROM_KM[known!.of]) return { problem: 'far_from_village', distanceKm: distance, centreOf };
  const nearer = known && distance !== null ? nearerElsewhere(point, known, distance) : undefined;
  if (nearer) return { problem: 'in_other_township', distanceKm: distance, centreOf, nearer };
  return undefined;
}

/** The nearest centre of a unit in another township than `known.village`'s, when it is nearer to `point` than `known` is (`in_other_township`). */
function nearerElsewhere(point: Point, known: KnownCentre, distance: number): LocationSuspicion['nearer'] {
  const from = NEIGHBOUR_FROM_KM[known.of];
  if (!known.nearby || known.village === undefined || from === undefined || distance <= from) return undefined;
  const township = ancestorAt(known.village, 'township');
  let best: { code: string; name: string; distanceKm: number } | undefined;
  for (const other of known.nearby(point, distance)) {
    if (ancestorAt(other.code, 'township') === township || unitLevel(other.code) !== known.of) continue;
    const d = Math.round(distanceKm(point, other.centre) * 10) / 10;
    if (d < distance && (!best || d < best.distanceKm)) best = { code: other.code, name: other.name, distanceKm: d };
  }
  return best;
}

/**
 * Where an officer is sent: the reported point unless it is suspect; else the nearest centre the
 * register knows (`source: 'unit'`); null where there is none. A suspect point is never where an
 * officer is sent: with no centre known there is no map link at all, and the directions and the
 * reporter's phone are what there is. `suspicion` says why a reported point was passed over.
 */
export function placeToGo(
  reported: Point | undefined,
  centre: Point | KnownCentre | undefined,
): { point: Point; source: 'report' | 'unit'; suspicion: LocationSuspicion | undefined } | null {
  const known = centre === undefined ? undefined : 'point' in centre ? centre.point : centre;
  const suspicion = reported ? locationSuspicion(reported, centre) : undefined;
  if (reported && !suspicion) return { point: { lat: reported.lat, lon: reported.lon }, source: 'report', suspicion };
  if (known) return { point: { lat: known.lat, lon: known.lon }, source: 'unit', suspicion };
  return null;
}

/**
 * The nearest centre the register knows for `village`: its own, else its township's, else its
 * county's (official registers come with codes and names; centres are entered by the office).
 */
export function nearestCentre(village: string, unit: UnitLookup): KnownCentre | undefined {
  for (const of of ['village', 'township', 'county'] as const) {
    const code = of === 'village' ? village : ancestorAt(village, of);
    const centre = code === undefined ? undefined : unit(code)?.centre;
    if (centre) return unit.nearby ? { point: centre, of, village, nearby: unit.nearby } : { point: centre, of };
  }
  return undefined;
}

/**
 * How the register is read for a point's judgement: a unit by its code, and, where the register is
 * at hand, the centres near a point (projections/units.ts `unitLookup`), without which
 * `in_other_township` is not judged.
 */
export type UnitLookup<U extends { centre?: Point | undefined } = { centre?: Point | undefined }> = ((code: string) => U | undefined) & {
  nearby?: ((point: Point, km: number) => Iterable<NearbyCentre>) | undefined;
};

/**
 * Whether a 续报's point replaces the one a report has: not a failed fix (0,0) or a point outside
 * the country, which say only that the phone did not know where it was — the earlier point stays
 * where officers are sent (found by a newcomer: a 0,0 续报 threw away a good point for the centre).
 * A point far from the village needs the register's centres and is judged where they are read.
 */
export const replacesPoint = (point: Point): boolean => locationSuspicion(point) === undefined;

/**
 * Why `centre` cannot be the centre of unit `code`, or undefined when it can: 0,0, outside the
 * country, or farther from the nearest centre the register knows above it (its township's, else
 * its county's) than a point of the unit can be (`FAR_FROM_KM`). Every alert for the unit's reports
 * sends officers to this point when theirs is missing or suspect, so a slip of a digit must not
 * become the place officers are sent (found by a newcomer: a village's centre set 900 km away).
 */
export function centreSuspicion(code: string, centre: Point, unit: UnitLookup): LocationSuspicion | undefined {
  const level = unitLevel(code);
  const above = level === 'village' ? (['township', 'county'] as const) : level === 'township' ? (['county'] as const) : [];
  for (const of of above) {
    const known = unit(ancestorAt(code, of) ?? '')?.centre;
    if (known) return locationSuspicion(centre, { point: known, of });
  }
  return locationSuspicion(centre);
}

/** What a person reads about a suspect point, in Chinese and English. */
export function suspicionWords(s: LocationSuspicion): { zh: string; en: string } {
  switch (s.problem) {
    case 'no_fix':
      return { zh: '位置是 0,0，手机没有定位成功', en: 'the location is 0,0: the phone had no fix' };
    case 'outside_country':
      return { zh: '位置不在国内，手机的定位是旧的或错的', en: 'the location is outside China: the phone’s fix is old or wrong' };
    case 'far_from_village': {
      const of = s.centreOf ?? 'village';
      const zh = { village: '该村', township: '所在乡镇', county: '所在县' }[of];
      const en = { village: 'the village’s', township: 'its township’s', county: 'its county’s' }[of];
      return { zh: `位置离${zh}中心 ${s.distanceKm} 公里，不在该村`, en: `the location is ${s.distanceKm} km from ${en} centre, not in the village` };
    }
    case 'in_other_township': {
      const of = s.centreOf === 'township' ? { zh: '所在乡镇', en: 'its township’s' } : { zh: '该村', en: 'the village’s' };
      const name = s.nearer?.name ?? '别的乡镇';
      return {
        zh: `位置离${of.zh}中心 ${s.distanceKm} 公里，更靠近别的乡镇的${name}（${s.nearer?.distanceKm ?? '?'} 公里），不像在该村`,
        en: `the location is ${s.distanceKm} km from ${of.en} centre and nearer ${s.nearer?.name ?? 'another township'} in another township (${s.nearer?.distanceKm ?? '?'} km): not in the village`,
      };
    }
    default: {
      const never: never = s.problem;
      throw new Error(`unknown location problem ${String(never)}`);
    }
  }
}
