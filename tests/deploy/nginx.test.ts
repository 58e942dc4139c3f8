import t from 'tap';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { loadConfig } from '../../infra/config.js';
import { tokenService } from '../../infra/tokens.js';
import { LIJIA, reportBody, WANGBA } from '../support/app.js';
import { seedDataDir } from '../support/operator.js';
import { startServerProcess, type ServerProcess } from '../support/process.js';
import { TestRedis } from '../support/redis.js';
import { AlertClient, type Frame } from '../support/ws-client.js';
import { testDir } from '../support/dirs.js';

const root = join(import.meta.dirname, '../..');
const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'].find((p) => existsSync(p));

/** The fenced `sh` block of deploy/README.md that starts with `marker`: the README's recipe is what runs. */
function readmeBlock(marker: string): string {
  const readme = readFileSync(join(root, 'deploy/README.md'), 'utf8');
  const found = [...readme.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((m) => m[1]!).filter((b) => b.startsWith(marker));
  if (found.length !== 1) throw new Error(`deploy/README.md must hold exactly one sh block starting "${marker}" (found ${found.length})`);
  return found[0]!;
}

/**
 * deploy/nginx/zhitong.conf with this test's ports and file paths, and nothing else changed. Each
 * substitution must match exactly as often as expected, so a reshaped config fails here loudly
 * instead of being tested in some other shape.
 */
function renderSite(conf: string, subs: Array<{ find: RegExp; replace: string; times: number }>): string {
  let out = conf;
  for (const { find, replace, times } of subs) {
    const found = out.match(find)?.length ?? 0;
    if (found !== times) throw new Error(`deploy/nginx/zhitong.conf: ${find} matched ${found} times, expected ${times}: the test's substitutions no longer fit the shipped file`);
    out = out.replace(find, replace);
  }
  return out;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** `promise`, or a failure naming `what` after `timeoutMs`. */
async function within<T>(promise: Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const accepting = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => (socket.destroy(), resolve(true)));
    socket.on('error', () => resolve(false));
  });

/**
 * How long a node keeps an idle keep-alive connection open after answering on it: the time from
 * its answer to its closing the connection.
 */
function idleTimeout(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answeredAt = 0;
    socket.on('data', () => (answeredAt ||= Date.now()));
    socket.on('close', () => (answeredAt ? resolve(Date.now() - answeredAt) : reject(new Error('closed before answering'))));
    socket.on('error', reject);
    socket.write('GET /health HTTP/1.1\r\nHost: probe\r\n\r\n');
  });
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request on a connection of its own (no pooled connection outlives a killed node). */
function call(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; ca?: Buffer; localAddress?: string } = {}): Promise<Answer> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      target,
      {
        method: options.method ?? 'GET',
        headers: { ...options.headers, ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}) },
        agent: false,
        ...(options.ca ? { ca: options.ca } : {}),
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = (a: Answer) => JSON.parse(a.body.toString('utf8')) as Record<string, unknown>;

t.test('nginx (deploy/nginx/zhitong.conf) in front of two nodes: TLS, redirect, WebSocket, failover with nothing lost or doubled', { skip: NGINX ? false : 'nginx is not installed (apt-get install nginx): deploy/nginx/zhitong.conf cannot be run here' }, async (t) => {
  const dir = testDir(t, { certs: {}, logs: {}, temp: {} });
  const certs = join(dir, 'certs');

  // The office certificate exactly as deploy/README.md makes it, for 127.0.0.1 and localhost.
  for (const marker of ['# office-ca:', '# office-server-cert:']) {
    execFileSync('bash', ['-euo', 'pipefail', '-c', readmeBlock(marker)], { cwd: certs, env: { ...process.env, OFFICE_IP: '127.0.0.1', OFFICE_NAME: 'localhost' }, stdio: 'pipe' });
  }
  const ca = readFileSync(join(certs, 'office-ca.crt'));

  // Two nodes on one SQLite file and one Redis, believing X-Forwarded-For from nginx only.
  const dataDir = join(dir, 'data');
  await seedDataDir(dataDir);
  const redis = await TestRedis.start(t);
  const env = { DATA_DIR: dataDir, REDIS_URL: redis.url, TRUST_PROXY: '127.0.0.1', LOG_LEVEL: 'info' };
  const nodes: ServerProcess[] = [await startServerProcess(env), await startServerProcess(env)];
  t.teardown(() => nodes.forEach((n) => n.child.exitCode === null && n.child.kill('SIGKILL')));
  const nodePort = (n: ServerProcess) => Number(new URL(n.url).port);
  // Measured alongside the rest, awaited before the first node is killed.
  const idle = nodes.map((n) => idleTimeout(nodePort(n)));
  idle.forEach((p) => p.catch(() => undefined));
  const tokens = tokenService(loadConfig({ DATA_DIR: dataDir }).authSecret);
  const officer = tokens.issue({ sub: 'officer-wangba-1', role: 'officer', scope: WANGBA }, 600);
  const contact = tokens.issue({ sub: 'contact-lijia', role: 'contact', scope: LIJIA }, 600);

  // The shipped site file, with this test's ports and paths, inside a stand-in for Debian's nginx.conf.
  const ports = { http: await freePort(), https: await freePort() };
  const site = renderSite(readFileSync(join(root, 'deploy/nginx/zhitong.conf'), 'utf8'), [
    { find: /^(\s*server\s+)127\.0\.0\.1:3001\b/gm, replace: `$1127.0.0.1:${nodePort(nodes[0]!)}`, times: 1 },
    { find: /^(\s*server\s+)127\.0\.0\.1:3002\b/gm, replace: `$1127.0.0.1:${nodePort(nodes[1]!)}`, times: 1 },
    { find: /^(\s*listen\s+)80\b/gm, replace: `$1127.0.0.1:${ports.http}`, times: 1 },
    { find: /^(\s*listen\s+)443\b/gm, replace: `$1127.0.0.1:${ports.https}`, times: 1 },
    { find: /^(\s*(?:ssl_certificate|ssl_certificate_key|alias)\s+)\/etc\/nginx\/zhitong\//gm, replace: `$1${certs}/`, times: 3 },
    { find: /^(\s*access_log\s+)\/var\/log\/nginx\//gm, replace: `$1${dir}/logs/`, times: 2 },
  ]);
  writeFileSync(join(dir, 'zhitong.conf'), site);
  const temp = join(dir, 'temp');
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      // Workers must read this test's private files (as root, nginx would run them as nobody).
      process.getuid?.() === 0 ? 'user root;' : '',
      // One worker: round robin in a known order.
      'worker_processes 1;',
      'events { worker_connections 256; }',
      'http {',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `    ${k}_temp_path ${temp}/${k};`),
      `    include ${join(dir, 'zhitong.conf')};`,
      '}',
      '',
    ].join('\n'),
  );
  const args = ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'];
  const checked = spawnSync(NGINX!, [...args, '-t', '-g', `pid ${dir}/nginx.pid;`], { encoding: 'utf8' });
  t.equal(checked.status, 0, 'nginx -t accepts the config', { stderr: checked.stderr });
  t.match(checked.stderr, /test is successful/);

  const nginx: ChildProcess = spawn(NGINX!, [...args, '-g', `daemon off; pid ${dir}/nginx.pid; error_log stderr;`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let nginxLog = '';
  nginx.stderr!.on('data', (d: Buffer) => (nginxLog += d.toString()));
  const nginxExited = new Promise((resolve) => nginx.once('exit', resolve));
  t.teardown(async () => {
    if (nginx.exitCode !== null || nginx.signalCode !== null) return;
    nginx.kill('SIGTERM');
    await nginxExited;
  });
  await until('nginx to listen', async () => {
    if (nginx.exitCode !== null) throw new Error(`nginx exited: ${nginxLog}`);
    return accepting(ports.https);
  });
  const base = `https://127.0.0.1:${ports.https}`;
  const accessLog = () => readFileSync(join(dir, 'logs/zhitong.access.log'), 'utf8').split('\n').filter(Boolean);

  // Which node a request went to: the node that logged its request id.
  const servedBy = async (requestId: string): Promise<ServerProcess> => {
    const pattern = new RegExp(`"reqId":"${requestId}"`);
    const seen = nodes.map((node) => node.waitForLog(pattern).then(() => node));
    // The other node never logs it, and rejects once it is killed: nobody waits for that.
    seen.forEach((p) => p.catch(() => undefined));
    return within(Promise.any(seen), `a node to log request ${requestId}`);
  };

  // Plain HTTP sends people to HTTPS, path and query kept; it hands out the CA certificate.
  const redirect = await call(`http://127.0.0.1:${ports.http}/duty?from=sms`);
  t.equal(redirect.status, 301, 'http:// is redirected');
  t.equal(redirect.headers.location, 'https://127.0.0.1/duty?from=sms', 'to the same address and path over https');
  const caDownload = await call(`http://127.0.0.1:${ports.http}/office-ca.crt`);
  t.equal(caDownload.status, 200);
  t.equal(caDownload.headers['content-type'], 'application/x-x509-ca-cert', 'the type phones install a CA certificate from');
  t.ok(caDownload.body.equals(readFileSync(join(certs, 'office-ca.der'))), 'the office CA certificate, DER');

  // The TLS certificate is checked against the office CA: a client that does not trust it is refused.
  await t.rejects(call(`${base}/health`), /self[- ]signed|unable to verify|unable to get local issuer/i, 'not trusted without the office CA');
  const health = await call(`${base}/health`, { ca });
  t.equal(health.status, 200, 'trusted with the office CA');

  // X-Forwarded-For is set by nginx from the connection, believed by zhitong (TRUST_PROXY), and a
  // client's own X-Forwarded-For is not.
  await call(`${base}/health`, { ca, localAddress: '127.0.0.2', headers: { 'x-forwarded-for': '203.0.113.7', 'x-request-id': 'xff-check' } });
  const xffNode = await servedBy('xff-check');
  const xffLine = JSON.parse(await xffNode.waitForLog(/"reqId":"xff-check".*incoming request/)) as { req: { remoteAddress: string } };
  t.equal(xffLine.req.remoteAddress, '127.0.0.2', 'zhitong sees the client address nginx saw, not the forged one');

  // The body limit is the server's: its default, to the byte.
  const limit = loadConfig({ DATA_DIR: dataDir }).bodyLimitBytes;
  const sizeInConf = /^\s*client_max_body_size\s+(\d+)k;/m.exec(site);
  t.equal(sizeInConf ? Number(sizeInConf[1]) * 1024 : undefined, limit, 'client_max_body_size is BODY_LIMIT_BYTES');
  const padded = (bytes: number) => {
    const head = '{"pad":"';
    return `${head}${'a'.repeat(bytes - head.length - 2)}"}`;
  };
  const reportHeaders = { authorization: `Bearer ${contact}`, 'content-type': 'application/json' };
  const atLimit = await call(`${base}/reports`, { ca, method: 'POST', headers: reportHeaders, body: padded(limit) });
  t.equal(atLimit.status, 400, 'a body of exactly the limit reaches zhitong (which refuses its content, not its size)');
  t.equal(json(atLimit).error, 'validation');
  const overLimit = await call(`${base}/reports`, { ca, method: 'POST', headers: { ...reportHeaders, 'x-request-id': 'over-limit' }, body: padded(limit + 1) });
  t.equal(overLimit.status, 413, 'one byte more is refused');
  t.equal(json(overLimit).error, 'body_too_large', "as JSON with zhitong's own error code");
  await until('the refusal in the access log', () => accessLog().some((l) => l.includes('request_id=over-limit')));
  t.match(accessLog().find((l) => l.includes('request_id=over-limit')), / 413 .* upstream=- /, 'by nginx, before any node saw it');

  // The on-call officer's socket, through nginx over wss.
  const officerSocket = async (requestId: string) => {
    const client = new AlertClient(new WebSocket(`wss://127.0.0.1:${ports.https}/alerts/ws`, { ca, headers: { authorization: `Bearer ${officer}`, 'x-request-id': requestId } }));
    await client.opened;
    return client;
  };
  const first = await officerSocket('ws-first');
  t.teardown(() => first.close());
  first.send({ type: 'resume', after: (await first.next((f) => f.type === 'hello')).position });
  await first.roundTrip();
  const socketNode = await servedBy('ws-first');
  const otherNode = nodes.find((n) => n !== socketNode)!;

  const file = async (hazard: string) => {
    const reportId = randomUUID();
    const answer = await call(`${base}/reports`, { ca, method: 'POST', headers: reportHeaders, body: JSON.stringify(reportBody({ reportId, hazard })) });
    t.equal(answer.status, 201, `report (${hazard}) filed through nginx`, { body: answer.body.toString() });
    return reportId;
  };
  const r1 = await file('landslide');
  const a1 = await first.next((f) => f.type === 'alert' && f.reportId === r1);
  t.equal(a1.step, 0, 'the alert arrives through nginx');

  // nginx closes an idle connection to a node before the node does, so that no request is sent
  // on a connection the node is closing (a POST there would be answered 502, not passed on).
  // (Checked on the node that stays up, at the end: the node keeps idle connections 75 s.)
  const keepalive = /^\s*keepalive_timeout\s+(\d+)s;/m.exec(site);

  // The node holding the socket dies.
  const logBefore = accessLog().length;
  socketNode.child.kill('SIGKILL');
  await socketNode.exited;
  t.equal(await within(first.closed, 'the socket on the killed node to close'), 1006, 'the socket on the killed node dropped (no close frame: its node is gone)');

  // Two reports while the officer is offline. Round robin sends one of the two to the dead node
  // first: nginx gets "connection refused" there and passes the POST to the live node.
  const r2 = await file('flash_flood');
  const r3 = await file('hail');
  await until('the access log to show both reports', () => accessLog().slice(logBefore).filter((l) => l.includes('"POST /reports ')).length >= 2);
  const dead = `127.0.0.1:${nodePort(socketNode)}`;
  const live = `127.0.0.1:${nodePort(otherNode)}`;
  const failedOver = accessLog()
    .slice(logBefore)
    .filter((l) => l.includes('"POST /reports ') && l.includes(` 201 `) && l.includes(`upstream=${dead}, ${live} `));
  t.equal(failedOver.length, 1, 'one POST met the dead node and was passed to the live one', { accessLog: accessLog().slice(logBefore) });
  t.match(nginxLog, new RegExp(`connect\\(\\) failed \\(111: Connection refused\\).*upstream: "http://${dead.replace(/\./g, '\\.')}/reports"`), 'nginx says why');

  // The officer's page reconnects through nginx and resumes from the last position it saw.
  const lastSeen = (frames: Frame[]) =>
    frames.filter((f) => typeof f.position === 'string' && ['hello', 'alert', 'acknowledged', 'updated'].includes(f.type)).reduce((p, f) => (f.position! > p ? f.position! : p), '');
  const second = await officerSocket('ws-second');
  t.teardown(() => second.close());
  t.equal(await servedBy('ws-second'), otherNode, 'the new socket is on the live node');
  await second.next((f) => f.type === 'hello');
  second.send({ type: 'resume', after: lastSeen(first.frames) });
  const r4 = await file('debris_flow');
  await second.next((f) => f.type === 'alert' && f.reportId === r4);
  await second.roundTrip();

  const alerts = [...first.alerts(), ...second.alerts()];
  t.same(
    alerts.map((f) => f.reportId),
    [r1, r2, r3, r4],
    'every report alerted once, in order: r1 live before the kill, r2 and r3 on resuming, r4 live after',
  );
  t.same(
    second.alerts().map((f) => f.reportId),
    [r2, r3, r4],
    'nothing from before the resume position is sent again',
  );
  const positions = alerts.map((f) => f.position!);
  t.same(positions, [...positions].sort(), 'positions only move forward');
  t.equal(new Set(positions).size, positions.length, 'no position twice');

  const nodeIdleMs = await idle[nodes.indexOf(otherNode)]!;
  t.ok(keepalive && Number(keepalive[1]) * 1000 < nodeIdleMs, `nginx's upstream keepalive_timeout (${keepalive?.[1]} s) is below the node's (${nodeIdleMs} ms)`);

  // No node left: nginx answers for them, as JSON the pages read.
  otherNode.child.kill('SIGKILL');
  await otherNode.exited;
  await within(second.closed, 'the last socket to close');
  const none = await call(`${base}/health`, { ca });
  t.equal(none.status, 502, 'no node: 502');
  t.equal(json(none).error, 'unavailable');
  t.equal(none.headers['retry-after'], '5');
});
