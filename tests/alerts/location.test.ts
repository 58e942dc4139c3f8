import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import { LIJIA, WANGBA, reportBody, startTestApp } from '../support/app.js';
import { AlertClient } from '../support/ws-client.js';

/**
 * A phone's point that cannot be where the hazard is (found by a newcomer: 0,0 — a phone without a
 * fix — became the alert's location, and its map link opened in the Gulf of Guinea with the
 * village's name on it). The point is kept as sent; the alert sends officers to the village's
 * centre and says why; the contact is told (domain/location.ts).
 */
const CENTRE = { lat: 33.3521, lon: 105.6313 }; // 李家村 in the demo register

async function listening(t: Test) {
  const app = await startTestApp(t, { alerting: true, escalationDelayMs: 60_000 });
  const url = await app.app.listen({ port: 0, host: '127.0.0.1' });
  const officer = await AlertClient.connect(url, app.token('officer', WANGBA, 'officer-wangba-1'));
  t.teardown(() => officer.close());
  officer.send({ type: 'resume', after: (await officer.next((f) => f.type === 'hello')).position });
  await officer.roundTrip();
  return { app, officer };
}

t.test('0,0 and a point 1,100 km away: the alert goes to the village centre, the doubt beside it', async (t) => {
  const { app, officer } = await listening(t);
  const contact = app.token('contact', LIJIA);
  for (const [name, location, problem] of [
    ['no fix', { lat: 0, lon: 0 }, 'no_fix'],
    ['Beijing', { lat: 39.9, lon: 116.4 }, 'far_from_village'],
  ] as const) {
    const reportId = randomUUID();
    const filed = await app.call('POST', '/reports', { token: contact, body: reportBody({ reportId, location, hazard: name === 'no fix' ? 'windstorm' : 'hail' }) });
    t.equal(filed.statusCode, 201, name);
    t.match(filed.json().warnings, [{ code: 'location_suspect', problem, message: /位置不可信.*村中心/ }], `${name}: the contact is told, in Chinese`);
    const alert = await officer.next((f) => f.type === 'alert' && f.reportId === reportId);
    t.match(alert.location, { ...CENTRE, source: 'unit', geoUri: /^geo:33\.3521,105\.6313\?q=/ }, `${name}: the officer is sent to the centre`);
    t.match(alert.locationSuspect, { problem, reported: { ...location, geoUri: `geo:${location.lat},${location.lon}` } }, `${name}: and told what the phone sent`);
    const view = (await app.call('GET', `/reports/${reportId}`, { token: app.token('officer', WANGBA) })).json();
    t.same(view.location, location, `${name}: the report keeps the point as sent`);
    t.match(view.locationSuspect, { problem, reported: location });
    // A retry of the same filing is told the same.
    const again = await app.call('POST', '/reports', { token: contact, body: reportBody({ reportId, location, hazard: name === 'no fix' ? 'windstorm' : 'hail' }), headers: { 'accept-language': 'en' } });
    t.equal(again.statusCode, 200);
    t.match(again.json().warnings, [{ code: 'location_suspect', problem, message: /cannot be trusted.*village centre/ }], `${name}: a retry too, in English when asked`);
  }
});

t.test('a point that is no place (lat and lon swapped) never loses the report: filed without it, and said (found by a newcomer)', async (t) => {
  const { app, officer } = await listening(t);
  const swapped = { lat: 105.63, lon: 33.35 };
  const body = reportBody({ location: swapped, notes: '后山滑坡' });
  const filed = await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body });
  t.equal(filed.statusCode, 201, filed.body);
  t.match(filed.json().warnings, [{ code: 'location_unusable', lat: 105.63, lon: 33.35, message: /^已收到。但报告带的位置不是有效的坐标（纬度 105\.63，经度 33\.35；.*可能是纬度和经度填反了），已按没有位置记下/ }]);
  const { reportId } = filed.json();
  const alert = await officer.next((f) => f.type === 'alert' && f.reportId === reportId);
  t.match(alert, { location: { ...CENTRE, source: 'unit' }, notes: '后山滑坡' }, 'the officer is alerted, and sent to the centre');
  const again = await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body });
  t.match([again.statusCode, again.json().reportId, again.json().warnings?.[0]?.code], [200, reportId, 'location_unusable'], 'sent again: the same report, answered the same');
  // A 续报 with such a point: its words are taken, the point is not.
  const amended = await app.call('POST', `/reports/${reportId}/amendments`, { token: app.token('contact', LIJIA), body: { location: { lat: -200, lon: 500 }, notes: '路断了' } });
  t.equal(amended.statusCode, 200, amended.body);
  t.match(amended.json().warnings, [{ code: 'location_unusable' }]);
  const view = (await app.call('GET', `/reports/${reportId}?position=${amended.json().position}`, { token: app.token('officer', WANGBA) })).json();
  t.match(view, { location: null, notes: '路断了' });
});

t.test('an arrival point is judged as a report\'s: said to the officer, shown to colleagues and in the record; one that is no place still records the arrival (found by a newcomer)', async (t) => {
  const { app, officer } = await listening(t);
  const reportId = randomUUID();
  await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ reportId }) });
  await officer.next((f) => f.type === 'alert' && f.reportId === reportId);
  const first = await app.call('POST', `/reports/${reportId}/arrivals`, { token: app.token('officer', WANGBA, 'officer-wangba-1'), body: { location: { lat: 0, lon: 0 } } });
  t.equal(first.statusCode, 200, first.body);
  t.match(first.json().warnings, [{ code: 'location_suspect', problem: 'no_fix', message: /^已记录到达。但手机报的位置不可信/ }]);
  t.match(await officer.next((f) => f.position === first.json().position), { type: 'acknowledged', going: { change: 'arrived', point: { lat: 0, lon: 0, suspect: { problem: 'no_fix' } } } }, 'colleagues see where, and that it is doubtful');
  const second = await app.call('POST', `/reports/${reportId}/arrivals`, { token: app.token('officer', WANGBA, 'officer-wangba-2'), body: { location: { lat: 33.3525, lon: 105.6318 } } });
  t.equal(second.json().warnings, undefined, 'a point in the village: nothing to say');
  t.match(await officer.next((f) => f.position === second.json().position), { type: 'updated', change: 'arrived', point: { lat: 33.3525, lon: 105.6318, suspect: null } });
  const swapped = await app.call('POST', `/reports/${reportId}/arrivals`, { token: app.token('officer', WANGBA, 'officer-wangba-3'), body: { location: { lat: 105.63, lon: 33.35 } } });
  t.equal(swapped.statusCode, 200, 'the arrival is recorded even so');
  t.match(swapped.json().warnings, [{ code: 'location_unusable', message: /^已记录到达。.*可能是纬度和经度填反了/ }]);
  const view = (await app.call('GET', `/reports/${reportId}?position=${swapped.json().position}`, { token: app.token('officer', WANGBA) })).json();
  t.match(view.arrived, [
    { officer: 'officer-wangba-1', point: { suspect: { problem: 'no_fix' } } },
    { officer: 'officer-wangba-2', point: { suspect: null } },
    { officer: 'officer-wangba-3' },
  ]);
  t.equal(view.arrived[2].location, undefined, 'no point kept for the one that was no place');
});

t.test('a point in the village is used as sent, with no warning', async (t) => {
  const { app, officer } = await listening(t);
  const reportId = randomUUID();
  const location = { lat: 33.3555, lon: 105.6402 };
  const filed = await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ reportId, location }) });
  t.equal(filed.statusCode, 201);
  t.equal(filed.json().warnings, undefined);
  const alert = await officer.next((f) => f.type === 'alert' && f.reportId === reportId);
  t.match(alert, { location: { ...location, source: 'report' }, locationSuspect: null });
  t.equal((await app.call('GET', `/reports/${reportId}`, { token: app.token('officer', WANGBA) })).json().locationSuspect, null);
});

t.test('a 续报 with a suspect point: told to its sender, and the officer on the road keeps the centre', async (t) => {
  const { app, officer } = await listening(t);
  const reportId = randomUUID();
  await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ reportId }) });
  await officer.next((f) => f.type === 'alert' && f.reportId === reportId);
  const amended = await app.call('POST', `/reports/${reportId}/amendments`, { token: app.token('contact', LIJIA), body: { location: { lat: 0, lon: 0 }, notes: '路断了' } });
  t.equal(amended.statusCode, 200);
  t.match(amended.json().warnings, [{ code: 'location_suspect', problem: 'no_fix' }]);
  const updated = await officer.next((f) => f.type === 'updated' && f.reportId === reportId);
  t.match(updated, { change: 'amended', location: { ...CENTRE, source: 'unit' }, locationSuspect: { problem: 'no_fix', reported: { lat: 0, lon: 0 } } });
  const good = await app.call('POST', `/reports/${reportId}/amendments`, { token: app.token('contact', LIJIA), body: { location: { lat: 33.36, lon: 105.63 } } });
  t.equal(good.json().warnings, undefined, 'a good point: nothing to say');
  t.match(await officer.next((f) => f.type === 'updated' && f.reportId === reportId && (f.location as { source?: string } | undefined)?.source === 'report'), { locationSuspect: null, location: { lat: 33.36, lon: 105.63 } });
});

t.test('a 续报 whose point is passed over: the frame and the report view say the same of both points (found by a newcomer)', async (t) => {
  const { app, officer } = await listening(t);
  const reportId = randomUUID();
  const good = { lat: 33.355, lon: 105.634 };
  await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ reportId, location: good }) });
  await officer.next((f) => f.type === 'alert' && f.reportId === reportId);
  // A stale fix 60 km off: not taken; the officer is still sent to the good point, which is not in doubt.
  const stale = { lat: 33.9, lon: 105.63 };
  const amended = await app.call('POST', `/reports/${reportId}/amendments`, { token: app.token('contact', LIJIA), body: { location: stale, notes: '又塌了一间' } });
  t.equal(amended.statusCode, 200, amended.body);
  const frame = await officer.next((f) => f.type === 'updated' && f.reportId === reportId);
  t.match(frame, { change: 'amended', location: { ...good, source: 'report' }, locationSuspect: null, pointPassedOver: { problem: 'far_from_village', reported: { ...stale, geoUri: `geo:${stale.lat},${stale.lon}` } } });
  const officerToken = app.token('officer', WANGBA);
  const view = (await app.call('GET', `/reports/${reportId}?position=${amended.json().position}`, { token: officerToken })).json();
  t.same(view.location, good, 'the report keeps its point');
  t.equal(view.locationSuspect, null, 'and that point is not in doubt, as the frame says');
  const { at: _at, atLocal: _atLocal, ...passed } = view.pointPassedOver ?? {};
  t.same(passed, frame.pointPassedOver, 'the passed-over point as the frame says it (the view adds when)');
  t.match(view.pointPassedOver, { problem: 'far_from_village', reported: stale, at: /^2\d{3}-/ });
  // A later good point is taken: nothing passed over any more, in the frame or the view.
  const better = { lat: 33.356, lon: 105.635 };
  const next = await app.call('POST', `/reports/${reportId}/amendments`, { token: app.token('contact', LIJIA), body: { location: better } });
  t.match(await officer.next((f) => f.type === 'updated' && f.reportId === reportId && (f.location as { lat?: number } | undefined)?.lat === better.lat), { locationSuspect: null, pointPassedOver: null });
  t.equal((await app.call('GET', `/reports/${reportId}?position=${next.json().position}`, { token: officerToken })).json().pointPassedOver, null);
});

t.test('a village with no centre: a suspect point sends the officer to the township centre, never to the point (found by a newcomer)', async (t) => {
  const { app, officer } = await listening(t);
  const cleared = await app.call('PATCH', `/units/${LIJIA}`, { token: app.token('head', WANGBA, 'head-wangba'), body: { centre: null } });
  t.equal(cleared.statusCode, 200, cleared.body);
  await app.runner.caughtUp();
  const reportId = randomUUID();
  const filed = await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ reportId, location: { lat: 39.9, lon: 116.4 } }) });
  t.match(filed.json().warnings, [{ code: 'location_suspect', problem: 'far_from_village', message: /离所在乡镇中心 .* 公里.*按乡镇中心位置出发/ }]);
  const alert = await officer.next((f) => f.type === 'alert' && f.reportId === reportId);
  t.match(alert.location, { lat: 33.3287, lon: 105.6072, source: 'unit' }, 'the township centre');
  t.match(alert.locationSuspect, { problem: 'far_from_village', centreOf: 'township', reported: { lat: 39.9, lon: 116.4 } });
  const view = (await app.call('GET', `/reports/${reportId}`, { token: app.token('officer', WANGBA) })).json();
  t.match(view.goTo, { lat: 33.3287, lon: 105.6072, source: 'unit', geoUri: /^geo:33\.3287,105\.6072/ }, 'the report view says where to go too');
  t.same(view.location, { lat: 39.9, lon: 116.4 }, 'beside the point as sent');
});

t.test('a point 15 km off, beside a village of the next township: the officer goes to the village, told why, and the contact is asked where (found by a newcomer: unflagged)', async (t) => {
  const { app, officer } = await listening(t);
  const contact = app.token('contact', LIJIA);
  const atNianba = { lat: 33.2405, lon: 105.7215 }; // 朱家沟村 of the demo's other township (621299104)
  const filed = await app.call('POST', '/reports', { token: contact, body: reportBody({ location: atNianba }) });
  t.equal(filed.statusCode, 201, filed.body);
  t.match(filed.json().warnings, [{ code: 'location_suspect', problem: 'in_other_township', nearer: { code: '621299104201', name: '朱家沟村（示例）' }, message: /^已收到。但报告带的位置不可信（位置离该村中心 1[45](\.\d)? 公里，更靠近别的乡镇的朱家沟村（示例）（0\.\d 公里），不像在该村），值班人员会先按村中心位置出发/ }]);
  const { reportId } = filed.json();
  const alert = await officer.next((f) => f.type === 'alert' && f.reportId === reportId);
  t.match(alert.location, { ...CENTRE, source: 'unit' }, 'sent to the village\u2019s centre');
  t.match(alert.locationSuspect, { problem: 'in_other_township', nearer: { code: '621299104201', name: '朱家沟村（示例）' }, reported: atNianba }, 'and told the point is beside a village of the other township');
  const view = (await app.call('GET', `/reports/${reportId}`, { token: app.token('officer', WANGBA) })).json();
  t.match(view.locationSuspect, { problem: 'in_other_township', nearer: { name: '朱家沟村（示例）' } }, 'the view says the same');

  // A 续报 from there: its point is passed over, and the judgement is written with it.
  const good = await app.call('POST', '/reports', { token: contact, body: reportBody({ location: { lat: 33.3555, lon: 105.6402 }, hazard: 'hail' }) });
  const amended = await app.call('POST', `/reports/${good.json().reportId}/amendments`, { token: contact, body: { location: atNianba, notes: '又塌了一间' } });
  t.equal(amended.statusCode, 200, amended.body);
  t.match(amended.json().warnings, [{ code: 'location_suspect', problem: 'in_other_township' }]);
  const events = await app.store.readStream(`report-${good.json().reportId}`);
  t.match(events.find((e) => e.type === 'ReportAmended')?.data, { location: atNianba, locationSuspect: { problem: 'in_other_township', nearer: { code: '621299104201', name: '朱家沟村（示例）' } } });
  t.same((await app.call('GET', `/reports/${good.json().reportId}`, { token: app.token('officer', WANGBA) })).json().location, { lat: 33.3555, lon: 105.6402 }, 'the good point stays');
});
