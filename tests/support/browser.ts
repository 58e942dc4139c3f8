import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (apt-get install chromium); CHROMIUM_PATH names another. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const haveChromium = () => existsSync(CHROMIUM);

/**
 * Headless chromium as this machine runs it: as root it needs --no-sandbox, and without the
 * background-networking flags it keeps trying Google's hosts, which a closed network refuses.
 */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', ...extraArgs],
  });
}

/**
 * The browser's own notices that a load or a socket failed ("Failed to load resource: net::…",
 * "WebSocket connection to … failed"): what a dropped link or a restarting server causes, not a
 * fault in the page's scripts. Which of them happen depends on timing (a request in flight when
 * the server stops is reset, one sent after is refused), so a test that stages an outage cannot
 * name them in advance.
 */
const NETWORK_NOTICE = /^Failed to load resource: net::|^WebSocket connection to .* failed/;

/**
 * A phone-sized page (360×740, the cheap Android this is built for), Chinese locale.
 * `errors` holds the script errors (uncaught exceptions, console.error from the page's code);
 * `network` the browser's own load and socket failures, kept apart so that a test staging an
 * outage asserts the first empty and one without an outage asserts both.
 */
export async function phone(browser: Browser, options: { bypassCSP?: boolean } = {}): Promise<{ context: BrowserContext; page: Page; errors: string[]; network: string[] }> {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ...options });
  const page = await context.newPage();
  const errors: string[] = [];
  const network: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (NETWORK_NOTICE.test(m.text())) network.push(m.text());
    else errors.push(`console: ${m.text()}`);
  });
  return { context, page, errors, network };
}

/** Signs in the way an admin's link does: the token in the fragment. */
export async function signIn(page: Page, base: string, token: string, hash = ''): Promise<void> {
  await page.goto(`${base}/#t=${encodeURIComponent(token)}`);
  await page.waitForSelector('.bar .who:not(:empty)');
  if (hash) await page.goto(`${base}/${hash}`);
}

/**
 * A TCP relay in front of the server that can be cut, as a village's link is cut: while cut,
 * every open connection is dropped and every new one refused. Used beside the browser's own
 * offline switch, which lets a request through now and then just after a reload of a page a
 * service worker controls (seen here, chromium 156 with playwright-core 1.65).
 *
 * It can also stall, as a weak cell or a NAT that forgot us does: nothing is closed, bytes are
 * taken and never passed on — on the connections open then (for good: their path is dead) and on
 * every connection made while stalled. `restore` passes new connections again, and closes the dead
 * ones nothing tried to use while stalled, as a network that comes back with a new address resets
 * them: otherwise the browser's pool of idle keep-alive connections (up to six) were each a hung
 * request of 20 s in turn, which no phone whose network came back sees. A dead connection that
 * swallowed bytes (the hung request, the silent socket) stays dead: the page must find it out.
 */
export async function cuttableLink(targetPort: number): Promise<{ port: number; cut: () => void; stall: () => void; restore: () => void; close: () => Promise<void> }> {
  const { createServer, connect } = await import('node:net');
  let isCut = false;
  let stalled = false;
  const open = new Set<import('node:net').Socket>();
  const dead = new WeakSet<import('node:net').Socket>();
  const swallowed = new WeakSet<import('node:net').Socket>();
  const clients = new Set<import('node:net').Socket>();
  const server = createServer((client) => {
    if (isCut) return void client.destroy();
    const upstream = connect(targetPort, '127.0.0.1');
    open.add(client);
    clients.add(client);
    open.add(upstream);
    if (stalled) dead.add(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
      clients.delete(client);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    // Passed on byte for byte unless this connection's path died.
    client.on('data', (chunk) => void (dead.has(client) ? swallowed.add(client) : upstream.write(chunk)));
    upstream.on('data', (chunk) => void (dead.has(client) ? swallowed.add(client) : client.write(chunk)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    cut: () => {
      isCut = true;
      for (const s of open) s.destroy();
      open.clear();
    },
    stall: () => {
      stalled = true;
      for (const s of open) dead.add(s);
    },
    restore: () => {
      isCut = false;
      stalled = false;
      for (const c of clients) if (dead.has(c) && !swallowed.has(c)) c.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
