import t from 'tap';
import { join } from 'node:path';
import { addresses } from '../../domain/alerting.js';
import { SqliteEventStore } from '../../infra/eventstore/sqlite.js';
import { logPages } from '../../infra/eventstore/pages.js';
import { HEJIAGOU, LIJIA, WANGBA, ZHUJIAGOU, reportBody } from '../support/app.js';
import { startServerProcess } from '../support/process.js';
import { AlertClient, type Frame } from '../support/ws-client.js';
import { call, seedDataDir, tokensFor } from './support.js';
import { testDir } from '../support/dirs.js';

const BURST = 200;
/** The socket is cut once this many alerts arrived: well inside the burst. */
const CUT_AFTER = 40;
/** Filings held back until the cut, so that alerts are raised while the officer is away and while they resume. */
const AFTER_CUT = 100;

t.test('an officer\u2019s socket cut mid-burst resumes from its last position: every alert exactly once, in position order, no gaps', async (t) => {
  const dataDir = testDir(t);
  await seedDataDir(dataDir);
  // Only the first alert of each report: an escalation would add frames the burst did not cause.
  const server = await startServerProcess({ DATA_DIR: dataDir, RATE_LIMIT_PER_MINUTE: '1000000', ESCALATION_DELAY_MS: '3600000' });
  t.teardown(() => void server.child.kill('SIGKILL'));
  const token = tokensFor(dataDir);
  const officer = { id: 'officer-wangba-1', role: 'officer' as const, scope: WANGBA };
  const officerToken = token(officer.role, officer.scope, officer.id);

  const device = await AlertClient.connect(server.url, officerToken);
  const hello = await device.next((f) => f.type === 'hello');
  device.send({ type: 'resume', after: hello.position });
  await device.roundTrip();

  // The cut, from inside the frame handler the moment the CUT_AFTER-th alert is processed: what
  // arrives after it (frames in the socket's buffer, in flight) is lost with the connection.
  let seenBeforeCut: Frame[] = [];
  let cutNow!: () => void;
  const cut = new Promise<void>((resolve) => (cutNow = resolve));
  device.socket.on('message', () => {
    if (seenBeforeCut.length > 0 || device.alerts().length < CUT_AFTER) return;
    seenBeforeCut = [...device.frames];
    device.socket.terminate();
    cutNow();
  });

  // Eight phones file the burst as fast as the node answers; two of them are in another
  // township, whose alerts this officer must not get.
  const villages = [LIJIA, HEJIAGOU, ZHUJIAGOU];
  const filed: Array<{ reportId: string; village: string }> = [];
  const refused: unknown[] = [];
  let next = 0;
  const phone = async (p: number) => {
    const village = villages[p % villages.length]!;
    const tokenOf = token('contact', village, `contact-${p}`);
    for (;;) {
      const n = next++;
      if (n >= BURST) return;
      if (n === BURST - AFTER_CUT) await cut;
      const res = await call(server.url, 'POST', '/reports', { token: tokenOf, body: reportBody({ village, notes: `第 ${n} 份` }) });
      if (res.status === 201) filed.push({ reportId: res.body.reportId, village });
      else refused.push(res.body);
    }
  };
  const burst = Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(phone));
  await cut;
  const lastPosition = seenBeforeCut.filter((f) => f.position !== undefined).map((f) => f.position!).sort().at(-1)!;
  t.ok(filed.length < BURST, `cut while the burst went on (${filed.length} of ${BURST} filed)`);
  await device.closed;

  const again = await AlertClient.connect(server.url, officerToken);
  t.teardown(() => again.close());
  await again.next((f) => f.type === 'hello');
  again.send({ type: 'resume', after: lastPosition });
  await burst;
  t.same(refused, [], 'every filing of the burst was taken');

  // What the officer is owed: every AlertRaised in the log that names them, in log order.
  const store = new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
  t.teardown(() => store.close());
  const owed: Array<{ position: string; reportId: string; step: number }> = [];
  for await (const page of logPages(store)) {
    for (const e of page) {
      if (e.type !== 'AlertRaised') continue;
      const data = e.data as { step: number; recipients: string[] };
      if (data.recipients.some((r) => addresses(r, officer))) owed.push({ position: e.position, reportId: e.stream.replace(/^report-/, ''), step: data.step });
    }
  }
  const wangba = filed.filter((f) => f.village !== ZHUJIAGOU).map((f) => f.reportId);
  t.same(new Set(owed.map((o) => o.reportId)), new Set(wangba), `each of the ${wangba.length} reports from the officer\u2019s township is owed an alert, and only those`);
  t.ok(filed.length > wangba.length, 'reports of the other township were filed too');

  await again.nextCount((f) => f.type === 'alert' && f.position! > lastPosition, owed.filter((o) => o.position > lastPosition).length, 60_000);
  // Anything more the server would send for the same positions has arrived by now.
  await again.roundTrip();

  const beforeCut = seenBeforeCut.filter((f) => f.type === 'alert');
  const afterResume = again.alerts();
  const got = [...beforeCut, ...afterResume].map((f) => ({ position: f.position!, reportId: f.reportId!, step: f.step! }));
  t.ok(beforeCut.length >= CUT_AFTER && afterResume.length > 0, `${beforeCut.length} alerts before the cut, ${afterResume.length} after the resume`);
  t.ok(
    afterResume.every((f) => f.position! > lastPosition),
    'the resumed connection sent nothing at or before the position resumed from',
  );
  const positions = got.map((g) => g.position);
  t.same(positions, [...positions].sort(), 'in position order');
  t.equal(new Set(positions).size, positions.length, 'no alert twice');
  t.same(got, owed, 'every alert owed, exactly once, no gap');
  t.same(
    owed.map((o) => o.step),
    owed.map(() => 0),
    'one alert per report (the first)',
  );
});
