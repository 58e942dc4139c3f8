/**
 * Whether a point a phone sent can be where a hazard is, and where to send an officer when it
 * cannot (SPEC §5 "without guesswork": an alert says where). A phone without a fix often sends
 * 0,0, and one that kept an old fix sends where it last was. Such a point is kept in the log as the
 * phone sent it, but it is flagged, and an alert points at the village's centre instead.
 */

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
 * - `far_from_village`: more than FAR_FROM_VILLAGE_KM from the register's centre of the village
 *   the report names.
 */
export type LocationProblem = 'no_fix' | 'outside_country' | 'far_from_village';

export interface LocationSuspicion {
  problem: LocationProblem;
  /** Kilometres from the village's centre, to one decimal; null where the register has no centre. */
  distanceKm: number | null;
}

/**
 * A point this far from its village's centre is not in that village. A mountain village spans a few
 * kilometres and a township rarely more than 30. A report about a neighbouring village, or a road
 * between two, still falls within this distance.
 */
export const FAR_FROM_VILLAGE_KM = 30;

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
 * Why `point` cannot be where a report about the village centred at `centre` is, or undefined when
 * it can. Without a centre only 0,0 and a point outside the country are caught.
 */
export function locationSuspicion(point: Point, centre?: Point | undefined): LocationSuspicion | undefined {
  const distance = centre ? Math.round(distanceKm(point, centre) * 10) / 10 : null;
  if (Math.abs(point.lat) < 0.01 && Math.abs(point.lon) < 0.01) return { problem: 'no_fix', distanceKm: distance };
  if (point.lat < COUNTRY.south || point.lat > COUNTRY.north || point.lon < COUNTRY.west || point.lon > COUNTRY.east) return { problem: 'outside_country', distanceKm: distance };
  if (distance !== null && distance > FAR_FROM_VILLAGE_KM) return { problem: 'far_from_village', distanceKm: distance };
  return undefined;
}

/**
 * Where an officer is sent: the reported point, unless it is suspect and the register knows the
 * village's centre, then the centre (`source: 'unit'`); the centre where nothing was reported; null
 * where neither is known. `suspicion` says why a reported point was passed over or is doubtful.
 */
export function placeToGo(
  reported: Point | undefined,
  centre: Point | undefined,
): { point: Point; source: 'report' | 'unit'; suspicion: LocationSuspicion | undefined } | null {
  const suspicion = reported ? locationSuspicion(reported, centre) : undefined;
  if (reported && (!suspicion || !centre)) return { point: { lat: reported.lat, lon: reported.lon }, source: 'report', suspicion };
  if (centre) return { point: { lat: centre.lat, lon: centre.lon }, source: 'unit', suspicion };
  return null;
}

/** What a person reads about a suspect point, in Chinese and English. */
export function suspicionWords(s: LocationSuspicion): { zh: string; en: string } {
  switch (s.problem) {
    case 'no_fix':
      return { zh: '位置是 0,0，手机没有定位成功', en: 'the location is 0,0: the phone had no fix' };
    case 'outside_country':
      return { zh: '位置不在国内，手机的定位是旧的或错的', en: 'the location is outside China: the phone’s fix is old or wrong' };
    case 'far_from_village':
      return { zh: `位置离该村中心 ${s.distanceKm} 公里，不在该村`, en: `the location is ${s.distanceKm} km from the village’s centre, not in the village` };
    default: {
      const never: never = s.problem;
      throw new Error(`unknown location problem ${String(never)}`);
    }
  }
}
