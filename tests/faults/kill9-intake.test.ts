import t from 'tap';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { HEJIAGOU, KANG, LIJIA, WANGBA, ZHUJIAGOU, allocationBody, reportBody, verificationBody } from '../support/app.js';
import { startServerProcess, type ServerProcess } from '../support/process.js';
import { allPages, call, cli, kill9, seedDataDir, tokensFor, waitUntil, type Answer } from './support.js';
import { testDir } from '../support/dirs.js';

/** Filings acknowledged (201) before the kill that trigger it; enough for the kill to land mid-stream. */
const KILL_AFTER = 300;
/** The seal runs beside the serving node once this many are in, so the crashed run holds a seal. */
const SEAL_AFTER = 100;

interface Filing {
  /** Which contact sent it: a retry must come from the same user to be the same request. */
  worker: number;
  body: ReturnType<typeof reportBody> & { notes: string; reportId?: string };
  key?: string;
  reportId?: string;
}

t.test('kill -9 during sustained intake: every 201 is there, the log verifies, rebuilt projections equal the live ones', async (t) => {
  const dataDir = testDir(t);
  const file = join(dataDir, 'events.sqlite');
  await seedDataDir(dataDir);
  // No escalation may fire while the test compares two nodes' read models of one log.
  const env = { DATA_DIR: dataDir, RATE_LIMIT_PER_MINUTE: '1000000', ESCALATION_DELAY_MS: '3600000' };
  const token = tokensFor(dataDir);
  const officer = token('officer', WANGBA, 'officer-wangba-1');
  const head = token('head', KANG, 'head-kang');
  const servers: ServerProcess[] = [];
  t.teardown(() => servers.forEach((s) => s.child.kill('SIGKILL')));
  const start = async () => {
    const server = await startServerProcess(env);
    servers.push(server);
    return server;
  };
  const headPosition = () => {
    const db = new Database(file, { readonly: true });
    try {
      return String((db.prepare('SELECT max(position) AS p FROM events').get() as { p: number }).p);
    } finally {
      db.close();
    }
  };

  // A first run that stops cleanly leaves a projection snapshot, so the node after the crash
  // starts from that snapshot plus the log's tail: the "live" read models compared at the end.
  const first = await start();
  const before: number[] = [];
  for (let n = 0; n < 20; n++) before.push((await call(first.url, 'POST', '/reports', { token: token('contact', LIJIA, 'contact-lijia'), body: reportBody({ notes: `before ${n}` }) })).status);
  t.same(before, before.map(() => 201), 'twenty filings before the crash run');
  first.child.kill('SIGTERM');
  t.equal(await first.exited, 0, 'the first run stopped cleanly');

  const server = await start();
  const acked: Filing[] = [];
  /** Sent, and no answer came back before the kill: it may or may not be in the log. */
  const unknown: Filing[] = [];
  const unexpected: Array<{ what: string; status: number; body: unknown }> = [];
  const verified = new Set<string>();
  const acknowledged = new Set<string>();
  const allocations: string[] = [];
  let running = true;
  let sealed: Promise<Awaited<ReturnType<typeof cli>>> | undefined;
  let killNow!: () => void;
  const killCondition = new Promise<void>((resolve) => (killNow = resolve));
  const progress = () => {
    if (acked.length >= SEAL_AFTER && !sealed) sealed = cli({ DATA_DIR: dataDir }, 'seal');
    if (acked.length >= KILL_AFTER && verified.size >= 10 && allocations.length >= 3) killNow();
  };
  const post = (path: string, tokenOf: string, body: unknown, key?: string) =>
    call(server.url, 'POST', path, { token: tokenOf, body, ...(key ? { headers: { 'idempotency-key': key } } : {}) });

  // Four village contacts file without pause. A third of the filings name their own reportId; a
  // third carry an Idempotency-Key and are sent twice at once (a phone retrying while the first
  // is still in flight); a third carry a key and are retried after their answer.
  const villages = [LIJIA, HEJIAGOU, ZHUJIAGOU, LIJIA];
  const contact = async (w: number) => {
    const village = villages[w]!;
    const tokenOf = token('contact', village, `contact-${w}`);
    for (let n = 0; running; n++) {
      const kind = n % 3;
      const filing: Filing = {
        worker: w,
        body: { ...reportBody({ village, estimate: { affectedPeople: n + 1 } }), notes: `w${w} n${n}`, ...(kind === 0 ? { reportId: randomUUID() } : {}) },
        ...(kind === 0 ? {} : { key: `w${w}-n${n}-${randomUUID()}` }),
      };
      if (kind === 0) filing.reportId = filing.body.reportId!;
      let answers: Answer[];
      try {
        if (kind === 1) answers = await Promise.all([post('/reports', tokenOf, filing.body, filing.key), post('/reports', tokenOf, filing.body, filing.key)]);
        else {
          answers = [await post('/reports', tokenOf, filing.body, filing.key)];
          if (kind === 2 && answers[0]!.status === 201) answers.push(await post('/reports', tokenOf, filing.body, filing.key));
        }
      } catch {
        unknown.push(filing);
        return;
      }
      const created = answers.filter((a) => a.status === 201);
      // A concurrent twin may still be waiting for the first when its wait runs out: 409, retry later.
      const other = answers.filter((a) => a.status !== 201 && !(kind === 1 && a.status === 409 && a.body?.error === 'conflict'));
      for (const a of other) unexpected.push({ what: `filing w${w} n${n}`, status: a.status, body: a.body });
      if (created.length === 0) continue;
      const ids = new Set(created.map((a) => a.body.reportId as string));
      if (ids.size !== 1) unexpected.push({ what: `filing w${w} n${n} answered with two reportIds`, status: 201, body: [...ids] });
      if (kind === 2 && answers[1]?.headers.get('idempotent-replayed') !== 'true') unexpected.push({ what: `retry w${w} n${n} not a replay`, status: answers[1]?.status ?? 0, body: answers[1]?.body });
      filing.reportId = created[0]!.body.reportId as string;
      acked.push(filing);
      progress();
    }
  };

  // The township officer works through what comes in: acknowledges, verifies every other one,
  // allocates relief on every fourth, so the ledger and the households are part of what is compared.
  const officerWork = async () => {
    let next = 0;
    let i = 0;
    while (running) {
      const filing = acked.slice(next).find((f) => f.body.village !== ZHUJIAGOU);
      if (!filing) {
        await waitUntil('a filing for the officer', () => (!running || acked.slice(next).some((f) => f.body.village !== ZHUJIAGOU) ? true : undefined), 60_000, 5);
        continue;
      }
      next = acked.indexOf(filing) + 1;
      const id = filing.reportId!;
      i += 1;
      try {
        const ack = await post(`/reports/${id}/acknowledgements`, officer, {});
        if (ack.status !== 200) unexpected.push({ what: `ack ${id}`, status: ack.status, body: ack.body });
        else acknowledged.add(id);
        if (i % 2 === 0) {
          const household = { householdId: `hh-${i}`, name: '张三明', damage: 'collapsed', people: 4 };
          const v = await post(`/reports/${id}/verifications`, officer, verificationBody({ households: [household] }));
          if (v.status !== 200) unexpected.push({ what: `verify ${id}`, status: v.status, body: v.body });
          else verified.add(id);
          if (i % 4 === 0 && v.status === 200) {
            const a = await post('/allocations', officer, allocationBody(id, { household: { id: `hh-${i}`, name: '张三明' } }));
            if (a.status !== 201) unexpected.push({ what: `allocate ${id}`, status: a.status, body: a.body });
            else allocations.push(a.body.allocationId as string);
          }
        }
      } catch {
        return;
      }
      progress();
    }
  };

  const workers = [0, 1, 2, 3].map(contact).concat(officerWork());
  await killCondition;
  await kill9(server);
  running = false;
  await Promise.all(workers);
  t.same(unexpected, [], 'before the kill every write was answered as it should be');
  t.ok(sealed, 'a seal was taken beside the serving node');
  const seal = await sealed!;
  t.equal(seal.code, 0, `cli seal: ${seal.stderr}`);
  t.equal(JSON.parse(seal.stdout).written, true, 'the seal was written');
  t.ok(acked.length >= KILL_AFTER, `${acked.length} filings acknowledged, ${unknown.length} in flight at the kill`);

  {
    const raw = new Database(file, { readonly: true });
    t.equal(raw.pragma('integrity_check', { simple: true }), 'ok', 'the database file is clean after the kill');
    raw.close();
  }

  const after = await start();
  t.equal(await startedFrom(after), 'snapshot', 'the restarted node started from the first run\u2019s snapshot');

  const missing: string[] = [];
  const wrong: string[] = [];
  for (const f of acked) {
    const res = await call(after.url, 'GET', `/reports/${f.reportId}`, { token: head });
    if (res.status !== 200) missing.push(`${f.reportId} (${res.status})`);
    else if (res.body.notes !== f.body.notes || res.body.village !== f.body.village) wrong.push(f.reportId!);
  }
  t.same(missing, [], `every one of the ${acked.length} acknowledged filings is there`);
  t.same(wrong, [], 'each as it was filed');
  const notRecorded: string[] = [];
  for (const id of acknowledged) {
    const res = await call(after.url, 'GET', `/reports/${id}`, { token: head });
    if (!res.body.acknowledgements?.includes('officer-wangba-1') || (verified.has(id) && res.body.verified === null)) notRecorded.push(id);
  }
  t.same(notRecorded, [], `every acknowledgement (${acknowledged.size}) and verification (${verified.size}) that was answered is recorded`);
  const lostAllocations: string[] = [];
  for (const id of allocations) if ((await call(after.url, 'GET', `/allocations/${id}`, { token: head })).status !== 200) lostAllocations.push(id);
  t.same(lostAllocations, [], `every allocation answered 201 (${allocations.length}) is there`);

  // The phones whose keyed filings got no answer retry with the same key after the restart: each
  // ends with exactly one report, whether or not the first attempt had reached the log. A key
  // claimed by a request the kill cut off is held for its lease; the retry waits it out.
  const retried = new Map<string, string>();
  for (const f of unknown.filter((u) => u.key)) {
    const res = await waitUntil(
      `the retry of ${f.key}`,
      async () => {
        const r = await call(after.url, 'POST', '/reports', { token: token('contact', f.body.village, `contact-${f.worker}`), body: f.body, headers: { 'idempotency-key': f.key! } });
        return r.status === 409 && r.body?.error === 'conflict' ? undefined : r;
      },
      120_000,
      250,
    );
    t.equal(res.status, 201, `the retry of a filing cut off by the kill is answered 201 (${JSON.stringify(res.body)})`);
    retried.set(f.key!, res.body.reportId as string);
  }
  // And a retry of one that was answered before the kill gets that answer again.
  const notReplayed: string[] = [];
  for (const f of acked.filter((a) => a.key).slice(-20)) {
    const res = await call(after.url, 'POST', '/reports', { token: token('contact', f.body.village, `contact-${f.worker}`), body: f.body, headers: { 'idempotency-key': f.key! } });
    if (res.status !== 201 || res.body.reportId !== f.reportId || res.headers.get('idempotent-replayed') !== 'true') notReplayed.push(`${f.key}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  t.same(notReplayed, [], 'a key answered before the kill answers the same after it, as a replay');

  const db = new Database(file, { readonly: true });
  const filed = db.prepare("SELECT json_extract(record, '$.data.reportId') AS id, json_extract(record, '$.data.notes') AS notes FROM events WHERE type = 'ReportFiled'").all() as Array<{ id: string; notes: string }>;
  db.close();
  const filedIds = filed.map((r) => r.id);
  t.equal(new Set(filedIds).size, filedIds.length, 'no report was filed twice');
  const known = new Set([...acked.map((f) => f.reportId!), ...retried.values(), ...unknown.filter((u) => !u.key).map((u) => u.reportId!)]);
  const phantom = filed.filter((r) => !known.has(r.id) && !r.notes.startsWith('before '));
  t.same(phantom, [], 'every report in the log is one a client sent');
  t.equal(filed.length, 20 + acked.length + retried.size + unknown.filter((u) => !u.key && filedIds.includes(u.reportId!)).length, 'and nothing else was added');

  const verify = await cli({ DATA_DIR: dataDir }, 'verify');
  t.equal(verify.code, 0, `cli verify after the crash: ${verify.stderr}`);
  const report = JSON.parse(verify.stdout) as { ok: boolean; events: number; seals: { count: number }; problems: unknown[] };
  t.equal(report.ok, true, 'chains, positions and seals verify');
  t.same(report.problems, []);
  t.ok(report.seals.count >= 2, `the seals were checked too (${report.seals.count}: the first run's shutdown seal and the one beside the crashed run)`);

  // The live read models (snapshot + tail) against ones rebuilt from the first event: a second
  // node on the same log with the snapshot deleted. Nothing is written in between (no intake, no
  // escalation due), which the head position before and after confirms.
  const at = headPosition();
  const live = await readModels(after.url, head, at);
  await kill9(after);
  for (const suffix of ['', '-wal', '-shm']) rmSync(join(dataDir, `projections.sqlite${suffix}`), { force: true });
  const rebuilt = await start();
  const rebuiltModels = await readModels(rebuilt.url, head, at);
  t.equal(headPosition(), at, 'the log did not move while the two were read');
  t.equal(await startedFrom(rebuilt), 'log', 'the second node rebuilt from the log, not from a snapshot');
  const listed = (live.reports as Array<{ reportId: string }>).map((r) => r.reportId);
  t.same(new Set(listed), new Set(filedIds), `the live list holds every report in the log (${listed.length}) and no other`);
  const inLedger = new Set((live.ledger as Array<{ allocationId: string }>).map((a) => a.allocationId));
  t.ok(allocations.length > 0 && allocations.every((id) => inLedger.has(id)), `the live ledger holds every allocation answered 201 (${allocations.length})`);
  for (const name of Object.keys(live)) t.same(rebuiltModels[name], live[name], `rebuilt from zero, ${name} equals the live one`);
});

/** Whether a node's read models came from the snapshot file or from replaying the whole log. */
function startedFrom(server: ServerProcess): Promise<'snapshot' | 'log'> {
  return Promise.race([
    server.waitForLog(/projections loaded from their snapshot/).then(() => 'snapshot' as const),
    // Logged after the snapshot line when there is one, so this wins only without it.
    server.waitForLog(/projections caught up with the log/).then(() => 'log' as const),
  ]);
}

/** What each read model answers, read once the node has applied `position` (SPEC §6). */
async function readModels(url: string, token: string, position: string): Promise<Record<string, unknown>> {
  const q = `position=${position}`;
  // The first read waits for the node to catch up; the rest then read the same state.
  const tallies = await waitUntil('the node to catch up', async () => {
    const res = await call(url, 'GET', `/tallies?unit=${KANG}&${q}`, { token });
    return res.status === 200 ? res.body : undefined;
  });
  const get = async (path: string) => {
    const res = await call(url, 'GET', path, { token });
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const ledgerFirst = (await get(`/allocations?limit=1000&${q}`)) as { totals: unknown; items: Array<{ village: { code: string }; household: { id: string } }> };
  const allocated = ledgerFirst.items[0];
  const open = (await allPages(url, `/alerts/open?${q}`, token)) as Array<Record<string, unknown>>;
  return {
    tallies,
    talliesWangba: await get(`/tallies?unit=${WANGBA}&hazard=landslide&${q}`),
    reports: await allPages(url, `/reports?${q}`, token),
    verifiedReports: await allPages(url, `/reports?status=verified&${q}`, token),
    ledger: await allPages(url, `/allocations?${q}`, token),
    ledgerTotals: ledgerFirst.totals,
    missedRelief: await allPages(url, `/relief/missed?${q}`, token),
    // How long an alert has waited is the clock's, not the log's.
    openAlerts: open.map(({ ageSeconds: _age, ...rest }) => rest),
    household: allocated ? await get(`/households/${allocated.village.code}/${allocated.household.id}?${q}`) : null,
    roster: await get(`/roster/${WANGBA}`),
    units: await allPages(url, `/units?${q}`, token),
    latestSeal: await get('/audit/seals/latest'),
  };
}
