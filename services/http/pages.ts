import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import compress from '@fastify/compress';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

// Two levels up from this module as it runs: services/http/ of the checkout, dist/services/http/
// (dist/web links to web/), or a chunk of dist/bundle/ (scripts/build.mjs).
const WEB = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
const require = createRequire(import.meta.url);

/**
 * The front-end libraries, served from the installed packages as they are published (ES modules,
 * no build step): URL under /vendor/ → file. The page's import map names these URLs.
 */
const VENDOR = {
  'preact/preact.mjs': join(dirname(require.resolve('preact')), 'preact.mjs'),
  'preact/hooks.mjs': join(dirname(require.resolve('preact/hooks')), 'hooks.mjs'),
  'htm/htm.module.js': join(dirname(require.resolve('htm')), 'htm.module.js'),
  'lean-qr/index.mjs': join(dirname(require.resolve('lean-qr')), 'index.mjs'),
} as const;

/** Every URL of the page's shell, which the service worker keeps for opening the page offline. */
export function shellFiles(): string[] {
  const app = readdirSync(join(WEB, 'app')).filter((f) => /\.(js|css)$/.test(f)).sort().map((f) => `/app/${f}`);
  return ['/', '/manifest.webmanifest', '/icon.svg', ...app, ...Object.keys(VENDOR).map((v) => `/vendor/${v}`)];
}

/** sha256 of the inline import map, for the Content-Security-Policy (no other inline script runs). */
function inlineScriptHashes(): string[] {
  const index = readFileSync(join(WEB, 'index.html'), 'utf8');
  return [...index.matchAll(/<script type="importmap">([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`);
}

/**
 * The service worker: opens the page's shell from its cache (a village with no signal must still
 * open the report form and see its queue), updates it in the background, and never touches the
 * API — reports, alerts and figures always come from the server or not at all. Its version is the
 * hash of the shell, so a new release replaces the cache on the next visit.
 */
function serviceWorker(files: string[], version: string): string {
  return `// zhitong service worker ${version}
const CACHE = 'zhitong-shell-${version}';
const SHELL = ${JSON.stringify(files)};
self.addEventListener('install', (e) => {
  // Writes never pass through this worker (the static routing API, where the browser has it): the
  // worker need not start for a report to be sent, and the request is the page's own.
  if (e.addRoutes) {
    try {
      e.waitUntil(e.addRoutes(['POST', 'PUT', 'PATCH', 'DELETE'].map((m) => ({ condition: { requestMethod: m }, source: 'network' }))).catch(() => {}));
    } catch (err) {}
  }
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener('activate', (e) => e.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k.startsWith('zhitong-shell-') && k !== CACHE).map((k) => caches.delete(k)))).then(() => self.clients.claim())));
self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== self.location.origin) return;
  const key = e.request.mode === 'navigate' && url.pathname === '/' ? '/' : url.pathname;
  if (!SHELL.includes(key)) return;
  // Cache first: on a bad line the network is tried only to refresh the copy for next time.
  e.respondWith(caches.open(CACHE).then(async (cache) => {
    const hit = await cache.match(key);
    const fresh = fetch(e.request).then((res) => { if (res.ok) cache.put(key, res.clone()); return res; });
    if (hit) { fresh.catch(() => {}); return hit; }
    return fresh;
  }));
});
self.addEventListener('notificationclick', (e) => {
  e.notification.close();
  const url = (e.notification.data && e.notification.data.url) || '/';
  e.waitUntil(self.clients.matchAll({ type: 'window' }).then((list) => {
    for (const c of list) if ('focus' in c) { c.navigate(url); return c.focus(); }
    return self.clients.openWindow(url);
  }));
});
`;
}

/**
 * The pages (issue 15): the report form, the duty console and the county's figures, served at `/`
 * by the API server itself. Static files with ETags and gzip, in a context of their own so the
 * compression hook never runs on the API's routes.
 */
export async function pages(app: FastifyInstance): Promise<void> {
  const files = shellFiles();
  const hash = createHash('sha256');
  for (const f of files.slice(1)) {
    const local = f.startsWith('/vendor/') ? VENDOR[f.slice('/vendor/'.length) as keyof typeof VENDOR] : join(WEB, f);
    hash.update(f).update(readFileSync(local));
  }
  hash.update(readFileSync(join(WEB, 'index.html')));
  const version = hash.digest('hex').slice(0, 16);
  const sw = serviceWorker(files, version);
  const csp = [
    "default-src 'self'",
    `script-src 'self' ${inlineScriptHashes().join(' ')}`,
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self' ws: wss:",
    "worker-src 'self'",
    "manifest-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');

  await app.register(async (web) => {
    await web.register(compress, { global: true, encodings: ['br', 'gzip'], threshold: 512 });
    web.addHook('onSend', async (_request, reply, payload) => {
      void reply.header('content-security-policy', csp);
      void reply.header('x-content-type-options', 'nosniff');
      void reply.header('referrer-policy', 'no-referrer');
      return payload;
    });
    await web.register(fastifyStatic, {
      root: WEB,
      prefix: '/',
      wildcard: false,
      index: ['index.html'],
      allowedPath: (path) => path === '/' || path === '/index.html' || path === '/manifest.webmanifest' || path === '/icon.svg' || /^\/app\/[a-z0-9-]+\.(js|css)$/.test(path),
      // Revalidated on every load (an ETag answers 304): a fix reaches every phone at once.
      cacheControl: false,
      setHeaders: (res) => void res.header('cache-control', 'no-cache'),
      schemaHide: true,
    });
    for (const [url, file] of Object.entries(VENDOR)) {
      const body = readFileSync(file);
      const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 20)}"`;
      web.get(`/vendor/${url}`, { schema: { hide: true } }, async (request, reply) => {
        if (request.headers['if-none-match'] === etag) return reply.code(304).send();
        return reply.type('text/javascript; charset=utf-8').header('etag', etag).header('cache-control', 'no-cache').send(body);
      });
    }
    web.get('/sw.js', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').header('service-worker-allowed', '/').send(sw),
    );
  });
}
