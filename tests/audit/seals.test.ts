import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { merkleRoot } from '../../infra/audit/merkle.js';
import type { VerifyReport } from '../../infra/audit/verify.js';
import { eventHash, sealEvents } from '../../infra/eventstore/chain.js';
import type { RecordedEvent } from '../../infra/eventstore/types.js';
import { KANG, LIJIA, WANGBA, reportBody, seedObjects, startTestApp } from '../support/app.js';
import { cli, expectNamed, rows, world } from '../support/audit-world.js';
import { testDir } from '../support/dirs.js';

/**
 * Issue 14: seals as an auditor relies on them — signed, anchored, unsealed events told apart
 * from broken ones, exports verified with no store, one seal per interval however many nodes.
 */

t.test('untouched: every verification passes, seals signed and checked', async (t) => {
  const w = await world(t);
  const http = (await w.app.call('GET', '/audit/verify', { token: w.app.token('auditor', '620000000000') })).json() as VerifyReport;
  t.match(http, { ok: true, seals: { count: 2, signatures: 'checked' }, unsealed: { events: 0 } });
  const onStore = await cli(w.env, 'verify');
  t.equal(onStore.status, 0, onStore.stderr);
  t.match(JSON.parse(onStore.stdout), { ok: true, seals: { count: 2, signatures: 'checked' } });
  // Under the JSON, what a person reads: first in Chinese (SPEC §9), then in English.
  const said = onStore.stderr.trim().split('\n');
  t.equal(said.length, 2, 'two lines, Chinese then English');
  t.match(said[0], /^核验通过：\d+ 条事件、\d+ 个流，哈希链完好；2 次封存，最新一次封存到位置 \d+；签名已核对；没有核对锚点（--anchor）：日志末尾整段被删，从日志本身查不出来$/, 'the verdict in Chinese, with what was checked and what could not be');
  t.match(said[1], /^verified: \d+ events in \d+ streams, every hash chain intact; 2 seals, the latest up to position \d+; signatures checked; no anchor checked \(--anchor\)/);
  const exportFile = join(w.env.DATA_DIR!, '..', 'export.ndjson');
  writeFileSync(exportFile, (await cli(w.env, 'export')).stdout);
  const onFile = await cli({}, 'verify', '--file', exportFile, '--public-key', w.publicKey);
  t.equal(onFile.status, 0, onFile.stderr);
  t.match(JSON.parse(onFile.stdout), { ok: true, seals: { count: 2, signatures: 'checked' } });
  const latest = (await w.app.call('GET', '/audit/seals/latest', { token: w.app.token('auditor', KANG) })).json();
  t.match(latest.seal, { root: /^[0-9a-f]{64}$/, anchor: /^[0-9a-f]{64}@\d+$/ });
  const anchored = await cli(w.env, 'verify', '--anchor', latest.seal.anchor);
  t.equal(anchored.status, 0, anchored.stderr);
  t.match(JSON.parse(anchored.stdout), { anchor: { matches: true } });
  t.match(anchored.stderr, /与位置 \d+ 的锚点一致/, 'the anchor checked, said so');
  t.notMatch(anchored.stderr, /没有核对锚点/);
});

t.test('an event appended behind zhitong\u2019s back, its hash recomputed: unsealed, not broken', async (t) => {
  const w = await world(t);
  const stream = `report-${w.reportId}`;
  const head = JSON.parse(rows(w, stream).at(-1)!.record) as RecordedEvent;
  const [forged] = sealEvents(stream, { revision: head.revision, hash: head.metadata.hash }, [
    { id: randomUUID(), type: 'ReportClosed', data: { summary: '已处理' }, metadata: { actor: { id: 'nobody', role: 'head' }, at: new Date().toISOString(), correlationId: 'x', schemaVersion: 1 } },
  ]);
  const position = (w.db.prepare('SELECT max(position) AS p FROM events').get() as { p: number }).p + 1;
  const recorded = { ...forged!, stream, position: String(position).padStart(16, '0') };
  w.db.prepare('INSERT INTO events (position, id, stream, revision, type, hash, record) VALUES (?, ?, ?, ?, ?, ?, ?)').run(position, forged!.id, stream, forged!.revision, forged!.type, forged!.metadata.hash, JSON.stringify(recorded));
  const http = (await w.app.call('GET', '/audit/verify', { token: w.app.token('auditor', '620000000000') })).json() as VerifyReport;
  t.match(http, { ok: true, unsealed: { events: 1, streams: 1 } }, 'reported as unsealed');
  const onStore = await cli(w.env, 'verify');
  t.equal(onStore.status, 0);
  t.match(JSON.parse(onStore.stdout), { ok: true, unsealed: { events: 1 } });
});

t.test('the full recompute: an event edited, every hash and seal after it recomputed — caught by the signature and by an anchor taken before', async (t) => {
  const w = await world(t);
  const anchor = ((await w.app.call('GET', '/audit/seals/latest', { token: w.app.token('auditor', KANG) })).json() as { seal: { anchor: string } }).seal.anchor;
  const stream = `allocation-${w.allocationId}`;
  // The attacker rewrites the delivery to another recipient's thumbprint, and every hash after it.
  const events = rows(w, stream).map((r) => ({ position: r.position, event: JSON.parse(r.record) as RecordedEvent }));
  const last = events.at(-1)!;
  (last.event.data as { confirmation: { reference: string } }).confirmation.reference = 'photo-forged';
  const { hash: _h, ...meta } = last.event.metadata;
  const hash = eventHash(stream, last.event.revision, last.event.type, last.event.data, meta);
  last.event.metadata = { ...meta, hash };
  w.db.prepare('UPDATE events SET record = ?, hash = ? WHERE position = ?').run(JSON.stringify(last.event), hash, last.position);
  // …then every seal: heads, roots, the seal chain and the audit stream's own hashes.
  const folded = new Map<string, { revision: number; hash: string }>();
  let previous: string | null = null;
  let prevHash = '0'.repeat(64);
  for (const row of rows(w, 'audit')) {
    const seal = JSON.parse(row.record) as RecordedEvent;
    const data = seal.data as { heads: Array<{ stream: string; revision: number; hash: string }>; root: string; previousSeal: string | null };
    for (const h of data.heads) {
      if (h.stream === stream && h.revision === last.event.revision) h.hash = hash;
      folded.set(h.stream, { revision: h.revision, hash: h.hash });
    }
    data.root = merkleRoot([...folded].map(([s, h]) => ({ stream: s, ...h })));
    data.previousSeal = previous;
    previous = data.root;
    const { hash: _old, ...sealMeta } = seal.metadata;
    const withPrev = { ...sealMeta, prevHash };
    const sealHash = eventHash('audit', seal.revision, seal.type, seal.data, withPrev);
    seal.metadata = { ...withPrev, hash: sealHash };
    prevHash = sealHash;
    w.db.prepare('UPDATE events SET record = ?, hash = ? WHERE position = ?').run(JSON.stringify(seal), sealHash, row.position);
  }
  const reports = await expectNamed(t, w, 'seal_signature', { message: /签名无效/ }, { anchor });
  const [, onStore, onFile] = reports;
  for (const report of [onStore!, onFile!]) t.ok(report.problems.some((p) => p.kind === 'anchor_mismatch'), 'and the anchor taken before says so');
  t.notOk(reports[0]!.problems.some((p) => p.kind === 'edited'), 'no chain is broken: only the signature and the anchor catch it');
});

t.test('an export verifies on a machine with no DATA_DIR; one byte changed fails naming the event', async (t) => {
  const w = await world(t);
  const text = (await cli(w.env, 'export')).stdout;
  const dir = testDir(t, {});
  writeFileSync(join(dir, 'good.ndjson'), text);
  const good = await cli({}, 'verify', '--file', join(dir, 'good.ndjson'));
  t.equal(good.status, 0, good.stderr);
  t.match(JSON.parse(good.stdout), { ok: true, seals: { count: 2, signatures: 'not checked: no public key given' } });
  t.match(good.stderr, /签名没有核对（没有给公钥 --public-key）/, 'what was not checked is said, not left to the JSON');
  const lines = text.trim().split('\n');
  const target = lines.findIndex((l) => l.includes('"GoodsDelivered"'));
  lines[target] = lines[target]!.replace('"cashFen":30000', '"cashFen":30001');
  writeFileSync(join(dir, 'bad.ndjson'), lines.join('\n') + '\n');
  const bad = await cli({}, 'verify', '--file', join(dir, 'bad.ndjson'));
  t.equal(bad.status, 1);
  const event = JSON.parse(lines[target]!) as RecordedEvent;
  t.match(JSON.parse(bad.stdout).firstProblem, { kind: 'edited', stream: event.stream, revision: event.revision, position: event.position });
  t.match(bad.stderr, /^核验未通过：\d+ 条事件、\d+ 个流中发现 1 个问题；2 次封存/, 'the verdict first');
  t.match(bad.stderr, /verification FAILED: 1 problem in \d+ events/, 'one problem, not "1 problems"');
  t.match(bad.stderr, new RegExp(`${event.stream} 第 ${event.revision + 1} 条事件（修订号 ${event.revision}，`), 'named in words, counted from 1 as a Chinese reader counts (修订号 from 0, as the log)');
  const missing = await cli({}, 'verify', '--file', join(dir, 'nope.ndjson'));
  t.equal(missing.status, 1);
  t.match(missing.stderr, /no such file/);
});

t.test('two nodes sealing for longer than the interval write one seal per interval', async (t) => {
  const dataDir = testDir(t);
  let clock = Date.now();
  const now = () => new Date(clock);
  const env = { AUDIT_SEAL_INTERVAL_MS: '60000' };
  const a = await startTestApp(t, { dataDir, now, env });
  const b = await startTestApp(t, { dataDir, now, env });
  const file = () => a.call('POST', '/reports', { token: a.token('contact', LIJIA), body: reportBody() });
  const written: string[] = [];
  for (let minute = 0; minute < 5; minute++) {
    await file();
    // Each node's timer fires once a minute, B's 20 s after A's.
    for (const [name, node, offset] of [['a', a, 0], ['b', b, 20_000]] as const) {
      clock = Date.now() + minute * 60_000 + offset;
      await file();
      const outcome = await node.sealer.seal({ periodic: true });
      if (outcome.written) written.push(`${minute}:${name}`);
    }
  }
  t.same(written, ['0:a', '1:a', '2:a', '3:a', '4:a'], 'one seal a minute, whichever node comes first');
  const seals = await a.store.readStream('audit');
  t.equal(seals.length, 5);
});

t.test('an export after a position verifies as a part, not as a log with its start deleted; an edit inside it is still named (found by a newcomer)', async (t) => {
  const w = await world(t);
  const whole = (await cli(w.env, 'export')).stdout.trim().split('\n').map((l) => JSON.parse(l) as RecordedEvent);
  // Part-way through a stream's life, and past the first seal: what a weekly export looks like.
  const from = whole[Math.floor(whole.length / 2)]!.position;
  const part = (await cli(w.env, 'export', '--after', from)).stdout;
  const dir = testDir(t, {});
  writeFileSync(join(dir, 'part.ndjson'), part);
  const checked = await cli({}, 'verify', '--file', join(dir, 'part.ndjson'));
  t.equal(checked.status, 0, `${checked.stdout.slice(0, 400)} ${checked.stderr}`);
  t.match(JSON.parse(checked.stdout), { ok: true, partial: { after: from }, problems: [] }, 'ok, and says it was a part');
  t.match(checked.stderr, /只核验了位置 \d+ 之后的部分/, 'and says so in words');
  t.ok(part.split('\n').slice(1).some((l) => l.includes('"revision":') && !l.includes('"revision":0,')), 'the part holds streams met mid-chain');

  const lines = part.trim().split('\n');
  const target = lines.findIndex((l, i) => i > 0 && l.includes('"cashFen":'));
  t.ok(target > 0, 'an event with money in the part');
  const edited = lines.map((l, i) => (i === target ? l.replace(/"cashFen":(\d+)/, (_m, n) => `"cashFen":${Number(n) + 1}`) : l));
  writeFileSync(join(dir, 'edited.ndjson'), edited.join('\n') + '\n');
  const bad = await cli({}, 'verify', '--file', join(dir, 'edited.ndjson'));
  t.equal(bad.status, 1, 'an edit inside the part');
  const editedAt = (JSON.parse(lines[target]!) as RecordedEvent).position;
  t.ok((JSON.parse(bad.stdout).problems as Array<{ kind: string; position: string }>).some((p) => p.kind === 'edited' && p.position === editedAt), 'named: edited, at its position');
  const dropped = lines.filter((_l, i) => i !== 1);
  writeFileSync(join(dir, 'dropped.ndjson'), dropped.join('\n') + '\n');
  t.match(JSON.parse((await cli({}, 'verify', '--file', join(dir, 'dropped.ndjson'))).stdout).firstProblem, { kind: 'position_gap' }, 'its first event deleted: a gap right after the position it names');
});

t.test('cli: export --after garbage is a one-line error; --help exits 0; seal and audit-key', async (t) => {
  const base = testDir(t, { keys: {} });
  const dataDir = join(base, 'data');
  const env = { DATA_DIR: dataDir, EVENTSTORE_URL: '', AUTH_SECRET: '' };
  // A mistyped or unmounted DATA_DIR: the commands that read a log refuse it, and create nothing there.
  for (const args of [['verify'], ['seal'], ['export'], ['backup', join(base, 'backup')], ['replay'], ['epoch']]) {
    const none = await cli(env, ...args);
    t.equal(none.status, 2, `${args[0]} with no store in DATA_DIR: refused`);
    t.match(none.stderr, /DATA_DIR 里没有事件库.*no event store in DATA_DIR/, `${args[0]}: says so, in one line`);
  }
  t.notOk(existsSync(dataDir), 'and nothing was created there (no empty store, no new token secret)');
  writeFileSync(join(base, 'none.json'), '[]');
  t.equal((await cli(env, 'units', 'import', join(base, 'none.json'))).status, 0, 'units import starts a store');
  const garbage = await cli(env, 'export', '--after', 'garbage');
  t.equal(garbage.status, 2);
  t.equal(garbage.stderr.trim().split('\n').length, 1, 'one line');
  t.match(garbage.stderr, /--after "garbage"/);
  t.equal((await cli(env, '--help')).status, 0);
  const typo = await cli(env, 'verify', '--pubkey', 'x');
  t.equal(typo.status, 2, 'a mistyped option');
  t.equal(typo.stderr.trim().split('\n').length, 1, 'is one line, not a stack trace');
  t.match(typo.stderr, /--pubkey/);
  writeFileSync(join(base, 'empty.ndjson'), '');
  const empty0 = await cli({}, 'verify', '--file', join(base, 'empty.ndjson'));
  t.equal(empty0.status, 1, 'an empty export verifies nothing: not ok');
  t.match(empty0.stderr, /no events/);
  writeFileSync(join(base, 'broken.ndjson'), '{"id":"x","stream":"s"\n');
  const broken = await cli({}, 'verify', '--file', join(base, 'broken.ndjson'));
  t.equal(broken.status, 1);
  t.match(broken.stderr, /line 1 is not JSON/, 'the line named');
  const insideKey = await cli(env, 'audit-key', '--out', join(dataDir, 'seal.key'));
  t.equal(insideKey.status, 2, 'audit-key refuses to write a key into DATA_DIR');
  t.match(insideKey.stderr, /inside DATA_DIR/);
  const keyFile = join(base, 'keys', 'seal.key');
  const made = await cli({}, 'audit-key', '--out', keyFile);
  t.equal(made.status, 0, made.stderr);
  t.match(made.stdout, /BEGIN PUBLIC KEY/);
  t.equal((await cli({}, 'audit-key', '--out', keyFile)).status, 1, 'an existing key is not overwritten');
  const inside = await cli({ ...env, AUDIT_SIGNING_KEY_FILE: join(dataDir, 'seal.key') }, 'seal');
  t.not(inside.status, 0, 'a key inside DATA_DIR is refused');
  t.match(inside.stderr, /outside DATA_DIR/);
  const empty = await cli({ ...env, AUDIT_SIGNING_KEY_FILE: keyFile }, 'seal');
  t.match(JSON.parse(empty.stdout), { written: false, reason: 'empty_log' });
});

t.test('a county auditor\u2019s scoped export verifies against the global seal by its inclusion proofs, with no other county\u2019s events', async (t) => {
  const w = await world(t);
  const res = await w.app.call('GET', '/audit/events', { token: w.app.token('auditor', KANG), headers: { accept: 'application/x-ndjson' } });
  t.equal(res.statusCode, 200);
  const lines = res.body.trim().split('\n');
  const trailer = JSON.parse(lines.at(-1)!) as { sealProofs: { proofs: Array<{ stream: string }>; size: number } };
  t.ok(trailer.sealProofs.proofs.some((p) => p.stream === `report-${w.reportId}`), 'the county\u2019s streams are proven');
  t.ok(trailer.sealProofs.size > trailer.sealProofs.proofs.length - 1, 'against the whole tree');
  const dir = join(w.env.DATA_DIR!, '..'); // beside the world's key: a second testdir would wipe it
  writeFileSync(join(dir, 'county.ndjson'), res.body);
  const good = await cli({}, 'verify', '--file', join(dir, 'county.ndjson'), '--public-key', w.publicKey);
  t.equal(good.status, 0, good.stdout + good.stderr);
  t.match(JSON.parse(good.stdout), { ok: true, seals: { signatures: 'checked', latest: { root: /^[0-9a-f]{64}$/ } } }, 'and names the seal it was proven against (it said latest: null)');
  // An anchor kept from that seal is checked by the proofs; one from an earlier seal cannot be
  // checked with one county's streams, and is said so — not "history was rewritten" (found by a newcomer).
  const sealed = (trailer as unknown as { sealProofs: { seal: { data: { root: string; upTo: string } } } }).sealProofs.seal.data;
  const atLatest = await cli({}, 'verify', '--file', join(dir, 'county.ndjson'), '--public-key', w.publicKey, '--anchor', `${sealed.root}@${Number(sealed.upTo)}`);
  t.equal(atLatest.status, 0, atLatest.stdout);
  t.match(JSON.parse(atLatest.stdout), { ok: true, anchor: { matches: true } });
  const earlier = await cli({}, 'verify', '--file', join(dir, 'county.ndjson'), '--public-key', w.publicKey, '--anchor', `${'a'.repeat(64)}@1`);
  t.equal(earlier.status, 1, 'the check asked for was not done');
  const earlierProblems = JSON.parse(earlier.stdout).problems as Array<{ kind: string; message: string }>;
  t.match(earlierProblems, [{ kind: 'anchor_unverifiable', message: /这是一个辖区的导出文件.*这不说明历史被改写：请用完整导出（zhitong export）核验这个锚点/ }]);
  t.notOk(earlierProblems.some((p) => p.kind === 'anchor_mismatch' || /改写过/.test(p.message)), 'nothing says history was rewritten');
  // The county's copy with its delivery removed: the proof of that stream's head says so.
  const withoutDelivery = lines.filter((l) => !l.includes('"GoodsDelivered"'));
  writeFileSync(join(dir, 'cut.ndjson'), withoutDelivery.join('\n') + '\n');
  const cut = await cli({}, 'verify', '--file', join(dir, 'cut.ndjson'), '--public-key', w.publicKey);
  t.equal(cut.status, 1);
  t.match(JSON.parse(cut.stdout).problems, [{ kind: 'tail_removed', stream: `allocation-${w.allocationId}` }]);
  // A proof altered: it no longer leads to the signed root.
  const forgedTrailer = lines.at(-1)!.replace(/"path":\["([0-9a-f])/, (_m, c: string) => `"path":["${c === '0' ? '1' : '0'}`);
  writeFileSync(join(dir, 'forged.ndjson'), [...lines.slice(0, -1), forgedTrailer].join('\n') + '\n');
  const forged = await cli({}, 'verify', '--file', join(dir, 'forged.ndjson'), '--public-key', w.publicKey);
  t.equal(forged.status, 1);
  t.match(JSON.parse(forged.stdout).problems, [{ kind: 'seal_edited' }]);

  // Cut short on its way, at any line: it says what it is in its first line, so it is read as the
  // county's — never as a whole log whose skipped positions and other counties' units are "deleted".
  t.same(JSON.parse(lines[0]!), { export: { scope: KANG.slice(0, 6), after: null } }, 'the first line names the scope');
  const cuts = [...new Set([2, Math.floor(lines.length / 4), Math.floor(lines.length / 2), Math.floor((3 * lines.length) / 4), lines.length - 1])];
  for (const keep of cuts) {
    writeFileSync(join(dir, `short-${keep}.ndjson`), lines.slice(0, keep).join('\n') + '\n');
    const short = await cli({}, 'verify', '--file', join(dir, `short-${keep}.ndjson`), '--public-key', w.publicKey);
    t.equal(short.status, 1, `cut after line ${keep} of ${lines.length}: not verified whole`);
    const report = JSON.parse(short.stdout) as VerifyReport;
    t.same(
      report.problems.map((p) => p.kind),
      ['cut_short'],
      `cut after line ${keep} of ${lines.length}: said to be cut short, and nothing else (${report.problems.map((p) => p.messageEn).join(' | ')})`,
    );
    t.match(short.stderr, /文件不完整：这是辖区 \d+ 的导出，却缺少/, 'in Chinese first');
    t.match(short.stderr, /封存证明在缺失的最后一行里，封存无法核验（不是没有封存）/, 'the summary does not say nothing was sealed');
    t.notMatch(short.stderr, /还没有封存|nothing sealed yet/);
  }
  // Broken off in the middle of a line: the last line half written is a cut, said as such; a line
  // in the middle that is not JSON is damage.
  for (const keep of [Math.floor(lines.length / 2), lines.length - 1]) {
    const half = [...lines.slice(0, keep), lines[keep]!.slice(0, Math.floor(lines[keep]!.length / 2))].join('\n');
    writeFileSync(join(dir, `half-${keep}.ndjson`), half);
    const broken = await cli({}, 'verify', '--file', join(dir, `half-${keep}.ndjson`));
    t.equal(broken.status, 1);
    t.match(broken.stderr, new RegExp(`最后一行（第 ${keep + 1} 行）只写了一半：文件在传输中被截断了，请重新导出`), `cut inside line ${keep + 1}, the last: said to be cut short (${broken.stderr.trim()})`);
  }
  writeFileSync(join(dir, 'damaged.ndjson'), [...lines.slice(0, 3), '{"id":', ...lines.slice(4)].join('\n') + '\n');
  t.match((await cli({}, 'verify', '--file', join(dir, 'damaged.ndjson'))).stderr, /第 4 行不是 JSON：文件已损坏/, 'a line in the middle that is not JSON: damage');
});

t.test('figures sent upward carry the latest seal; a client cannot supply one', async (t) => {
  const w = await world(t);
  const head = w.app.token('head', KANG);
  const opened = await w.app.call('POST', '/incidents', { token: head, body: { county: KANG, hazard: 'landslide', startedAt: '2026-01-01T00:00:00Z', title: '山体滑坡' } });
  const incidentId = opened.json().incidentId as string;
  const forged = await w.app.call('POST', `/incidents/${incidentId}/submissions`, { token: head, body: { stage: 'initial', figures: { affectedPeople: 3 }, asOf: '2026-01-01T01:00:00Z', sealAnchor: `${'0'.repeat(64)}@1` } });
  t.equal(forged.statusCode, 400, 'sealAnchor is not the client\u2019s');
  await w.app.runner.caughtUp();
  const sent = await w.app.call('POST', `/incidents/${incidentId}/submissions`, { token: head, body: { stage: 'initial', figures: { affectedPeople: 3 }, asOf: '2026-01-01T01:00:00Z' } });
  t.equal(sent.statusCode, 200, sent.body);
  await w.app.runner.caughtUp();
  const latest = ((await w.app.call('GET', '/audit/seals/latest', { token: head })).json() as { seal: { anchor: string } }).seal.anchor;
  const events = await w.app.store.readStream(`incident-${incidentId}`);
  t.match(events.find((e) => e.type === 'FiguresSubmitted')?.data, { sealAnchor: latest }, 'the anchor an auditor checks against');
});

t.test('seals written in turn by two nodes and again by one: each root is the root of every stream head up to its upTo', async (t) => {
  // A node keeps its heads between seals and merges in what changed (SealTree); when the other
  // node sealed in between, it must start again from the seals as read, never from its own tree.
  const dataDir = testDir(t);
  const a = await startTestApp(t, { dataDir });
  const b = await startTestApp(t, { dataDir });
  const file = () => a.call('POST', '/reports', { token: a.token('contact', LIJIA), body: reportBody() });
  for (const node of [a, a, b, a, a, b, b]) {
    await file();
    await file();
    t.equal((await node.sealer.seal()).written, true);
  }
  const log = await a.store.readAll();
  const heads = new Map<string, { stream: string; revision: number; hash: string }>();
  let checked = 0;
  for (const event of log) {
    if (event.type === 'AuditSealed') {
      const data = event.data as { upTo: string; root: string; streams: number };
      t.equal(data.root, merkleRoot(heads.values()), `the seal at ${event.position}: its root is the root of the ${heads.size} heads up to ${data.upTo}`);
      t.equal(data.streams, heads.size);
      checked += 1;
    }
    if (event.stream !== 'audit') heads.set(event.stream, { stream: event.stream, revision: event.revision, hash: event.metadata.hash });
  }
  t.equal(checked, 7, 'every seal checked');
  const report = (await a.call('GET', '/audit/verify', { token: a.token('auditor', '620000000000') })).json() as VerifyReport;
  t.match(report, { ok: true, seals: { count: 7 } });
});

t.test('every problem found is named on stderr, not only the first; seal says what it wrote', async (t) => {
  const w = await world(t);
  const lines = (await cli(w.env, 'export')).stdout.trim().split('\n');
  const dir = testDir(t, {});
  // Two events edited: both named, each in Chinese and English.
  const edited = lines.map((l) => (l.includes('"GoodsDelivered"') ? l.replace('"cashFen":30000', '"cashFen":30001') : l.includes('"ReportFiled"') ? l.replace('"affectedPeople":', '"affectedPeople":1') : l));
  writeFileSync(join(dir, 'two.ndjson'), edited.join('\n') + '\n');
  const two = await cli({}, 'verify', '--file', join(dir, 'two.ndjson'));
  t.equal(two.status, 1);
  const report = JSON.parse(two.stdout) as VerifyReport;
  t.ok(report.problems.length >= 2, `${report.problems.length} problems`);
  for (const problem of report.problems) t.ok(two.stderr.includes(problem.message) && two.stderr.includes(problem.messageEn), `named: ${problem.messageEn}`);
  const again = await cli(w.env, 'seal');
  t.equal(again.status, 0, again.stderr);
  t.match(again.stderr, /^上次封存之后日志没有变：这次没有写 \/ nothing changed since the last seal/, 'nothing to seal, said');
  t.equal((await w.app.call('POST', '/reports', { token: w.app.token('contact', LIJIA), body: reportBody() })).statusCode, 201);
  const sealed = await cli(w.env, 'seal');
  t.equal(sealed.status, 0, sealed.stderr);
  t.equal(JSON.parse(sealed.stdout).written, true);
  t.match(sealed.stderr, /^已封存：日志到位置 \d+ 为止，[\d,]+ 个流，已签名 \/ sealed: the log up to position \d+, [\d,]+ streams, signed/, 'what seal did, in words');
});

t.test('a village notice carries a seal that covers every row it lists: the node seals first when it must (found by a newcomer: none before the first hourly seal, then one older than the rows)', async (t) => {
  const app = await startTestApp(t);
  const { allocationId } = await seedObjects(app);
  const head = app.token('head', WANGBA, 'head-wangba');
  t.equal((await app.call('POST', `/allocations/${allocationId}/approval`, { token: head })).statusCode, 200);
  await app.runner.caughtUp();
  const ledgerPosition = () => app.runner.state('ledger').rows.get(allocationId)!.position;
  const notice = async () => {
    const res = await app.call('GET', `/notices/${LIJIA}`, { token: app.token('contact', LIJIA) });
    t.equal(res.statusCode, 200, res.body);
    return res.json() as { sealAnchor: string | null; sealCoversAll: boolean; items: unknown[] };
  };
  const first = await notice();
  t.equal(first.items.length, 1);
  t.ok(first.sealAnchor, 'a seal, though none had been written before');
  t.equal(first.sealCoversAll, true);
  t.ok(Number(first.sealAnchor!.split('@')[1]) >= Number(ledgerPosition()), `its upTo (${first.sealAnchor}) reaches the row (${ledgerPosition()})`);

  // A delivery later: the next notice seals again, and nothing is sealed while nothing on it moved.
  const delivered = await app.call('POST', `/allocations/${allocationId}/deliveries`, {
    token: app.token('officer', WANGBA, 'officer-wangba-1'),
    body: { deliveryId: randomUUID(), cashFen: 1000, goods: [], confirmation: { method: 'signature', reference: 'P-1' } },
  });
  t.equal(delivered.statusCode, 200, delivered.body);
  await app.runner.caughtUp();
  const second = await notice();
  t.not(second.sealAnchor, first.sealAnchor, 'a new seal');
  t.ok(Number(second.sealAnchor!.split('@')[1]) >= Number(ledgerPosition()), 'covering the delivery');
  const seals = async () => (await app.store.readStream('audit')).filter((e) => e.type === 'AuditSealed').length;
  const before = await seals();
  t.equal((await notice()).sealAnchor, second.sealAnchor, 'printed again: the same seal');
  t.equal(await seals(), before, 'and no new one');
  const html = await app.call('GET', `/notices/${LIJIA}`, { token: app.token('contact', LIJIA), headers: { accept: 'text/html' } });
  t.match(html.body, new RegExp(`审计封存根（可用于核验）：${second.sealAnchor}`));
  t.notMatch(html.body, /晚于这次封存/);

  // Two printed at the same moment after another delivery share one seal, and both are covered.
  await app.call('POST', `/allocations/${allocationId}/deliveries`, {
    token: app.token('officer', WANGBA, 'officer-wangba-1'),
    body: { deliveryId: randomUUID(), cashFen: 1000, goods: [], confirmation: { method: 'signature', reference: 'P-2' } },
  });
  await app.runner.caughtUp();
  const sealsBefore = await seals();
  const both = await Promise.all([notice(), notice()]);
  t.same(both.map((n) => n.sealCoversAll), [true, true]);
  t.equal(both[0]!.sealAnchor, both[1]!.sealAnchor, 'the same seal');
  t.equal(await seals(), sealsBefore + 1, 'one seal for both');
});

t.test('a row taken off the notice since the seal is sealed too: a cancellation changes the board (found by a newcomer: the old root printed over a smaller total)', async (t) => {
  const app = await startTestApp(t);
  const { allocationId } = await seedObjects(app);
  const head = app.token('head', WANGBA, 'head-wangba');
  t.equal((await app.call('POST', `/allocations/${allocationId}/approval`, { token: head })).statusCode, 200);
  await app.runner.caughtUp();
  const notice = async () => (await app.call('GET', `/notices/${LIJIA}`, { token: app.token('contact', LIJIA) })).json() as { sealAnchor: string | null; sealCoversAll: boolean; items: unknown[] };
  const before = await notice();
  t.equal(before.items.length, 1);
  t.equal((await app.call('POST', `/allocations/${allocationId}/cancellation`, { token: head, body: { reason: '录错金额' } })).statusCode, 200);
  await app.runner.caughtUp();
  const cancelled = app.runner.state('ledger').rows.get(allocationId)!.position;
  const after = await notice();
  t.same(after.items, [], 'the row is off the board');
  t.not(after.sealAnchor, before.sealAnchor, 'under a new seal');
  t.ok(Number(after.sealAnchor!.split('@')[1]) >= Number(cancelled), `that reaches the cancellation (${after.sealAnchor}, ${cancelled})`);
  t.equal(after.sealCoversAll, true);
});
