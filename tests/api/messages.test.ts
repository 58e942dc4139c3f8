import t from 'tap';
import { DOMAIN_ERROR_CODES } from '../../domain/errors.js';
import { ERROR_CODES, MESSAGES, languageOf, message } from '../../services/http/messages.js';
import { LIJIA, WANGBA, reportBody, startTestApp } from '../support/app.js';

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
