import t from 'tap';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../infra/config.js';
import { tokenService } from '../../infra/tokens.js';
import { LIJIA, WANGBA, reportBody } from '../support/app.js';
import { cli, seedDataDir } from '../support/operator.js';
import { startServerProcess, type ServerProcess } from '../support/process.js';
import { AlertClient } from '../support/ws-client.js';
import { testDir } from '../support/dirs.js';

async function stop(server: ServerProcess): Promise<void> {
  server.child.kill('SIGTERM');
  await server.exited;
}

t.test('backup while serving and filing, restore into a fresh DATA_DIR: everything up to the backup is there, verified, tokens work, clients skip nothing', async (t) => {
  const base = testDir(t);
  const dataDir = join(base, 'data');
  await seedDataDir(dataDir);

  const server = await startServerProcess({ DATA_DIR: dataDir, RATE_LIMIT_PER_MINUTE: '100000' });
  t.teardown(() => void server.child.kill('SIGKILL'));
  const tokens = tokenService(loadConfig({ DATA_DIR: dataDir }).authSecret);
  const contact = tokens.issue({ sub: 'contact-lijia', role: 'contact', scope: LIJIA }, 3600);
  const officer = tokens.issue({ sub: 'officer-wangba-1', role: 'officer', scope: WANGBA }, 3600);
  let lastPosition = '';
  const file = async (url: string, n: number) => {
    const res = await fetch(`${url}/reports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${contact}`, 'content-type': 'application/json' },
      body: JSON.stringify(reportBody({ notes: `第 ${n} 份`, estimate: { affectedPeople: n + 1 } })),
    });
    if (res.status !== 201) throw new Error(`filing ${n}: ${res.status} ${await res.text()}`);
    const { reportId, position } = (await res.json()) as { reportId: string; position: string };
    lastPosition = position;
    return reportId;
  };

  // The officer's device, live on the first store: it will hold positions the backup never saw.
  const device = await AlertClient.connect(server.url, officer);
  t.teardown(() => device.close());
  const hello = await device.next((f) => f.type === 'hello');
  t.match(hello.epoch, /^[0-9a-f-]{36}$/, 'hello carries the store epoch');
  device.send({ type: 'resume', after: hello.position });

  const before: string[] = [];
  for (let n = 0; n < 20; n++) before.push(await file(server.url, n));
  const sealed = await cli({ DATA_DIR: dataDir }, 'seal');
  t.equal(sealed.code, 0, sealed.stderr);

  // The backup runs as its own process while intake goes on: it must be consistent, not torn.
  const backupDir = join(base, 'backups', 'monday');
  let filing = true;
  const during: string[] = [];
  const intake = (async () => {
    for (let n = 100; filing; n++) during.push(await file(server.url, n));
  })();
  const backup = await cli({ DATA_DIR: dataDir }, 'backup', backupDir);
  filing = false;
  await intake;
  t.equal(backup.code, 0, `backup: ${backup.stderr}`);
  t.match(backup.stderr, /verified/);
  const manifest = JSON.parse(backup.stdout) as { head: string; events: number; verification: { ok: boolean }; secret: string; epoch: { id: string } };
  t.equal(manifest.verification.ok, true, 'the copy verified');
  t.equal(manifest.secret, 'included');
  t.equal(manifest.epoch.id, hello.epoch, 'the manifest names the epoch it was taken from');
  t.same(readdirSync(backupDir).sort(), ['auth-secret', 'events.sqlite', 'manifest.json'], 'the log, the token secret, the manifest; never the signing key');
  t.notOk(readdirSync(join(base, 'backups')).some((n) => n.includes('partial')), 'no partial directory left behind');

  // After the backup: more reports the restored store will not have. The device sees them all.
  const after: string[] = [];
  for (let n = 200; n < 205; n++) after.push(await file(server.url, n));
  const lastSeen = await device.next((f) => f.type === 'alert' && f.reportId === after.at(-1));
  await stop(server);

  // A backup that was changed is refused before anything is written.
  const damaged = join(base, 'damaged');
  const restoredDir = join(base, 'restored');
  {
    const { cpSync } = await import('node:fs');
    cpSync(backupDir, damaged, { recursive: true });
    const m = JSON.parse(readFileSync(join(damaged, 'manifest.json'), 'utf8')) as { files: Record<string, { sha256: string }> };
    m.files['events.sqlite']!.sha256 = '0'.repeat(64);
    writeFileSync(join(damaged, 'manifest.json'), JSON.stringify(m));
    const refused = await cli({ DATA_DIR: restoredDir }, 'restore', damaged);
    t.equal(refused.code, 1);
    t.match(refused.stderr, /checksum/);
    t.notOk(existsSync(join(restoredDir, 'events.sqlite')), 'nothing restored from a damaged backup');
  }
  const overLive = await cli({ DATA_DIR: dataDir }, 'restore', backupDir);
  t.equal(overLive.code, 1, 'a restore never goes over a store');
  t.match(overLive.stderr, /not empty/);

  const restored = await cli({ DATA_DIR: restoredDir }, 'restore', backupDir);
  t.equal(restored.code, 0, restored.stderr);
  const { epoch } = JSON.parse(restored.stdout) as { epoch: { id: string; startsAfter: string } };
  t.not(epoch.id, hello.epoch, 'the restored store has a new epoch');
  t.equal(epoch.startsAfter, manifest.head, 'which starts after the backup head');
  const verified = await cli({ DATA_DIR: restoredDir }, 'verify');
  t.equal(verified.code, 0, `the restored log verifies: ${verified.stderr}`);
  t.ok((JSON.parse(verified.stdout) as { seals: { count: number } }).seals.count >= 1, 'seals came back');

  const second = await startServerProcess({ DATA_DIR: restoredDir, RATE_LIMIT_PER_MINUTE: '100000' });
  t.teardown(() => void second.child.kill('SIGKILL'));
  // The same token, signed before the backup, works on the restored store (the secret came back).
  for (const id of before) {
    const res = await fetch(`${second.url}/reports/${id}`, { headers: { authorization: `Bearer ${officer}` } });
    t.equal(res.status, 200, `report ${id.slice(0, 8)} filed before the backup is there`);
  }
  const inBackup = [];
  for (const id of during) if ((await fetch(`${second.url}/reports/${id}`, { headers: { authorization: `Bearer ${officer}` } })).status === 200) inBackup.push(id);
  t.same(during.slice(0, inBackup.length), inBackup, `the reports filed during the backup that it holds (${inBackup.length} of ${during.length}) are a prefix: a consistent cut`);
  for (const id of after) {
    const res = await fetch(`${second.url}/reports/${id}`, { headers: { authorization: `Bearer ${officer}` } });
    t.equal(res.status, 404, 'a report filed after the backup is not in it');
  }

  // The device comes back holding a position of the old store, past the restored head. New
  // reports on the restored store take positions it "has seen": without the epoch it would skip
  // them; with it, it gets every one.
  t.ok(lastSeen.position! > manifest.head, 'the device holds a position the restored store never had');
  const refiled: string[] = [];
  for (let n = 300; n < 310 || lastPosition <= lastSeen.position!; n++) refiled.push(await file(second.url, n));
  const back = await AlertClient.connect(second.url, officer);
  t.teardown(() => back.close());
  const hello2 = await back.next((f) => f.type === 'hello');
  t.equal(hello2.epoch, epoch.id);
  t.ok(hello2.position! > lastSeen.position!, 'the restored log has grown past the old position: skipping is possible');
  back.send({ type: 'resume', after: lastSeen.position, epoch: hello.epoch });
  for (const id of refiled) await back.next((f) => f.type === 'alert' && f.reportId === id);
  const got = back.alerts().map((f) => f.reportId);
  t.ok(refiled.every((id) => got.filter((g) => g === id).length === 1), 'every report filed after the restore alerted once');
  t.notOk(got.some((id) => before.includes(id!)), 'nothing from before the backup is sent again: the old and new logs agree up to it');
  await stop(second);
});
