import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { KANG, LIJIA, WANGBA, reportBody } from '../support/app.js';
import { startServerProcess } from '../support/process.js';
import { call, cli, kill9, seedDataDir, tokensFor, waitUntil, type Answer } from './support.js';

/** Small enough to fill in a few hundred filings; the WAL alone would grow past it before a checkpoint. */
const SMALL = '3m';
const BIGGER = '64m';

/**
 * DATA_DIR on a tmpfs of its own, outside tap's fixture directory: tap removes fixtures before
 * teardowns run, and a mounted directory cannot be removed until it is unmounted. Mounting needs
 * root (CI and the development machines run the tests as root); elsewhere the test is skipped.
 */
function mountSmallDisk(t: Test): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'zt-diskfull-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SMALL},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    t.comment(`cannot mount a tmpfs (${(error as Error).message.split('\n')[0]}): not root, or no mount in this container`);
    return undefined;
  }
  t.teardown(() => {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return dir;
}

t.test('the disk fills during intake: writes answer 503, the node stays up and serves reads, nothing half written, filing resumes when space comes back', async (t) => {
  const mount = mountSmallDisk(t);
  if (!mount) return t.plan(0, 'DATA_DIR on a small tmpfs needs mount (root)');
  const dataDir = join(mount, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  await seedDataDir(dataDir);
  const server = await startServerProcess({ DATA_DIR: dataDir, RATE_LIMIT_PER_MINUTE: '1000000', ESCALATION_DELAY_MS: '3600000' });
  t.teardown(() => kill9(server));
  const log: string[] = [];
  server.child.stdout!.on('data', (d: Buffer) => log.push(d.toString()));
  const token = tokensFor(dataDir);
  const contact = token('contact', LIJIA, 'contact-lijia');
  const officer = token('officer', WANGBA, 'officer-wangba-1');
  const head = token('head', KANG, 'head-kang');
  // Big notes fill the disk in a hundred filings rather than thousands. Each names its reportId,
  // so a refused one can be looked for afterwards.
  const filing = (n: number) => ({ ...reportBody({ notes: `第 ${n} 份：${'山体滑坡，道路中断，'.repeat(150)}` }), reportId: randomUUID() });

  // Four phones file at once, so the disk fills under group commits of several appends.
  const created: string[] = [];
  const refused: Array<{ body: ReturnType<typeof reportBody> & { reportId: string }; answer: Answer }> = [];
  let n = 0;
  const phone = async () => {
    for (let mine = 0; mine < 5; ) {
      if (n > 20_000) throw new Error('the disk never filled');
      const body = filing(n++);
      const answer = await call(server.url, 'POST', '/reports', { token: contact, body });
      if (answer.status === 201) created.push(body.reportId);
      else {
        refused.push({ body, answer });
        mine += 1;
      }
    }
  };
  await Promise.all([phone(), phone(), phone(), phone()]);
  t.ok(created.length > 10, `${created.length} reports filed before the disk filled`);
  const answers = refused.map((r) => r.answer);
  t.same(
    answers.map((a) => a.status),
    answers.map(() => 503),
    `a full disk answers 503, never 500 (${[...new Set(answers.map((a) => `${a.status} ${JSON.stringify(a.body)}`))].join(' | ')})`,
  );
  t.ok(
    answers.every((a) => a.body?.error === 'disk_full' && /磁盘已满/.test(a.body.message)),
    'each with a JSON error naming the full disk, in Chinese',
  );
  t.equal(answers[0]!.headers.get('retry-after'), '1', 'and when to try again');

  // The space a big filing no longer fits in may still take a small one: fill that too.
  for (let refusedSmall = 0; refusedSmall < 5; ) {
    const body = { ...reportBody(), reportId: randomUUID() };
    const answer = await call(server.url, 'POST', '/reports', { token: contact, body });
    if (answer.status === 201) created.push(body.reportId);
    else {
      refused.push({ body, answer });
      refusedSmall += 1;
    }
  }
  t.same([...new Set(refused.map((r) => r.answer.status))], [503], 'small filings too are refused with 503 once they no longer fit');
  const notReady = await call(server.url, 'GET', '/ready');
  t.same([notReady.status, notReady.body?.details?.eventStore], [503, 'the event store is unavailable: the disk is full'], 'readiness says the store takes no writes, and why');

  // Other writes meet the same disk: a command on an existing report, a keyed filing. Either
  // still fits in the last free pages or is refused as the filings were, never a 500.
  const ack = await call(server.url, 'POST', `/reports/${created[0]}/acknowledgements`, { token: officer, body: {} });
  t.ok(ack.status === 200 || (ack.status === 503 && ack.body?.error === 'disk_full'), `an acknowledgement on the full disk: ${ack.status} ${JSON.stringify(ack.body)}`);
  const keyed = filing(-2);
  const first = await call(server.url, 'POST', '/reports', { token: contact, body: keyed, headers: { 'idempotency-key': 'full-disk-retry' } });
  t.ok(first.status === 201 || (first.status === 503 && first.body?.error === 'disk_full'), `a keyed filing on the full disk: ${first.status} ${JSON.stringify(first.body)}`);

  t.equal(server.child.exitCode, null, 'the node is still running');
  t.equal((await call(server.url, 'GET', '/health')).status, 200, '/health answers');
  const read = await call(server.url, 'GET', `/reports/${created.at(-1)}`, { token: head });
  t.equal(read.status, 200, 'a report can still be read');
  t.equal((await call(server.url, 'GET', `/reports?unit=${KANG}`, { token: head })).status, 200, 'the list can still be read');
  t.equal((await call(server.url, 'GET', `/tallies?unit=${KANG}`, { token: head })).status, 200, 'the tallies can still be read');

  // Nothing half written: every 201 is there, no refused one is, and the file is whole and verifies.
  const unreadable: string[] = [];
  for (const id of created) if ((await call(server.url, 'GET', `/reports/${id}`, { token: head })).status !== 200) unreadable.push(id);
  t.same(unreadable, [], `every one of the ${created.length} reports answered 201 can be read`);
  const leftBehind: string[] = [];
  for (const { body } of refused) if ((await call(server.url, 'GET', `/reports/${body.reportId}`, { token: head })).status !== 404) leftBehind.push(body.reportId);
  t.same(leftBehind, [], `none of the ${refused.length} refused filings left anything in the log`);
  {
    const db = new Database(join(dataDir, 'events.sqlite'), { readonly: true });
    t.equal(db.pragma('integrity_check', { simple: true }), 'ok', 'the database file is whole');
    db.close();
  }
  const verify = await cli({ DATA_DIR: dataDir }, 'verify');
  t.equal(verify.code, 0, `cli verify on the full disk: ${verify.stderr}`);

  // Space comes back: the same node files again, without a restart.
  execFileSync('mount', ['-o', `remount,size=${BIGGER}`, mount]);
  // Ready again before anything is written: a load balancer that took the node out sends it work again.
  await waitUntil('readiness with room on the disk', async () => ((await call(server.url, 'GET', '/ready')).status === 200 ? true : undefined), 30_000);
  const again = await waitUntil('a filing to be accepted again', async () => {
    const res = await call(server.url, 'POST', '/reports', { token: contact, body: filing(-1) });
    if (res.status === 201) return res;
    if (res.status !== 503) throw new Error(`after space came back: ${res.status} ${JSON.stringify(res.body)}`);
    return undefined;
  });
  t.equal(again.status, 201, 'filing works again once there is space');
  // The phones retry what was refused, with the same reportIds: each is filed now, not found as
  // an earlier half.
  const retried = await Promise.all(refused.map(({ body }) => call(server.url, 'POST', '/reports', { token: contact, body })));
  t.same(
    retried.map((r) => r.status),
    retried.map(() => 201),
    'every refused filing, sent again, is filed',
  );
  // A keyed filing refused on the full disk may have claimed its key before the filing failed;
  // the claim is given up when its lease runs out, and the retry is then answered.
  const keyedAgain = await waitUntil(
    'the keyed retry',
    async () => {
      const res = await call(server.url, 'POST', '/reports', { token: contact, body: keyed, headers: { 'idempotency-key': 'full-disk-retry' } });
      return res.status === 409 && res.body?.error === 'conflict' ? undefined : res;
    },
    90_000,
    250,
  );
  t.same([keyedAgain.status, keyedAgain.body?.reportId], [201, keyed.reportId], 'the keyed filing, retried with its key, is filed once');
  t.equal((await call(server.url, 'POST', `/reports/${created[0]}/acknowledgements`, { token: officer, body: {} })).status, 200, 'the acknowledgement goes through');
  const after = await cli({ DATA_DIR: dataDir }, 'verify');
  t.equal(after.code, 0, `cli verify after space came back: ${after.stderr}`);
  t.notMatch(log.join(''), /unhandled rejection|"level":60/, 'nothing escaped the node\u2019s error handling');
});
