// A report whose point cannot be where the hazard is (0,0: a phone without a fix), in a real
// browser: the officer's map link goes to the village centre, and the page says why and what the
// phone sent (found by a newcomer: the map opened at 0,0 with the village's name on it).
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { phone, signIn } from '../support/browser.js';
import { call, noBrowser, reportBody, webWorld } from '../support/web-world.js';

t.test('the duty page sends the officer to the village centre, and says the reported point is doubtful', { skip: noBrowser() }, async (t) => {
  const { tokens, base, browser } = await webWorld(t);
  const a = await phone(browser);
  await signIn(a.page, base, tokens.officerA);
  await a.page.waitForSelector('.conn.live');
  const reportId = randomUUID();
  const filed = await call(base, tokens.contact, 'POST', '/reports', reportBody({ reportId, location: { lat: 0, lon: 0 } }));
  t.equal(filed.status, 201);
  t.match(filed.body.warnings, [{ code: 'location_suspect' }]);
  await a.page.waitForSelector(`li.alert[data-report="${reportId}"]`);
  await a.page.click(`li.alert[data-report="${reportId}"] a`);
  await a.page.waitForSelector('.detail h1');
  t.match(await a.page.getAttribute('a.map', 'href'), /^geo:33\.3521,105\.6313/, 'the map opens at the village centre');
  const text = await a.page.textContent('.detail');
  t.match(text, /村（乡镇）中心位置（报告带的位置不可信/, 'where the point comes from');
  t.match(text, /报告带的位置不可信（0,0：手机没有定位成功）.*0, 0/, 'why, and what the phone sent');
  // The same from the report as read over HTTP (the page reloaded, no frame kept).
  await a.page.reload();
  await a.page.waitForSelector('.detail h1');
  t.match(await a.page.getAttribute('a.map', 'href'), /^geo:33\.3521,105\.6313/, 'after a reload too');
});
