import fc from 'fast-check';
import t, { type Test } from 'tap';
import { reportDecider, reportsWorse } from '../../domain/report.js';
import { nextEscalation } from '../../domain/alerting.js';
import { alertTrackOf } from '../../services/alerts/escalator.js';
import { streams } from '../../domain/events.js';
import { execute } from '../../services/commands/execute.js';
import { SqliteEventStore } from '../../infra/eventstore/sqlite.js';
import { join } from 'node:path';
import { KANG, LIJIA, WANGBA, reportBody, verificationBody, type TestApp } from '../support/app.js';
import { testDir } from '../support/dirs.js';
import { handRig, type HandRig } from '../support/hand-scheduler.js';
import { AlertClient } from '../support/ws-client.js';

/**
 * SPEC §5: a report answered through a related one (`AlertAcknowledged {via}`) has nobody of its
 * own on the way. When that answer no longer stands — the related report was dismissed, or this one
 * now says something graver — the report is alerted again as new, and escalates from there (found:
 * such a report stayed "acknowledged" for good, and nobody was woken for the death its 续报 told of).
 */

const TEN_MINUTES = 10 * 60_000;
const OFFICER_1 = 'officer-wangba-1'; // primary on call
const OFFICER_2 = 'officer-wangba-2'; // backup

async function rigged(t: Test): Promise<HandRig & { url: string; primary: AlertClient }> {
  const rig = await handRig(t, { escalationDelayMs: TEN_MINUTES });
  const url = await rig.app.app.listen({ port: 0, host: '127.0.0.1' });
  const primary = await live(url, rig.app.token('officer', WANGBA, OFFICER_1));
  t.teardown(() => primary.close());
  return { ...rig, url, primary };
}
async function live(url: string, token: string): Promise<AlertClient> {
  const client = await AlertClient.connect(url, token);
  client.send({ type: 'resume', after: (await client.next((f) => f.type === 'hello')).position });
  await client.roundTrip();
  return client;
}
async function file(app: TestApp, over: Record<string, unknown> = {}): Promise<string> {
  const res = await app.call('POST', '/reports', { token: app.token('contact', LIJIA), body: reportBody(over) });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json().reportId as string;
}
const officer = (app: TestApp, id: string) => app.token('officer', WANGBA, id);
const alertEvents = async (app: TestApp, reportId: string) =>
  (await app.store.readStream(streams.report(reportId))).filter((e) => e.type.startsWith('Alert')).map((e) => ({ type: e.type, data: e.data as Record<string, unknown>, actor: e.metadata.actor?.id }));

/** R1 answered by the backup in person; R2, related, answered through it. */
async function answeredThrough(rig: HandRig, t: Test): Promise<{ r1: string; r2: string }> {
  const { app } = rig;
  const r1 = await file(app, { estimate: { affectedPeople: 12 } });
  t.equal((await app.call('POST', `/reports/${r1}/acknowledgements`, { token: officer(app, OFFICER_2) })).statusCode, 200);
  await rig.advance(60_000);
  const r2 = await file(app, { estimate: { affectedPeople: 8 } });
  await rig.advance(0);
  t.match((await alertEvents(app, r2)).at(-1), { type: 'AlertAcknowledged', data: { by: OFFICER_2, via: r1 } }, 'R2 answered through R1, as SPEC §5 has it');
  return { r1, r2 };
}

t.test('the report an answer came through is dismissed: the other is alerted again at once, to those on call and to whoever answered, and escalates from there', async (t) => {
  const rig = await rigged(t);
  const { app, primary } = rig;
  const { r1, r2 } = await answeredThrough(rig, t);
  t.equal(app.escalator.pendingEscalations(), 0, 'nothing escalates while the answer stands');
  t.match((await app.call('GET', `/reports/${r2}`, { token: officer(app, OFFICER_1) })).json(), { acknowledgedBy: OFFICER_2, answeredVia: r1, reopened: [] }, 'the view says the answer came through R1');

  t.equal((await app.call('POST', `/reports/${r1}/dismissal`, { token: officer(app, OFFICER_2), body: { reason: 'false_alarm' } })).statusCode, 200);
  t.same(await rig.advance(0), [], 'no job failed');
  const after = (await alertEvents(app, r2)).slice(-2);
  t.match(after[0], { type: 'AlertReopened', data: { via: r1, because: 'via_dismissed', answeredBy: OFFICER_2 }, actor: 'zhitong-alerting' }, 'the lapse is an event of the alerting policy');
  t.match(after[1], { type: 'AlertRaised', data: { step: 1, tier: 0, reason: 'reopened' }, actor: 'zhitong-alerting' }, 'raised at once, as new: the policy\u2019s first step, under the next step number');
  const recipients = after[1]!.data.recipients as string[];
  t.ok(recipients.includes(OFFICER_1) && recipients.includes(OFFICER_2), `to the primary on call and to the backup whose answer lapsed (${recipients.join(', ')})`);
  t.notOk(recipients.includes(`head@${KANG}`), 'not yet the county');

  const frame = await primary.next((f) => f.type === 'alert' && f.reportId === r2 && f.reason === 'reopened');
  t.match(frame, { step: 1, tier: 0, reopened: { because: 'via_dismissed', via: r1, answeredBy: OFFICER_2 } }, 'the card says why it rings again, at the policy\u2019s first step (found by a newcomer: shown as "第 1 次升级")');
  const view = (await app.call('GET', `/reports/${r2}`, { token: officer(app, OFFICER_1) })).json();
  t.equal(view.status, 'filed', 'nobody answers it now');
  t.match(view, { answeredVia: null, reopened: [{ via: r1, because: 'via_dismissed', answeredBy: OFFICER_2, at: String }] }, 'and why it rings again');
  const board = (await app.call('GET', `/alerts/open?unit=${WANGBA}`, { token: app.token('head', WANGBA) })).json();
  t.match(board.items.find((i: { reportId: string }) => i.reportId === r2), { step: 1, tier: 0 }, 'on the board again');
  t.notOk(board.items.find((i: { reportId: string }) => i.reportId === r2).acknowledged, 'as unacknowledged');

  // Nobody answers: it climbs from the first step, as a new report would.
  await rig.advance(TEN_MINUTES);
  const climbed = (await alertEvents(app, r2)).at(-1);
  t.match(climbed, { type: 'AlertRaised', data: { step: 2, tier: 1, reason: 'unacknowledged' } });
  t.ok((climbed!.data.recipients as string[]).includes(`head@${WANGBA.slice(0, 9)}`), 'the township head at the second');
  t.equal((await app.call('POST', `/reports/${r2}/acknowledgements`, { token: officer(app, OFFICER_1) })).statusCode, 200);
  await rig.advance(TEN_MINUTES);
  t.equal((await alertEvents(app, r2)).filter((e) => e.type === 'AlertRaised').length, 3, 'an answer in person stops it');
  t.equal(app.escalator.pendingEscalations(), 0);
});

t.test('a 续报 makes the report graver than the one it was answered through: alerted as new, though someone went to that one', async (t) => {
  const rig = await rigged(t);
  const { app, primary } = rig;
  const countyHead = await live(rig.url, app.token('head', KANG, 'head-kang'));
  t.teardown(() => countyHead.close());
  const { r1, r2 } = await answeredThrough(rig, t);
  t.equal((await app.call('POST', `/reports/${r1}/dispatches`, { token: officer(app, OFFICER_2), body: {} })).statusCode, 200);
  await rig.advance(0);
  const before = (await app.call('GET', `/alerts/open?unit=${WANGBA}`, { token: app.token('head', WANGBA) })).json();
  t.notOk(before.items.some((i: { reportId: string }) => i.reportId === r2), 'off the board: the trip to R1 attends it');

  const contact = app.token('contact', LIJIA);
  t.equal((await app.call('POST', `/reports/${r2}/amendments`, { token: contact, body: { estimate: { affectedPeople: 6 } } })).statusCode, 200);
  await rig.advance(0);
  t.notOk((await alertEvents(app, r2)).some((e) => e.type === 'AlertReopened'), 'a 续报 saying nothing graver leaves the answer standing');

  t.equal((await app.call('POST', `/reports/${r2}/amendments`, { token: contact, body: { estimate: { dead: 1 } } })).statusCode, 200);
  await rig.advance(0);
  const after = (await alertEvents(app, r2)).slice(-2);
  t.match(after, [
    { type: 'AlertReopened', data: { via: r1, because: 'graver', answeredBy: OFFICER_2 } },
    { type: 'AlertRaised', data: { step: 1, tier: 0, reason: 'reopened' } },
  ]);
  t.match(await primary.next((f) => f.type === 'alert' && f.reportId === r2 && f.reason === 'reopened'), { reopened: { because: 'graver', via: r1 }, estimate: { dead: 1 } });
  t.match(await countyHead.next((f) => f.type === 'alert' && f.reportId === r2 && f.reason === 'casualties'), { acknowledgedBy: [], estimate: { dead: 1 } }, 'the heads are not told it is answered: the answer through R1 ends with this news (found by a newcomer: 已确认 on a death nobody answered)');
  const board = (await app.call('GET', `/alerts/open?unit=${WANGBA}`, { token: app.token('head', WANGBA) })).json();
  const row = board.items.find((i: { reportId: string }) => i.reportId === r2);
  t.ok(row && !row.acknowledged, 'back on the board, unacknowledged');

  // Answered through another report again, it would not be: it says more than any of them.
  await rig.advance(TEN_MINUTES);
  t.match((await alertEvents(app, r2)).at(-1), { type: 'AlertRaised', data: { step: 2, tier: 1 } }, 'it climbs until a person answers');
});

t.test('the answer stands where someone was there, or answered in person', async (t) => {
  const rig = await rigged(t);
  const { app } = rig;
  // Verified, then closed: someone was there.
  const { r1, r2 } = await answeredThrough(rig, t);
  const head = app.token('head', WANGBA, 'head-wangba');
  t.equal((await app.call('POST', `/reports/${r1}/verifications`, { token: head, body: verificationBody() })).statusCode, 200);
  await rig.advance(0);
  t.equal((await app.call('POST', `/reports/${r2}/amendments`, { token: app.token('contact', LIJIA), body: { estimate: { dead: 1 } } })).statusCode, 200);
  await rig.advance(0);
  t.notOk((await alertEvents(app, r2)).some((e) => e.type === 'AlertReopened'), 'the related report was verified: nothing reopens (the 续报 reaches the heads as a casualties alert)');

  // Answered in person after the answer through: a later dismissal of the other changes nothing.
  const r3 = await file(app, { hazard: 'hail', estimate: { affectedPeople: 5 } });
  t.equal((await app.call('POST', `/reports/${r3}/acknowledgements`, { token: officer(app, OFFICER_1) })).statusCode, 200);
  const r4 = await file(app, { hazard: 'hail', estimate: { affectedPeople: 2 } });
  await rig.advance(0);
  t.match((await alertEvents(app, r4)).at(-1), { type: 'AlertAcknowledged', data: { via: r3 } });
  t.equal((await app.call('POST', `/reports/${r4}/acknowledgements`, { token: officer(app, OFFICER_2) })).statusCode, 200);
  t.equal((await app.call('POST', `/reports/${r3}/dismissal`, { token: officer(app, OFFICER_1), body: { reason: 'false_alarm' } })).statusCode, 200);
  await rig.advance(0);
  t.notOk((await alertEvents(app, r4)).some((e) => e.type === 'AlertReopened'), 'answered in person: it stands');
  t.equal(app.escalator.pendingEscalations(), 0);
});

t.test('the answered report merged into the one answered through it, or into one someone answers: the answer stands (found by a newcomer: rang again as "nobody on it", up to the county)', async (t) => {
  const rig = await rigged(t);
  const { app } = rig;
  const { r1, r2 } = await answeredThrough(rig, t);
  const merged = await app.call('POST', `/reports/${r1}/dismissal`, { token: officer(app, OFFICER_2), body: { reason: 'duplicate', duplicateOf: r2 } });
  t.equal(merged.statusCode, 200, merged.body);
  await rig.advance(0);
  t.notOk((await alertEvents(app, r2)).some((e) => e.type === 'AlertReopened'), 'merged into it: whoever answered is on it');
  await rig.advance(TEN_MINUTES);
  t.equal((await alertEvents(app, r2)).filter((e) => e.type === 'AlertRaised').length, 1, 'and it does not escalate');

  // Into a third report a person answers: the same event, the same person on it.
  const r3 = await file(app, { hazard: 'hail', estimate: { affectedPeople: 9 } });
  t.equal((await app.call('POST', `/reports/${r3}/acknowledgements`, { token: officer(app, OFFICER_1) })).statusCode, 200);
  const r4 = await file(app, { hazard: 'hail', estimate: { affectedPeople: 4 } });
  await rig.advance(0);
  t.match((await alertEvents(app, r4)).at(-1), { type: 'AlertAcknowledged', data: { via: r3 } });
  const r5 = await file(app, { hazard: 'hail', estimate: { affectedPeople: 9 } });
  await rig.advance(0);
  t.equal((await app.call('POST', `/reports/${r5}/acknowledgements`, { token: officer(app, OFFICER_2) })).statusCode, 200);
  t.equal((await app.call('POST', `/reports/${r3}/dismissal`, { token: officer(app, OFFICER_1), body: { reason: 'duplicate', duplicateOf: r5 } })).statusCode, 200);
  await rig.advance(0);
  t.notOk((await alertEvents(app, r4)).some((e) => e.type === 'AlertReopened'), 'merged into a report someone answers: it stands');
});

t.test('a related report is not answered in the name of a person whose access was revoked: it is alerted as new (found by a newcomer: it reached nobody, and never escalated)', async (t) => {
  const rig = await rigged(t);
  const { app } = rig;
  const admin = app.token('admin', KANG, 'admin-kang');
  t.equal((await app.call('POST', '/tokens', { token: admin, body: { tokens: [{ sub: 'officer-wangba-3', role: 'officer', scope: WANGBA }] } })).statusCode, 201);
  const r1 = await file(app, { estimate: { affectedPeople: 12 } });
  t.equal((await app.call('POST', `/reports/${r1}/acknowledgements`, { token: officer(app, 'officer-wangba-3') })).statusCode, 200);
  t.equal((await app.call('POST', '/tokens/revocations', { token: admin, body: { sub: 'officer-wangba-3', reason: '手机丢失' } })).statusCode, 201);
  await rig.advance(60_000);
  const r2 = await file(app, { estimate: { affectedPeople: 8 } });
  await rig.advance(0);
  const events = await alertEvents(app, r2);
  t.notOk(events.some((e) => e.type === 'AlertAcknowledged'), 'not answered in their name');
  t.notOk((events[0]!.data.recipients as string[]).includes('officer-wangba-3'), 'nor alerted to them alone');
  t.ok((events[0]!.data.recipients as string[]).includes(OFFICER_1), 'alerted to the officer on call');
  t.equal(app.escalator.pendingEscalations() > 0, true, 'and it escalates until someone answers');

  // Answered through another report in their name before the revocation: that answer ends with it.
  t.equal((await app.call('POST', '/tokens', { token: admin, body: { tokens: [{ sub: 'officer-wangba-4', role: 'officer', scope: WANGBA }] } })).statusCode, 201);
  const r3 = await file(app, { hazard: 'hail', estimate: { affectedPeople: 12 } });
  t.equal((await app.call('POST', `/reports/${r3}/acknowledgements`, { token: officer(app, 'officer-wangba-4') })).statusCode, 200);
  const r4 = await file(app, { hazard: 'hail', estimate: { affectedPeople: 8 } });
  await rig.advance(0);
  t.match((await alertEvents(app, r4)).at(-1), { type: 'AlertAcknowledged', data: { by: 'officer-wangba-4', via: r3 } });
  t.equal((await app.call('POST', '/tokens/revocations', { token: admin, body: { sub: 'officer-wangba-4', reason: '手机丢失' } })).statusCode, 201);
  await rig.advance(0);
  const after = (await alertEvents(app, r4)).slice(-2);
  t.match(after, [
    { type: 'AlertReopened', data: { via: r3, because: 'answerer_gone', answeredBy: 'officer-wangba-4' } },
    { type: 'AlertRaised', data: { reason: 'reopened', tier: 0 } },
  ], 'the answer in their name ends, and the report is alerted as new');
  t.notOk((after[1]!.data.recipients as string[]).includes('officer-wangba-4'), 'not to the person revoked');
  t.ok((after[1]!.data.recipients as string[]).includes(OFFICER_1));
});

t.test('a node that stopped before it saw the dismissal reopens the alert when it starts, from the log', async (t) => {
  const dataDir = testDir(t);
  const clock = { ms: Math.floor(Date.now() / 1000) * 1000 };
  const first = await handRig(t, { dataDir, clock, escalationDelayMs: TEN_MINUTES });
  const { r1, r2 } = await answeredThrough(first, t);
  await first.app.close();

  // The dismissal reached the log; no node was running to act on it.
  const log = new SqliteEventStore({ file: join(dataDir, 'events.sqlite'), writer: 'inline' });
  await execute(log, streams.report(r1), reportDecider, { type: 'DismissReport', data: { reason: 'false_alarm' }, now: new Date(clock.ms).toISOString() }, {
    actor: { id: OFFICER_2, role: 'officer' },
    correlationId: 'lapsed-answer-test',
    now: new Date(clock.ms).toISOString(),
  });
  await log.close();

  const second = await handRig(t, { dataDir, clock, escalationDelayMs: TEN_MINUTES });
  t.same(await second.advance(0), []);
  t.match((await alertEvents(second.app, r2)).slice(-2), [
    { type: 'AlertReopened', data: { via: r1, because: 'via_dismissed' } },
    { type: 'AlertRaised', data: { step: 1, tier: 0, reason: 'reopened' } },
  ]);
  t.same(await second.advance(0), []);
  t.equal((await alertEvents(second.app, r2)).filter((e) => e.type === 'AlertReopened').length, 1, 'once');
});

type Op =
  | { kind: 'file'; estimate: Record<string, number> }
  | { kind: 'ack' | 'dispatch' | 'dismiss' | 'verify'; i: number; who: string }
  | { kind: 'amend'; i: number; estimate: Record<string, number> }
  | { kind: 'merge'; i: number; into: number }
  | { kind: 'wait' };

const estimate = fc.oneof(
  fc.record({ affectedPeople: fc.integer({ min: 1, max: 15 }) }),
  fc.record({ affectedPeople: fc.integer({ min: 1, max: 15 }), dead: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ injured: fc.integer({ min: 1, max: 3 }) }),
);
const who = fc.constantFrom(OFFICER_1, OFFICER_2);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 1, arbitrary: estimate.map((e) => ({ kind: 'file' as const, estimate: e })) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('ack' as const), i: fc.nat(3), who }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('dismiss' as const), i: fc.nat(3), who }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('dispatch' as const, 'verify' as const), i: fc.nat(3), who }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('amend' as const), i: fc.nat(3), estimate }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('merge' as const), i: fc.nat(3), into: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'wait' as const }) },
);
/** Two or three reports of one event, then what people do about them. */
const story = fc.tuple(fc.array(estimate.map((e): Op => ({ kind: 'file', estimate: e })), { minLength: 2, maxLength: 3 }), fc.array(op, { minLength: 1, maxLength: 8 })).map(([filed, rest]) => [...filed, ...rest]);

t.test('generated: whatever is filed, answered, amended, dismissed or verified, no open report is left answered by nobody (SPEC \u00a75)', async (t) => {
  const rig = await handRig(t, { escalationDelayMs: TEN_MINUTES });
  const { app } = rig;
  const head = app.token('head', WANGBA, 'head-wangba');
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(story, async (ops) => {
      runs++;
      // Each run is a new event on the ground: three hours on, nothing of the last is related.
      await rig.advance(3 * 3600_000);
      const ids: string[] = [];
      const pick = (i: number) => ids[i % ids.length];
      for (const o of ops) {
        if (o.kind === 'file') ids.push(await file(app, { estimate: o.estimate }));
        else if (o.kind === 'wait') await rig.advance(TEN_MINUTES);
        else {
          const id = pick(o.i);
          if (!id) continue;
          if (o.kind === 'ack') await app.call('POST', `/reports/${id}/acknowledgements`, { token: officer(app, o.who) });
          else if (o.kind === 'dispatch') await app.call('POST', `/reports/${id}/dispatches`, { token: officer(app, o.who), body: {} });
          else if (o.kind === 'dismiss') await app.call('POST', `/reports/${id}/dismissal`, { token: officer(app, o.who), body: { reason: 'false_alarm' } });
          else if (o.kind === 'verify') await app.call('POST', `/reports/${id}/verifications`, { token: head, body: verificationBody() });
          else if (o.kind === 'amend') await app.call('POST', `/reports/${id}/amendments`, { token: app.token('contact', LIJIA), body: { estimate: o.estimate } });
          else if (o.kind === 'merge') await app.call('POST', `/reports/${id}/dismissal`, { token: head, body: { reason: 'duplicate', duplicateOf: pick(o.into) } });
        }
        const errors = await rig.advance(0);
        if (errors.length) throw new Error(`a job failed: ${errors.join('; ')}`);
        const rows = app.runner.state('reports').rows;
        for (const id of ids) {
          const row = rows.get(id)!;
          if (row.status !== 'filed' && row.status !== 'acknowledged') continue;
          if (row.acknowledgedBy.length === 0) {
            const owed = nextEscalation(alertTrackOf(row));
            const job = rig.scheduler.pending('escalate').some((j) => j.kind === 'escalate' && j.reportId === id);
            if (!owed || !job) throw new Error(`${id} is answered by nobody and no alert is owed (${JSON.stringify(ops)})`);
          } else if (row.answeredVia !== undefined) {
            const via = rows.get(row.answeredVia)!;
            // Merged into this report, or into one a person answers that says no less: the same event, the same person on it.
            const into = via.dismissal?.reason === 'duplicate' ? rows.get(via.dismissal.duplicateOf!) : undefined;
            const mergedOnto = into !== undefined && (into.reportId === id || (into.acknowledgedBy.length > 0 && into.answeredVia === undefined && into.status !== 'dismissed' && into.status !== 'closed' && !reportsWorse(row.estimate, into.estimate)));
            if (via.status === 'dismissed' && !mergedOnto) throw new Error(`${id} stays answered through a dismissed report (${JSON.stringify(ops)})`);
            if (via.status !== 'verified' && via.status !== 'closed' && reportsWorse(row.estimate, via.estimate)) {
              throw new Error(`${id} says more than the report it is answered through and nobody is woken (${JSON.stringify(ops)})`);
            }
          }
        }
      }
      // Clear the ground for the next run.
      for (const id of ids) await app.call('POST', `/reports/${id}/dismissal`, { token: head, body: { reason: 'false_alarm' } });
      await rig.advance(0);
    }),
    { numRuns: 60 },
  );
  t.equal(runs, 60, 'every generated run held');
});
