import t from 'tap';
import { LIJIA, WANGBA, startTestApp, type TestApp } from '../support/app.js';
import { TestRedis } from '../support/redis.js';
import { testDir } from '../support/dirs.js';

/** Issue 9 J: rate limits count the right thing. */

const get = (app: TestApp, token: string | undefined, headers: Record<string, string> = {}, remoteAddress = '127.0.0.1') =>
  app.app.inject({ method: 'GET', url: '/alerts/open', remoteAddress, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });

t.test('per verified user, shared by two nodes on one Redis', async (t) => {
  const redis = await TestRedis.start(t);
  const dataDir = testDir(t);
  const a = await startTestApp(t, { dataDir, redisUrl: redis.url, rateLimitPerMinute: 10 });
  const b = await startTestApp(t, { dataDir, redisUrl: redis.url, rateLimitPerMinute: 10 });
  const token = a.token('officer', WANGBA, 'officer-wangba-1');
  const codes: number[] = [];
  for (let i = 0; i < 6; i++) codes.push((await get(a, token)).statusCode, (await get(b, token)).statusCode);
  t.equal(codes.filter((c) => c === 200).length, 10, 'ten allowed in all, not ten per node');
  t.equal(codes.filter((c) => c === 429).length, 2);
  const other = await get(b, a.token('officer', WANGBA, 'officer-wangba-2'));
  t.equal(other.statusCode, 200, 'a colleague behind the same address has a limit of their own');
});

t.test('per address, only failed authentications count; a valid token from that address is still served', async (t) => {
  const app = await startTestApp(t, { rateLimitPerMinute: 1000, env: { AUTH_FAILURES_PER_MINUTE: '5' } });
  const codes: number[] = [];
  for (let i = 0; i < 8; i++) codes.push((await get(app, `garbage-${i}.x.y`)).statusCode);
  t.same(codes, [401, 401, 401, 401, 401, 429, 429, 429], 'garbage tokens are limited');
  const limited = await get(app, 'garbage.x.y');
  t.equal(limited.json().error, 'rate_limited');
  t.equal(limited.headers['retry-after'], '60');
  t.equal((await get(app, undefined)).statusCode, 429, 'no token at all counts as a failure too');
  t.equal((await get(app, app.token('officer', WANGBA))).statusCode, 200, 'an honest user behind the same address is served');
  t.equal((await get(app, 'garbage.x.y', {}, '10.0.0.9')).statusCode, 401, 'another address has its own count');
});

t.test('health checks are never limited', async (t) => {
  const app = await startTestApp(t, { rateLimitPerMinute: 2, env: { AUTH_FAILURES_PER_MINUTE: '1' } });
  for (let i = 0; i < 30; i++) {
    for (const url of ['/health', '/ready', '/metrics']) {
      const res = await app.app.inject({ method: 'GET', url });
      if (res.statusCode === 429) t.fail(`${url} answered 429`);
    }
  }
  t.pass('90 probes, none refused');
});

t.test('X-Forwarded-For is believed only from a configured proxy (TRUST_PROXY)', async (t) => {
  const direct = await startTestApp(t, { env: { AUTH_FAILURES_PER_MINUTE: '3' } });
  const spoofed: number[] = [];
  for (let i = 0; i < 5; i++) spoofed.push((await get(direct, 'bad.x.y', { 'x-forwarded-for': `198.51.100.${i}` })).statusCode);
  t.same(spoofed, [401, 401, 401, 429, 429], 'a client naming a new address each time is still one address');

  const proxied = await startTestApp(t, { env: { AUTH_FAILURES_PER_MINUTE: '3', TRUST_PROXY: '127.0.0.1' } });
  const behind: number[] = [];
  for (let i = 0; i < 5; i++) behind.push((await get(proxied, 'bad.x.y', { 'x-forwarded-for': '198.51.100.7' })).statusCode);
  t.same(behind, [401, 401, 401, 429, 429], 'behind the proxy, the forwarded address is counted');
  t.equal((await get(proxied, 'bad.x.y', { 'x-forwarded-for': '198.51.100.8' })).statusCode, 401, 'another client behind the same proxy is not');
  t.equal((await get(proxied, 'bad.x.y', { 'x-forwarded-for': '198.51.100.8' }, '192.0.2.1')).statusCode, 401);
  const fromStranger: number[] = [];
  for (let i = 0; i < 4; i++) fromStranger.push((await get(proxied, 'bad.x.y', { 'x-forwarded-for': `203.0.113.${i}` }, '192.0.2.50')).statusCode);
  t.same(fromStranger, [401, 401, 401, 429], 'from a peer that is not the proxy, the header is ignored');
  t.equal((await get(proxied, proxied.token('contact', LIJIA), {}, '192.0.2.50')).statusCode, 403, 'a valid token still passes authentication (the contact may not read this board)');
});
