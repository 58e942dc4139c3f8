// The pages as the field meets them (issue 15): opened over plain HTTP from another machine (no
// secure context: no location, no notifications, everything else works), in English, with a
// report stuck for minutes (the township's phone to call instead), and signing out.
import t from 'tap';
import { phone, signIn } from '../support/browser.js';
import { call, noBrowser, webWorld } from '../support/web-world.js';

t.test('the pages in the field', { skip: noBrowser() }, async (t) => {
  // A name other than localhost is not a secure context over plain HTTP, as an office's LAN address is not.
  const { tokens, port, browser } = await webWorld(t, ['--host-resolver-rules=MAP zhitong.test 127.0.0.1']);

  await t.test('plain HTTP on the office network: says what is missing, and the report still goes', async (t) => {
    const { page, context, errors, network } = await phone(browser);
    await signIn(page, `http://zhitong.test:${port}`, tokens.contact);
    await page.waitForSelector('form.report');
    t.equal(await page.evaluate(() => (globalThis as unknown as { isSecureContext: boolean }).isSecureContext), false, 'not a secure context');
    t.match(await page.textContent('.notice.warn'), /不是通过 HTTPS 打开的.*无法使用手机定位和系统通知/, 'the page says so, in Chinese');
    t.equal(await page.locator('button:has-text("添加我现在的位置")').count(), 0, 'no location button it could not honour');
    await page.click('label.chip:has-text("冰雹")');
    await page.fill('#rname', '李四');
    await page.fill('#rphone', '13800000000');
    await page.click('button[type="submit"]');
    await page.waitForSelector('.outbox li.delivered');
    t.match(await page.textContent('.notice.ok'), /已送达/, 'delivered without HTTPS');
    t.same([await page.inputValue('#rname'), await page.inputValue('#rphone')], ['李四', '13800000000'], 'the reporter is remembered for the next report, not reset to the account');
    t.same([...errors, ...network], [], 'no script errors, no failed load');
    await context.close();
  });

  await t.test('English on request, kept on the device', async (t) => {
    const { page, context } = await phone(browser);
    await signIn(page, `http://localhost:${port}`, tokens.contact);
    await page.waitForSelector('form.report');
    await page.click('button:has-text("English")');
    await page.waitForSelector('button:has-text("Send report")');
    t.equal(await page.getAttribute('html', 'lang'), 'en', 'the document says its language');
    t.ok(await page.locator('label.chip:has-text("Landslide")').count(), 'hazards in English');
    await page.reload();
    await page.waitForSelector('button:has-text("Send report")');
    t.equal(await page.getAttribute('html', 'lang'), 'en', 'the choice is kept on the device across a reload');
    await page.click('button:has-text("中文")');
    await page.waitForSelector('button:has-text("发送报告")');
    await context.close();
  });

  await t.test('a report unsent for minutes: the township’s phone to call instead', async (t) => {
    const { page, context } = await phone(browser);
    await page.clock.install();
    await signIn(page, `http://localhost:${port}`, tokens.contact);
    await page.waitForSelector('form.report');
    await context.setOffline(true);
    await page.click('label.chip:has-text("山洪")');
    await page.fill('#rname', '李四');
    await page.fill('#rphone', '13800000000');
    await page.click('button[type="submit"]');
    await page.waitForSelector('.outbox li.pending');
    t.equal(await page.locator('.callinstead').count(), 0, 'not at once: the network may come back');
    await page.clock.fastForward('04:00');
    await page.waitForSelector('.callinstead');
    t.same(
      await page.locator('.callinstead a.tel').evaluateAll((links) => links.map((a) => (a as unknown as { getAttribute: (n: string) => string }).getAttribute('href'))),
      ['tel:13900000001', 'tel:13900000002', 'tel:09390000103'],
      'the officers on call, then the township office, tap to call — known on the phone without a network',
    );
    t.match(await page.textContent('.outbox li.pending'), /未送达/, 'the report says it is not delivered');
    await context.setOffline(false);
    await page.clock.fastForward('02:00');
    await page.waitForSelector('.outbox li.delivered');
    // The outbox list and the form each subscribe to the outbox and re-render on their own turn:
    // wait for the form's render rather than catch it between the two.
    await page.locator('.callinstead').waitFor({ state: 'detached', timeout: 5000 }).catch(() => undefined);
    t.equal(await page.locator('.callinstead').count(), 0, 'the call-instead line goes once it is delivered');
    await context.close();
  });

  await t.test('signing out forgets the token, keeps the queue; a revoked token is told so', async (t) => {
    const { page, context } = await phone(browser);
    await signIn(page, `http://localhost:${port}`, tokens.contact);
    await page.click('label.chip:has-text("大风"), label.chip:has-text("风灾")');
    await page.fill('#rname', '李四');
    await page.fill('#rphone', '13800000000');
    await page.click('button[type="submit"]');
    await page.waitForSelector('.outbox li.delivered');
    page.on('dialog', (d) => void d.accept());
    await page.click('button:has-text("退出登录")');
    await page.waitForSelector('.signin');
    t.equal(await page.evaluate(() => (globalThis as unknown as { localStorage: Storage }).localStorage.getItem('zhitong.token')), null, 'the token is gone from the device');
    t.ok(await page.evaluate(() => (globalThis as unknown as { localStorage: Storage }).localStorage.getItem('zhitong.outbox')), 'the reports it sent are still listed');
    // A token pasted by hand works as the link does.
    // The whole link, pasted as it came in a message, works as the token does.
    await page.fill('#token', `  http://localhost:${port}/#t=${tokens.officerA}\n`);
    await page.click('.signin button[type="submit"]');
    await page.waitForSelector('.conn.live');
    const head = await call(`http://localhost:${port}`, tokens.countyHead, 'POST', '/tokens/revocations', { sub: 'officer-a', reason: '手机丢失' });
    t.equal(head.status, 201, 'the county head revokes the officer’s access');
    await page.reload();
    await page.waitForSelector('.signin .notice.error');
    t.match(await page.textContent('.signin'), /已被收回/, 'the page says the token was revoked');
    await context.close();
  });

  await t.test('a sign-in link opened on a slow line says "signing in", not the sign-in form, until the token is checked', async (t) => {
    const { page, context, errors } = await phone(browser);
    // The browser holds the token's check (GET /me) until the test lets it go: the server answers it for real.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let checks = 0;
    await page.route('**/me', async (route) => {
      checks += 1;
      await held;
      await route.continue();
    });
    // officer-a was revoked above.
    await page.goto(`http://localhost:${port}/#t=${encodeURIComponent(tokens.officerB)}`);
    await page.waitForSelector('p.boot[role="status"]');
    t.match(await page.textContent('main'), /正在登录…/, 'the page says it is signing in');
    t.equal(await page.locator('.signin').count(), 0, 'the sign-in form is not flashed at someone who opened a link');
    release();
    await page.waitForSelector('.conn.live');
    t.equal(checks, 1, 'the token checked once, from the start of the page');
    t.same(errors, [], 'no script errors');
    await context.close();
  });

  await t.test('a duty page opening says it is connecting and loading, not that its line was lost', async (t) => {
    const { page, context, errors } = await phone(browser);
    // The socket and the board are held by the browser until the test lets them go (the server answers both for real).
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.routeWebSocket(/\/alerts\/ws$/, async (ws) => {
      await held;
      ws.connectToServer();
    });
    await page.route('**/alerts/open?*', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`http://localhost:${port}/#t=${encodeURIComponent(tokens.officerB)}`);
    await page.waitForSelector('.conn');
    t.match(await page.textContent('.conn'), /正在连接…/, 'connecting, in grey');
    t.notMatch(await page.textContent('main'), /连接中断/, 'not "connection lost" before there was a connection');
    t.match(await page.textContent('#board-h + *'), /正在加载…/, 'the board says it is loading, not an empty heading');
    release();
    await page.waitForSelector('.conn.live');
    await page.waitForFunction(() => !/正在加载…/.test((globalThis as unknown as { document: { body: { textContent: string | null } } }).document.body.textContent ?? ''));
    t.same(errors, [], 'no script errors');
    await context.close();
  });
});

t.test('an admin hands out a sign-in link and its QR code', { skip: noBrowser() }, async (t) => {
  const { tokens, base, browser } = await webWorld(t);
  const admin = await phone(browser);
  await signIn(admin.page, base, tokens.admin);
  await admin.page.waitForSelector('form.issue');
  await admin.page.fill('#sub', 'contact-hejiagou');
  await admin.page.fill('#scope', '621299103202');
  await admin.page.fill('#pname', '何联络');
  await admin.page.fill('#pphone', '139-0000-0003');
  await admin.page.click('form.issue button[type="submit"]');
  await admin.page.waitForSelector('img.qr');
  t.match(await admin.page.getAttribute('img.qr', 'src'), /^data:image\/png;base64,/, 'a QR code of the link, drawn on the page');
  const link = await admin.page.inputValue('#link');
  t.match(link, new RegExp(`^${base}/#t=[\\w-]+\\.[\\w-]+\\.[\\w-]+$`), 'the sign-in link, the token in the fragment');
  t.same([...admin.errors, ...admin.network], [], 'no script errors, no failed load');
  // The person opens it on their own phone.
  const contact = await phone(browser);
  await contact.page.goto(link);
  await contact.page.waitForSelector('form.report');
  t.match(await contact.page.textContent('.bar .who'), /何联络 · 何家沟村/, 'signed in as the person named, for their village');
  t.equal(await contact.page.inputValue('#rphone'), '13900000003', 'their phone already on the form');
});

interface Storage {
  getItem(key: string): string | null;
}
