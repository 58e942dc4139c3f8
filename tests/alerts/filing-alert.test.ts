import t from 'tap';
import { LIJIA, WANGBA, recordGrant, reportBody, startTestApp } from '../support/app.js';

/**
 * Issue 18: a report's first alert is decided with the filing and written in the same append, so
 * it is as durable as the report the moment the phone hears 201, and no second write (nor a
 * scheduler, nor Redis) stands between the filing and the officers' phones.
 */
t.test('the filing and its step-0 alert are one append, with no alert job run at all', async (t) => {
  const jobs: unknown[] = [];
  // A scheduler that records jobs and never runs them: whatever is alerted here, the filing did.
  const app = await startTestApp(t, { scheduler: () => ({ kind: 'in-process' as const, schedule: async (job: unknown) => void jobs.push(job), close: async () => undefined }) });
  const contact = app.token('contact', LIJIA);
  await recordGrant(app, { sub: 'officer-wangba-1', role: 'officer', scope: WANGBA });
  const body = reportBody();
  const filed = await app.call('POST', '/reports', { token: contact, body });
  t.equal(filed.statusCode, 201);
  const { reportId, position, revision } = filed.json();
  const events = await app.store.readStream(`report-${reportId}`);
  t.same(events.map((e) => e.type), ['ReportFiled', 'AlertRaised'], 'filed and alerted');
  t.equal(events[1]!.metadata.correlationId, events[0]!.metadata.correlationId, 'by the same request');
  t.equal(revision, 1);
  t.equal(position, events[1]!.position, 'the answer names the append\u2019s last position: reading from it sees both');
  t.match(events[1]!.data, { step: 0, reason: 'filed' });
  t.same((events[1]!.data as { recipients: string[] }).recipients, ['officer-wangba-1'], 'to the township\u2019s primary officer on call, and nobody else');
  const officer = app.token('officer', WANGBA, 'officer-wangba-1');
  const board = (await app.call('GET', `/alerts/open?position=${encodeURIComponent(position)}`, { token: officer })).json();
  t.ok(board.items.some((i: { reportId: string; step: number }) => i.reportId === reportId && i.step === 0), 'on the open-alert board at once');
  t.ok(jobs.every((j) => (j as { step?: number }).step !== 0), 'no job for step 0: the next job is step 1');

  const again = await app.call('POST', '/reports', { token: contact, body: { ...body, reportId } });
  t.equal(again.statusCode, 200, 'a retry files nothing');
  t.equal((await app.store.readStream(`report-${reportId}`)).length, 2, 'and alerts nobody twice');
});

t.test('a related report filed after the first was acknowledged goes to its acknowledger, in the filing\u2019s append', async (t) => {
  const app = await startTestApp(t, { scheduler: () => ({ kind: 'in-process' as const, schedule: async () => undefined, close: async () => undefined }) });
  const contact = app.token('contact', LIJIA);
  const officer = app.token('officer', WANGBA, 'officer-wangba-1');
  const first = (await app.call('POST', '/reports', { token: contact, body: reportBody() })).json();
  const ack = await app.call('POST', `/reports/${first.reportId}/acknowledgements`, { token: officer, body: {} });
  t.ok(ack.statusCode < 300, ack.body);
  const secondBody = reportBody({ estimate: { affectedPeople: 3 } });
  const second = (await app.call('POST', '/reports', { token: contact, body: secondBody })).json();
  const events = await app.store.readStream(`report-${second.reportId}`);
  t.same(events.map((e) => e.type), ['ReportFiled', 'AlertRaised', 'AlertAcknowledged']);
  t.match(events[1]!.data, { recipients: ['officer-wangba-1'], related: [first.reportId] });
  t.match(events[2]!.data, { by: 'officer-wangba-1', via: first.reportId });
  // An auditor reads who did what (found by a newcomer: the contact was named as acknowledging).
  t.same(
    events.map((e) => `${e.metadata.actor.id}/${e.metadata.actor.role}`),
    [`contact-${LIJIA}/contact`, 'zhitong-alerting/system', 'zhitong-alerting/system'],
    'the filing is the contact\'s; the alert and the acknowledgement via the related report are the policy\'s',
  );
  const again = await app.call('POST', '/reports', { token: contact, body: { ...secondBody, reportId: second.reportId } });
  t.match([again.statusCode, again.json()], [200, { reportId: second.reportId, position: second.position, revision: second.revision }], 'a resend is answered as the first time: the append\'s last event, all three');
  t.equal(second.revision, 2);
});

t.test('a primary on call who cannot be reached: step 0 goes to the township heads as well, not to nobody for ten minutes', async (t) => {
  const app = await startTestApp(t, { scheduler: () => ({ kind: 'in-process' as const, schedule: async () => undefined, close: async () => undefined }) });
  const contact = app.token('contact', LIJIA);
  const step0 = async () => {
    const { reportId } = (await app.call('POST', '/reports', { token: contact, body: reportBody() })).json();
    const events = await app.store.readStream(`report-${reportId}`);
    return (events.find((e) => e.type === 'AlertRaised')!.data as { recipients: string[] }).recipients;
  };
  // The demo roster's primary was never issued a token (a typo in the roster, or a token still to issue).
  t.same(await step0(), ['officer-wangba-1', 'head@621299103'], 'no token ever issued: the heads too');
  // The township's head holds access (where nobody does, the county's heads are alerted too: gateway.test.ts).
  await recordGrant(app, { sub: 'head-wangba', role: 'head', scope: WANGBA });
  // Staff of another township only, or of one village of this one: still not reached (domain/roster.ts rosterWarnings).
  await recordGrant(app, { sub: 'officer-wangba-1', role: 'officer', scope: LIJIA });
  t.same(await step0(), ['officer-wangba-1', 'head@621299103'], 'a token for one village of the township: the heads too');
  await recordGrant(app, { sub: 'officer-wangba-1', role: 'officer', scope: WANGBA });
  t.same(await step0(), ['officer-wangba-1'], 'once they hold the township\u2019s token, the primary alone');
  const revoked = await app.call('POST', '/tokens/revocations', { token: app.token('head', WANGBA, 'head-wangba'), body: { sub: 'officer-wangba-1', reason: '手机丢失' } });
  t.ok(revoked.statusCode < 300, revoked.body);
  await app.runner.caughtUp();
  t.same(await step0(), ['officer-wangba-1', 'head@621299103'], 'revoked: the heads again');
});
