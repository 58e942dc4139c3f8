// A log changed behind the node's back (found by a newcomer): with an event deleted from the file,
// the pages showed the lists and figures folded from what was left, and said nothing; only /ready
// and /audit/verify knew. Every page now says it above everything, in the reader's language.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { phone, signIn } from '../support/browser.js';
import { call, noBrowser, reportBody, webWorld } from '../support/web-world.js';

t.test('the pages say the log failed its check', { skip: noBrowser() }, async (t) => {
  const { tokens, base, browser, dataDir, restart } = await webWorld(t);
  const first = randomUUID();
  t.equal((await call(base, tokens.contact, 'POST', '/reports', reportBody({ reportId: first }))).status, 201);
  t.equal((await call(base, tokens.contact, 'POST', '/reports', reportBody({ hazard: 'hail' }))).status, 201);

  const before = await phone(browser);
  await signIn(before.page, base, tokens.countyHead);
  await before.page.waitForSelector('nav.tabs');
  t.equal(await before.page.$('.log-broken'), null, 'an intact log: no warning');

  // While the node is down, someone with the file deletes the first report's alert.
  await restart(async () => {
    const db = new Database(join(dataDir, 'events.sqlite'));
    db.exec('DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;');
    db.prepare(`DELETE FROM events WHERE stream = ? AND record LIKE '%"type":"AlertRaised"%'`).run(`report-${first}`);
    db.close();
  });
  // A small log is checked as soon as the read side is current (services/server.ts).
  for (;;) {
    const ready = await fetch(`${base}/ready`).then((r) => r.json() as Promise<{ integrity?: { state: string } }>);
    if (ready.integrity?.state === 'broken') break;
    await new Promise((resolve) => setTimeout(resolve, 50)); // polled: the check runs on the node's timers
  }

  const { page } = await phone(browser);
  await signIn(page, base, tokens.countyHead);
  const warning = await page.waitForSelector('.log-broken [role="alert"]');
  t.match(await warning.textContent(), /^记录校验未通过（.+ 查出 \d+ 处问题）：历史记录可能被删改.*发放救助、上报数字之前，请先请审计人员核对。$/, 'the county head reads it before any figure');

  const contact = await phone(browser);
  await signIn(contact.page, base, tokens.contact);
  await contact.page.waitForSelector('.log-broken [role="alert"]');
  t.pass('and so does a village contact');
  await contact.page.click('header button.link:text-is("English")');
  await contact.page.waitForSelector('.log-broken [role="alert"]:has-text("The records failed verification")');
  t.pass('in English on request');
});
