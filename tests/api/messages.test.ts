import { randomUUID } from 'node:crypto';
import t from 'tap';
import { DOMAIN_ERROR_CODES } from '../../domain/errors.js';
import { ERROR_CODES, MESSAGES, languageOf, message } from '../../services/http/messages.js';
import { KANG, LIJIA, WANGBA, allocationBody, reportBody, startTestApp, verifiedReport } from '../support/app.js';

/** Issue 12: every error code has a message in both languages; Chinese by default, codes unchanged. */

const HAN = /[\u4e00-\u9fa5]/;

t.test('every error code, the domain\u2019s and the transport\u2019s, has a Chinese and an English message', async (t) => {
  t.ok(DOMAIN_ERROR_CODES.every((c) => ERROR_CODES.includes(c)), 'the list covers every domain code');
  const details = { code: '621299103000', level: 'township', name: '王坝镇', householdId: 'hh-1', verifiedName: '张三明', allocationId: 'a-1', rule: 'window', windowDays: 30, status: 'approved', incidentId: 'i-1', parent: '621299000000', currentRevision: 3, indicators: ['dead'] };
  for (const code of ERROR_CODES) {
    t.ok(MESSAGES[code], `${code}: in the catalog`);
    const zh = message(code, 'zh', details);
    const en = message(code, 'en', details);
    t.match(zh, HAN, `${code}: Chinese`);
    // English may name a Chinese place or term (王坝镇, 初报); it is written in English all the same.
    t.match(en, /\b[A-Za-z]{2,}\b.*\b[A-Za-z]{3,}\b/, `${code}: English`);
    t.not(zh, en);
  }
});

t.test('the language: Chinese unless the client asks for English first', async (t) => {
  t.equal(languageOf(undefined), 'zh');
  t.equal(languageOf('zh-CN,zh;q=0.9,en;q=0.8'), 'zh');
  t.equal(languageOf('en-US,en;q=0.9'), 'en');
  t.equal(languageOf('EN'), 'en');
});

t.test('answers: Chinese by default, English on request, the same code either way', async (t) => {
  const app = await startTestApp(t);
  const officer = app.token('officer', WANGBA);
  const call = (headers: Record<string, string>) => [
    () => app.call('POST', '/reports', { token: officer, body: reportBody({ village: WANGBA }), headers }),
    () => app.call('POST', '/reports', { token: officer, body: reportBody({ village: 'x' }), headers }),
    () => app.call('GET', '/reports/00000000-0000-4000-8000-000000000000', { token: officer, headers }),
    () => app.call('POST', '/reports', { body: reportBody(), headers }),
    () => app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody({ village: '621299103202' }), headers }),
  ];
  const zh = await Promise.all(call({}).map((f) => f()));
  const en = await Promise.all(call({ 'accept-language': 'en' }).map((f) => f()));
  t.same(zh.map((r) => r.json().error), ['not_a_village', 'validation', 'not_found', 'unauthorized', 'forbidden']);
  t.same(en.map((r) => r.json().error), zh.map((r) => r.json().error), 'codes do not change with the language');
  for (const r of zh) t.match(r.json().message, HAN, `${r.json().error}: Chinese by default`);
  for (const r of en) t.match(r.json().message, /^[\x20-\x7e（）\u4e00-\u9fa5]+$/, `${r.json().error}: English with Accept-Language: en`);
  t.notMatch(en[3]!.json().message, HAN);
  t.match(zh[0]!.json().message, /是乡镇（王坝镇（示例））/);
  t.match(zh[1]!.json(), { details: [{ path: 'body.village', message: /区划代码/ }] }, 'a field\u2019s problem in Chinese too');
});

t.test('field problems in Chinese: a choice, a wrong type, a missing field, a pattern with its own message', async (t) => {
  const app = await startTestApp(t);
  const contact = app.token('contact', LIJIA);
  const file = async (body: unknown) => (await app.call('POST', '/reports', { token: contact, body })).json() as { details: Array<{ path: string; message: string }> };
  const field = (answer: { details: Array<{ path: string; message: string }> }, path: string) => answer.details.find((d) => d.path === path)?.message ?? '';
  const hazard = field(await file(reportBody({ hazard: 'flood' })), 'body.hazard');
  t.match(hazard, /^须为以下之一：/, 'a hazard outside the list');
  t.notMatch(hazard, /must be/);
  t.match(field(await file(reportBody({ reporter: { name: '王建国', phone: 13800000000 } })), 'body.reporter.phone'), /类型不对/, 'a phone sent as a number is the wrong type, not missing');
  const { village: _v, ...withoutVillage } = reportBody();
  t.equal(field(await file(withoutVillage), 'body.village'), '必须填写', 'a missing field');
  const admin = app.token('admin', '620000000000', 'admin');
  const grant = (await app.call('POST', '/tokens', { token: admin, body: { tokens: [{ sub: 'p', role: 'officer', scope: WANGBA, phone: '12345' }] } })).json() as { details: Array<{ path: string; message: string }> };
  t.match(field(grant, 'body.tokens.0.phone'), /手机号/, 'a pattern\u2019s own message, in Chinese');
});

/**
 * Every refusal the source can throw, read as a person reads it: its code is in the catalog, and
 * its Chinese message, filled from the details that very call supplies, has no hole in it (found by
 * a newcomer: "户  不在该报告的核查名单中", the household's id never passed), and every English
 * field message a schema or a route can give has its Chinese (a goods unit's was English inside a
 * Chinese answer). Read from the source with the TypeScript parser, so a new refusal is swept too.
 */
t.test('sweep: every refusal in the source reads whole in Chinese', async (t) => {
  const ts = (await import('typescript')).default;
  const { readdirSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { issueZh } = await import('../../services/http/messages.js');
  const root = join(import.meta.dirname, '../..');
  const files = (dir: string): string[] => readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
  // Sample values as the throwers give them: amounts and counts as numbers, the rest as text.
  const NUMERIC = /Fen$|^(allocated|delivered|given|implied|bytes|limit|windowDays|currentRevision|minimum|maximum|from|to)$/;
  const sample = (key: string) => (NUMERIC.test(key) ? 1234 : key === 'status' ? 'approved' : key === 'level' ? 'township' : key.endsWith('At') || key === 'previousAsOf' ? '2026-07-01T02:00:00.000Z' : `X${key}`);
  const HOLE = /\s{2,}|“”|（）|\(\)|undefined|null|NaN|[：:]$|、、/;
  const sites: Array<{ where: string; code: string; details: Record<string, unknown> | undefined; english?: string | undefined; chinese?: string }> = [];
  const fieldMessages: Array<{ where: string; text: string }> = [];
  for (const file of [...files('domain'), ...files('services')]) {
    const source = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.Latest, true);
    const where = (node: import('typescript').Node) => `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
    const literal = (node: import('typescript').Node | undefined) => (node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined);
    const detailsOf = (node: import('typescript').Node | undefined): Record<string, unknown> | undefined => {
      if (!node || !ts.isObjectLiteralExpression(node)) return undefined;
      const out: Record<string, unknown> = {};
      // A literal value is what the message will see (field: 'township'); anything else a sample.
      for (const p of node.properties) if ((ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) out[p.name.text] = (ts.isPropertyAssignment(p) ? literal(p.initializer) : undefined) ?? sample(p.name.text);
      return out;
    };
    const visit = (node: import('typescript').Node): void => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'refuse') {
        const code = literal(node.arguments[0]);
        // The reason: English text, or { en, zh } (domain/errors.ts Reason).
        const reason = node.arguments[1];
        const part = (name: string) => (reason && ts.isObjectLiteralExpression(reason) ? reason.properties.find((p): p is import('typescript').PropertyAssignment => ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === name)?.initializer : undefined);
        const chinese = part('zh');
        if (code && /^[a-z_]+$/.test(code))
          sites.push({ where: where(node), code, details: detailsOf(node.arguments[2]), english: (part('en') ?? reason)?.getText(source), ...(chinese ? { chinese: literal(chinese) ?? chinese.getText(source) } : {}) });
      }
      if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'HttpError') {
        const code = literal(node.arguments?.[1]);
        if (code) sites.push({ where: where(node), code, details: detailsOf(node.arguments?.[3]) });
        const list = node.arguments?.[3];
        if (list && ts.isArrayLiteralExpression(list)) {
          for (const item of list.elements) {
            if (!ts.isObjectLiteralExpression(item)) continue;
            for (const p of item.properties) if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === 'message' && literal(p.initializer) !== undefined) fieldMessages.push({ where: where(p), text: literal(p.initializer)! });
          }
        }
      }
      // A schema's own message: .regex(re, '…'), .refine(f, '…' | { message: '…' }), addIssue({ message: '…' }).
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ['regex', 'refine', 'addIssue'].includes(node.expression.name.text)) {
        for (const arg of node.arguments) {
          const text = literal(arg);
          if (text !== undefined && node.expression.name.text !== 'addIssue') fieldMessages.push({ where: where(arg), text });
          if (ts.isObjectLiteralExpression(arg)) {
            for (const p of arg.properties) if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === 'message' && literal(p.initializer) !== undefined) fieldMessages.push({ where: where(p), text: literal(p.initializer)! });
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  t.ok(sites.length > 80, `${sites.length} refusals found in the source`);
  t.same(sites.filter((x) => !ERROR_CODES.includes(x.code as never)).map((x) => `${x.where} ${x.code}`), [], 'every code thrown is in the catalog');
  const holes = sites
    .filter((x) => ERROR_CODES.includes(x.code as never))
    .map((x) => ({ ...x, zh: message(x.code, 'zh', x.details ?? {}, undefined, x.chinese) }))
    .filter((x) => !HAN.test(x.zh) || HOLE.test(x.zh))
    .map((x) => `${x.where} ${x.code}: ${x.zh}`);
  t.same(holes, [], 'every Chinese message, filled from what its call supplies, is whole');
  // One code thrown for different reasons: the Chinese tells them apart as the English does (found
  // by a newcomer: roster set's invalid_unit said only 级别或所属不符合要求, its English "a roster
  // belongs to a township").
  const reasons = new Map<string, Map<string, string[]>>();
  for (const x of sites.filter((x) => x.english !== undefined && ERROR_CODES.includes(x.code as never))) {
    const zh = message(x.code, 'zh', x.details ?? {}, undefined, x.chinese);
    const byZh = reasons.get(x.code) ?? new Map<string, string[]>();
    reasons.set(x.code, byZh.set(zh, [...new Set([...(byZh.get(zh) ?? []), x.english!])]));
  }
  const blurred = [...reasons].flatMap(([code, byZh]) => [...byZh].filter(([, english]) => english.length > 1).map(([zh, english]) => `${code}: ${zh} ← ${english.join(' | ')}`));
  t.same(blurred, [], 'no Chinese message stands for two different English reasons');
  t.ok(fieldMessages.length > 10, `${fieldMessages.length} field messages found`);
  t.same(fieldMessages.filter((m) => !HAN.test(issueZh({ code: 'custom' }, m.text))).map((m) => `${m.where}: ${m.text}`), [], 'every field message has its Chinese');
});

t.test('what the newcomer met on the relief and incident routes, in Chinese (session 33)', async (t) => {
  const app = await startTestApp(t);
  const officer = app.token('officer', WANGBA, 'officer-1');
  const head = app.token('head', WANGBA, 'head-1');
  const reportId = await verifiedReport(app);
  const zh = async (method: 'POST' | 'GET', url: string, token: string, body?: unknown) => (await app.call(method, url, { token, body })).json() as { error: string; message: string };

  const unit = await zh('POST', '/allocations', officer, allocationBody(reportId, { goods: [{ item: '帐篷', quantity: 1, unit: '捆儿' }] }));
  t.match(unit.message, /body\.goods\.0\.unit: 不是救灾物资的计量单位：请用 公斤、袋/, 'a goods unit outside the vocabulary, in Chinese');
  t.notMatch(unit.message, /not a unit/);
  const huge = await zh('POST', '/allocations', officer, allocationBody(reportId, { cashFen: 1e20 }));
  t.equal(huge.message.split('body.cashFen').length - 1, 1, `a field's problem told once: ${huge.message}`);

  const made = await app.call('POST', '/allocations', { token: officer, body: allocationBody(reportId, { cashFen: 10_000, goods: [{ item: '大米', quantity: 10, unit: 'kg' }] }) });
  t.equal(made.statusCode, 201, made.body);
  const { allocationId } = made.json();
  t.equal((await app.call('POST', `/allocations/${allocationId}/approval`, { token: head, body: {} })).statusCode, 200);
  t.match(await zh('POST', `/allocations/${allocationId}/approval`, app.token('head', WANGBA, 'head-2'), {}), { error: 'not_pending', message: '该救助已审批，不在待审批状态' }, 'a status by its Chinese name');
  const delivery = (goods: unknown[], cashFen = 0) => ({ deliveryId: randomUUID(), cashFen, goods, confirmation: { method: 'signature', reference: 'r' } });
  t.match(await zh('POST', `/allocations/${allocationId}/deliveries`, officer, delivery([{ item: '帐篷', quantity: 1, unit: '顶' }])), { error: 'over_delivery', message: '这次发放的帐篷（顶）不在核定的救助物资里，不能发放' }, 'goods never allocated: said so, not "over"');
  t.match(await zh('POST', `/allocations/${allocationId}/deliveries`, officer, delivery([{ item: '大米', quantity: 11, unit: '公斤' }])), { message: '大米发放将超过核定数量：核定 10 公斤，已发 0 公斤，这次要发 11 公斤，最多还能发 10 公斤' });
  t.match(await zh('POST', `/allocations/${allocationId}/deliveries`, officer, delivery([], 10_001)), { message: '现金发放将超过核定数额：核定 100.00 元，已发 0.00 元，这次要发 100.01 元，最多还能发 100.00 元' });

  const countyHead = app.token('head', KANG, 'head-kang');
  const incidentId = (await app.call('POST', '/incidents', { token: countyHead, body: { county: KANG, hazard: 'landslide', startedAt: '2026-07-01T00:00:00Z', title: '滑坡' } })).json().incidentId;
  const now = new Date().toISOString();
  t.equal((await app.call('POST', `/incidents/${incidentId}/submissions`, { token: countyHead, body: { stage: 'initial', figures: { affectedPeople: 100, dead: 2 }, asOf: now } })).statusCode, 200);
  const moved = await zh('POST', `/incidents/${incidentId}/submissions`, countyHead, { stage: 'daily', figures: { affectedPeople: 400 }, asOf: now });
  t.equal(moved.message, '数据较上次报送变化超过 50%，须填写说明（explanation）：受灾人口 100人 → 400人；死亡人口 2人 → 未填（按 0 计）', 'each move with its two values, a figure left out counted as 0 and said so');
  const stale = await zh('POST', `/incidents/${incidentId}/submissions`, countyHead, { stage: 'daily', fromDraft: true, position: '0000000000000001', explanation: '续报' });
  t.match(stale, { error: 'draft_changed', message: /^草稿生成之后数字又有变化/ }, 'a draft that changed since, in Chinese');
});

t.test('what is refused before any route runs answers in the same JSON shape, in Chinese (found by a newcomer)', async (t) => {
  const { connect } = await import('node:net');
  const app = await startTestApp(t);
  const url = new URL(await app.app.listen({ port: 0, host: '127.0.0.1' }));
  const token = app.token('officer', WANGBA);
  /** Bytes as a phone's browser or a script might send them, over a real socket: status and JSON body. */
  const raw = (target: Buffer | string) =>
    new Promise<{ status: number; body: { error: string; message: string; details?: Array<{ path: string }> } }>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname);
      let text = '';
      socket.on('data', (d) => (text += d.toString('utf8')));
      socket.on('error', reject);
      socket.on('close', () => {
        const [head, ...rest] = text.split('\r\n\r\n');
        resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head ?? '')?.[1]), body: JSON.parse(rest.join('\r\n\r\n')) });
      });
      socket.write(Buffer.concat([Buffer.from('GET '), Buffer.from(target), Buffer.from(` HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`)]));
    });
  const long = await raw(`/allocations/${'x'.repeat(700)}`);
  t.match(long, { status: 400, body: { error: 'validation', message: /^请求内容有误：url: 网址太长/, details: [{ path: 'url' }] } }, 'an id 700 characters long, in Chinese');
  t.notMatch(long.body.message, /xxxxxxxxxx/, 'without echoing the address');
  const fullWidth = await raw(Buffer.from('/tallies?unit=\uff16\uff12\uff11\uff12\uff19\uff19', 'utf8'));
  t.match(fullWidth, { status: 400, body: { error: 'bad_request', message: /URL 编码/, details: [{ path: 'url' }] } }, 'full-width digits typed raw into the address');
  const escape = await raw('/units/%E0%A4%A');
  t.match(escape, { status: 400, body: { error: 'validation', details: [{ path: 'url' }] } }, 'a broken %-escape');
  const chinese = await raw(`/households/${LIJIA}/${encodeURIComponent('李家村三组王家老屋东头第二户'.repeat(2))}`);
  t.not(chinese.body.details?.[0]?.path, 'url', 'a household id of 28 Chinese characters reaches its route');
  t.equal(chinese.status, 404, 'and is answered by it: no such household');
});

t.test('a 50 % move names each figure in the form\u2019s unit, direct loss in 万元 exactly (found by a newcomer: yuan labelled 万元, ten thousand times too much)', async (t) => {
  const moves = [{ indicator: 'directLossYuan', from: 470_000, to: 1_310_000 }, { indicator: 'dead', from: 1, to: null }];
  t.equal(message('explanation_required', 'zh', { moves }), '数据较上次报送变化超过 50%，须填写说明（explanation）：直接经济损失 47万元 → 131万元；死亡人口 1人 → 未填（按 0 计）');
  t.equal(message('explanation_required', 'zh', { moves: [{ indicator: 'directLossYuan', from: 12_345, to: 0 }] }), '数据较上次报送变化超过 50%，须填写说明（explanation）：直接经济损失 1.2345万元 → 0万元');
  t.match(message('explanation_required', 'en', { moves }), /^figures moved by more than 50 % .*: directLossYuan 470000 → 1310000; dead 1 → \(left out, counted as 0\)$/, 'the English names them too');
});
