import { randomUUID } from 'node:crypto';
import t from 'tap';
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../infra/config.js';
import { SqliteEventStore } from '../infra/eventstore/sqlite.js';
import { tokenService } from '../infra/tokens.js';
import { ROLE_NAMES_ZH } from '../domain/vocabulary.js';
import { childEnv, childExecArgv, plainNodeCommand } from './support/child-env.js';
import { filedData } from './support/fixtures.js';
import { testDir } from './support/dirs.js';


const root = join(import.meta.dirname, '..');
const cli = (dataDir: string, ...args: string[]) =>
  run(process.execPath, [...childExecArgv(), join(root, 'services/cli.ts'), ...args], dataDir);
/** The CLI as `npm run cli` starts it. */
const plainCli = (dataDir: string, ...args: string[]) => run(...plainNodeCommand([join(root, 'services/cli.ts'), ...args]), dataDir);
const run = (command: string, args: string[], dataDir: string) =>
  spawnSync(command, args, {
    env: childEnv({ DATA_DIR: dataDir, EVENTSTORE_URL: '', AUTH_SECRET: '' }),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024, // an export of thousands of events
  });

t.test('configuration: one clear line per bad value', async (t) => {
  const error = (() => {
    try {
      loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud', EVENTSTORE_URL: 'http://x', AUTH_SECRET: 'short', DATA_DIR: testDir(t) });
    } catch (e) {
      return e;
    }
  })();
  t.ok(error instanceof ConfigError);
  const problems = (error as ConfigError).problems;
  t.equal(problems.length, 4);
  t.ok(problems.includes('PORT: must be a port number'), problems.join(' | '));
  t.ok(problems.some((p) => p.startsWith('LOG_LEVEL: ')));
  t.ok(problems.includes('EVENTSTORE_URL: must start with esdb:// or esdb+discover://'));
  t.ok(problems.includes('AUTH_SECRET: must be at least 32 characters'));
  const dir = testDir(t);
  const first = loadConfig({ DATA_DIR: dir });
  t.equal(first.port, 3000);
  t.equal(first.escalationDelayMs, 600_000);
  t.equal(loadConfig({ DATA_DIR: dir }).authSecret, first.authSecret, 'the generated secret is kept in DATA_DIR');
});

t.test('server refuses to start on bad configuration, exit 78', async (t) => {
  const res = spawnSync(process.execPath, [...childExecArgv(), join(root, 'services/main.ts')], {
    env: childEnv({ PORT: 'nope', DATA_DIR: testDir(t) }),
    encoding: 'utf8',
  });
  t.equal(res.status, 78);
  t.match(res.stderr, /invalid configuration:\n\s+PORT：.* \/ PORT: must be a port number/);
});

t.test('cli: units import; token prints the token alone; verify; export', async (t) => {
  const dataDir = testDir(t);
  const file = join(dataDir, 'units.json');
  writeFileSync(file, JSON.stringify([
    { code: '620000000000', name: '甘肃省' },
    { code: '621200000000', name: '陇南市' },
    { code: '621299000000', name: '康县' },
    { code: '621299103000', name: '城关镇' },
    { code: '621299103201', name: '李家村' },
  ]));
  // A token before any register: refused, and no store made (found by a newcomer: a mistyped
  // DATA_DIR got a new store and a new secret, and a token the server refused).
  const early = cli(dataDir, 'token', '--sub', 'u-li', '--role', 'officer', '--scope', '621299103');
  t.equal(early.status, 2);
  t.match(early.stderr, /DATA_DIR 里没有事件库.*新部署请先 units import/);
  t.notOk(existsSync(join(dataDir, 'events.sqlite')), 'no store was made');
  const imported = cli(dataDir, 'units', 'import', file);
  t.equal(imported.status, 0, imported.stderr);
  t.match(imported.stdout, /5 unit events written/);
  const token = cli(dataDir, 'token', '--sub', 'u-li', '--role', 'officer', '--scope', '621299103');
  t.equal(token.status, 0, token.stderr);
  t.match(token.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, 'the token alone on stdout');
  const secret = loadConfig({ DATA_DIR: dataDir }).authSecret;
  const claims = tokenService(secret).verify(token.stdout.trim());
  t.match(claims, { sub: 'u-li', role: 'officer', scope: '621299103' });
  t.equal(claims.exp - claims.iat!, 30 * 86400, 'an officer\u2019s token lasts 30 days');
  const contact = tokenService(secret).verify(cli(dataDir, 'token', '--sub', 'c-li', '--role', 'contact', '--scope', '621299103201').stdout.trim());
  t.equal(contact.exp - contact.iat!, 180 * 86400, 'a contact\u2019s 180 days');
  // --link --qr: the sign-in link alone on stdout, its QR code (terminal blocks) on stderr.
  // (in a store of its own: the counts below are of this test's grants)
  t.equal(cli(join(dataDir, 'qr'), 'units', 'import', file).status, 0);
  const qr = cli(join(dataDir, 'qr'), 'token', '--sub', 'u-qr', '--role', 'officer', '--scope', '621299103', '--link', '--qr');
  t.equal(qr.status, 0, qr.stderr);
  t.match(qr.stdout, /^http:\/\/localhost:3000\/#t=[\w-]+\.[\w-]+\.[\w-]+\n$/, 'the link alone on stdout');
  t.ok(qr.stderr.split('\n').length > 20 && qr.stderr.includes('\u001b[40m'), 'a QR code drawn on stderr');
  // A link to localhost opens nothing on a villager's phone (found by a newcomer): said, on stderr.
  t.match(qr.stderr, /注意：没有设置 PUBLIC_URL，链接指向 http:\/\/localhost:3000，只能在这台机器上打开/);
  const withUrl = spawnSync(process.execPath, [...childExecArgv(), join(root, 'services/cli.ts'), 'token', '--sub', 'u-qr2', '--role', 'officer', '--scope', '621299103', '--link'], {
    encoding: 'utf8',
    env: childEnv({ DATA_DIR: join(dataDir, 'qr'), EVENTSTORE_URL: '', AUTH_SECRET: '', PUBLIC_URL: 'https://zhitong.example.gov.cn' }),
  });
  t.match(withUrl.stdout, /^https:\/\/zhitong\.example\.gov\.cn\/#t=/);
  t.notMatch(withUrl.stderr, /PUBLIC_URL/, 'nothing said when the link is one a phone can open');
  // An officer scoped to a village: issued, and told the roster will not reach them.
  const village = cli(join(dataDir, 'qr'), 'token', '--sub', 'u-v', '--role', 'officer', '--scope', '621299103201');
  t.equal(village.status, 0, village.stderr);
  t.match(village.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, 'the token alone on stdout');
  t.match(village.stderr, /注意：值班干部和负责人的范围应是乡镇.* \/ note: staff are scoped to a township/);
  const short = tokenService(secret).verify(cli(dataDir, 'token', '--sub', 'a-li', '--role', 'admin', '--scope', '62', '--ttl', '600').stdout.trim());
  t.equal(short.exp - short.iat!, 600, '--ttl overrides');
  const mayor = cli(dataDir, 'token', '--sub', 'x', '--role', 'mayor', '--scope', '62');
  t.equal(mayor.status, 2);
  t.match(mayor.stderr, /--role "mayor"：没有这个角色，须为 contact（村联络员）、officer（乡镇值班干部）/, 'the bad role named, with the roles there are');
  const badSub = cli(dataDir, 'token', '--sub', 'li si', '--role', 'contact', '--scope', '62');
  t.equal(badSub.status, 2);
  t.match(badSub.stderr, /--sub "li si"/);
  t.equal(cli(dataDir, 'token', '--sub', 'x', '--role', 'contact', '--scope', '62', '--ttl', '0').status, 2);
  const nowhere = cli(dataDir, 'token', '--sub', 'x', '--role', 'officer', '--scope', '621299104');
  t.equal(nowhere.status, 1, 'a scope no registered unit lies in');
  t.match(nowhere.stderr, /--scope 621299104：登记的单位里没有这个代码/);
  const grants = cli(dataDir, 'export').stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e: { type: string }) => e.type === 'AccessGranted');
  t.same(
    grants.map((e: { type: string; data: { sub: string; jti: string } }) => [e.type, e.data.sub, e.data.jti]),
    [
      ['AccessGranted', 'u-li', claims.jti],
      ['AccessGranted', 'c-li', contact.jti],
      ['AccessGranted', 'a-li', short.jti],
    ],
    'every token the CLI prints is recorded first, without the token',
  );
  t.notOk(JSON.stringify(grants).includes(token.stdout.trim().split('.')[2]!));

  t.match(cli(dataDir, 'units', 'import', file).stdout, /0 unit events written/, 'importing again writes nothing');
  writeFileSync(file, JSON.stringify([{ code: '621299104201', name: '孤村' }]));
  const orphan = cli(dataDir, 'units', 'import', file);
  t.equal(orphan.status, 1);
  t.match(orphan.stderr, /parent_not_found/, orphan.stderr);
  writeFileSync(file, '[{"code": "12"}]');
  t.match(cli(dataDir, 'units', 'import', file).stderr, /第 1 项 code：须为 12 位行政区划代码/, 'a bad entry named as a person counts it, in Chinese');

  const verify = cli(dataDir, 'verify');
  t.equal(verify.status, 0);
  t.match(JSON.parse(verify.stdout), { ok: true, streams: 2, events: 8, seals: { count: 0 }, unsealed: { events: 8 }, problems: [] });
  const exported = cli(dataDir, 'export').stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.same(exported.map((e: { type: string }) => e.type), [...Array(5).fill('UnitRegistered'), 'AccessGranted', 'AccessGranted', 'AccessGranted']);
  const after = cli(dataDir, 'export', '--after', exported[6].position).stdout.trim().split('\n');
  t.same(after.map((l) => Object.keys(JSON.parse(l))[0]), ['exportedAfter', 'id'], 'a line saying where the part begins, then the one event after it');
  const beyond = cli(dataDir, 'export', '--after', '99999999');
  t.match([beyond.status, beyond.stdout, beyond.stderr], [2, '', /超出日志末尾（最后的位置是 8）/], 'past the end: said so, not an empty export');
});

t.test('cli: seed-demo prints a token for each role, and is safe to run twice', async (t) => {
  const dataDir = testDir(t);
  const seeded = cli(dataDir, 'seed-demo');
  t.equal(seeded.status, 0, seeded.stderr);
  t.match(seeded.stdout, /示例数据 \(DEMO DATA\)/);
  for (const [role, zh] of Object.entries(ROLE_NAMES_ZH)) t.match(seeded.stdout, new RegExp(`— ${zh} ${role}，范围 scope`));
  t.match(seeded.stdout, /# 令牌（7 天有效：[^）]*再运行一次 seed-demo 即得新令牌） \/ Tokens \(valid 7 days, [^)]*run seed-demo again for new ones\):/, 'Chinese first, and what to do when they lapse');
  const base = /Sign-in links point at (\S+):/.exec(seeded.stdout)?.[1];
  t.ok(base, 'says which server address its links assume');
  t.ok([...seeded.stdout.matchAll(/sign in: (\S+)\/#t=/g)].every((m) => m[1] === base), 'and every link uses it');
  const again = cli(dataDir, 'seed-demo');
  t.match(again.stdout, /0 unit events written/);
});

t.test('cli: seed-demo refuses a store holding real units; units import takes CSV, starting at a county', async (t) => {
  const dataDir = testDir(t);
  const file = join(dataDir, 'kang.csv');
  // Kang County's real codes (621224…), as a county office keeps them: no province or city rows.
  writeFileSync(file, 'code,name,lat,lon,accessNotes,phones\n621224000000,康县,,,,\n621224103000,王坝镇,,,,\n621224103201,下先生沟村,33.3,105.6,沿县道,0939-5123488\n');
  const imported = cli(dataDir, 'units', 'import', file);
  t.equal(imported.status, 0, imported.stderr);
  t.match(imported.stdout, /3 unit events written/);
  const seeded = cli(dataDir, 'seed-demo');
  t.equal(seeded.status, 1);
  t.match(seeded.stderr, /refused.*3 other units/);
  const log = cli(dataDir, 'export').stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.equal(log.length, 3, 'the demo wrote nothing onto real villages');
  t.match(log[2], { data: { code: '621224103201', name: '下先生沟村', phones: ['09395123488'] } });

  // A township's roster by its significant prefix, as a scope is written; a code that is no
  // township's is named in words, not as a validation path with no field.
  const roster = join(dataDir, 'roster.json');
  writeFileSync(roster, JSON.stringify({ entries: [{ officer: 'officer-wangba-1', tier: 'primary' }] }));
  const set = cli(dataDir, 'roster', 'set', '621224103', '--file', roster);
  t.equal(set.status, 0, set.stderr);
  t.match(set.stdout, /roster events written/);
  const bad = cli(dataDir, 'roster', 'set', '62122410', '--file', roster);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /roster set "62122410": not a township's code/);
  // A county's whole code: refused by the decider, whose Chinese names the rule as its English
  // does (found by a newcomer: 行政区划不对：级别或所属不符合要求).
  const county = cli(dataDir, 'roster', 'set', '621224000000', '--file', roster);
  t.equal(county.status, 1);
  t.match(county.stderr, /拒绝（invalid_unit）：排班表属于乡镇：请填写乡镇的 12 位区划代码.* \/ refused \(invalid_unit\): a roster belongs to a township/);

  // The other order: a real county is not imported into the demo's store.
  const demoDir = join(dataDir, 'demo');
  t.equal(cli(demoDir, 'seed-demo').status, 0);
  const mixed = cli(demoDir, 'units', 'import', file);
  t.equal(mixed.status, 1);
  t.match(mixed.stderr, /holds the demo county/);
  // A demo village renamed by a file keeps its label (found by a newcomer: the label was dropped).
  const rename = join(dataDir, 'rename.json');
  writeFileSync(rename, JSON.stringify([{ code: '621299103201', name: '李家村' }]));
  t.equal(cli(demoDir, 'units', 'import', rename).status, 0);
  const names = cli(demoDir, 'export').stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e: { type: string; data: { code?: string } }) => e.data.code === '621299103201').map((e: { data: { name?: string } }) => e.data.name);
  t.equal(names.at(-1), '李家村（示例）', 'still labelled as the sample it is');
});

t.test('cli: replay, verify and export over a log of thousands of events, read through the page reader', async (t) => {
  const dataDir = testDir(t);
  const store = new SqliteEventStore({ file: join(dataDir, 'events.sqlite') });
  const metadata = { actor: { id: 'u-1', role: 'officer' }, at: '2026-07-01T03:00:00.000Z', correlationId: 'c', schemaVersion: 1 };
  // 2,979 events, every one of them as the catalog has it: a filing and 98 follow-ups per report.
  // The last page is short, so it is read in place after pages read ahead.
  const ids = Array.from({ length: 31 }, () => randomUUID());
  const reportEvents = (id: string, count: number) =>
    Array.from({ length: count }, (_, k) =>
      k === 0
        ? { type: 'ReportFiled', data: filedData({ reportId: id, directions: '沿县道X412往北' }), metadata }
        : { type: 'ReportAmended', data: { notes: `n${k}` }, metadata },
    );
  await Promise.all(ids.slice(0, 30).map((id) => store.append(`report-${id}`, reportEvents(id, 99))));
  await store.append(`report-${ids[30]}`, reportEvents(ids[30]!, 9));
  await store.close();

  const replay = cli(dataDir, 'replay');
  t.equal(replay.status, 0, replay.stderr);
  t.match(JSON.parse(replay.stdout), { events: 2979, quarantined: 0, projections: { reports: { rows: 31 }, tallies: { reports: 31 } } });
  t.ok(existsSync(join(dataDir, 'projections.sqlite')), 'the rebuilt states are kept as the node\u2019s snapshot');
  t.match(JSON.parse(cli(dataDir, 'verify').stdout), { ok: true, streams: 31, events: 2979, problems: [] });
  const exported = cli(dataDir, 'export');
  t.equal(exported.status, 0, exported.stderr);
  const lines = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as { position: string; data: unknown });
  t.equal(lines.length, 2979, 'the whole log, although it is bigger than a pipe holds');
  t.equal((lines[0]!.data as { directions?: string }).directions, '沿县道X412往北');
  t.ok(lines.every((e, i) => i === 0 || lines[i - 1]!.position < e.position), 'in log order');

  // An edit behind zhitong's back must make verify exit 1, also when run as `npm run cli` runs
  // it. Closing an idle, unref'd reader thread once let the process end early with exit code 0:
  // an auditor's script would have read a broken chain as a clean one.
  const tamper = new Database(join(dataDir, 'events.sqlite'));
  tamper.exec('DROP TRIGGER events_no_update');
  tamper.prepare("UPDATE events SET record = replace(record, '\"notes\":\"n5\"', '\"notes\":\"n50\"') WHERE position = 6").run();
  tamper.close();
  for (let attempt = 0; attempt < 3; attempt++) {
    const verify = plainCli(dataDir, 'verify');
    t.equal(verify.status, 1, `exit code, attempt ${attempt + 1}`);
    t.match(JSON.parse(verify.stdout), { ok: false, firstProblem: { kind: 'edited', stream: `report-${ids[0]}`, revision: 5 } });
  }
});

