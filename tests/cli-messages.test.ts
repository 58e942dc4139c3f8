import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import t, { type Test } from 'tap';
import { run } from '../services/cli.js';
import { childEnv, childExecArgv } from './support/child-env.js';
import { testDir } from './support/dirs.js';

// Everything the CLI says to the person at the console is Chinese first, then English (SPEC §9:
// the people who read it are Chinese), and a refusal is a sentence, never a stack trace. The
// sweep runs every refusal the CLI has, in process (`run` is what the bin runs), and the
// successes that say something on stderr.

const HAN = /\p{Script=Han}/u;
const root = join(import.meta.dirname, '..');

interface Said {
  code: number;
  err: string[];
  out: string[];
}

/** `zhitong ARGS` with DATA_DIR and other settings from `env`; what it printed, line by line. */
async function cli(args: string[], env: Record<string, string>): Promise<Said> {
  const keys = ['DATA_DIR', 'EVENTSTORE_URL', 'AUTH_SECRET', 'PORT', 'AUDIT_SIGNING_KEY_FILE', 'WORKING_CALENDAR_FILE', 'NOTIFY_PROVIDER'];
  const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
  for (const k of keys) delete process.env[k];
  Object.assign(process.env, { EVENTSTORE_URL: '', AUTH_SECRET: '' }, env);
  const err: string[] = [];
  const out: string[] = [];
  const { error, log } = console;
  console.error = (...a: unknown[]) => void err.push(...a.map(String).join(' ').split('\n'));
  console.log = (...a: unknown[]) => void out.push(...a.map(String).join(' ').split('\n'));
  try {
    return { code: await run(args), err, out };
  } finally {
    console.error = error;
    console.log = log;
    for (const k of keys) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

/** The first line a person reads: Chinese, then ` / ` and the English; no stack trace anywhere. */
function assertWorded(t: Test, said: Said, label: string): void {
  const first = said.err.find((l) => l.trim() !== '') ?? '';
  t.ok(HAN.test(first.split(' / ')[0] ?? ''), `${label}: Chinese first — ${first}`);
  t.match(first, / \/ .*[A-Za-z]{3}/, `${label}: then the English — ${first}`);
  t.notOk(
    said.err.some((l) => /^\s+at .+[(:]\d+/.test(l)),
    `${label}: no stack trace`,
  );
}

t.test('every refusal of the CLI is worded in Chinese, then English, and exits non-zero', async (t) => {
  const base = testDir(t);
  const store = join(base, 'store');
  const units = join(base, 'units.json');
  writeFileSync(
    units,
    JSON.stringify([
      { code: '620423000000', name: '靖远县' },
      { code: '620423101000', name: '乌兰镇' },
      { code: '620423101201', name: '城关村' },
    ]),
  );
  const made = await cli(['units', 'import', units], { DATA_DIR: store });
  t.equal(made.code, 0, made.err.join('\n'));
  t.match(made.out[0], /^写入 3 条单位事件（文件中有 3 个单位） \/ 3 unit events written/, 'what units import did, in both languages');

  const file = (name: string, text: string) => {
    writeFileSync(join(base, name), text);
    return join(base, name);
  };
  const notJson = file('roster.txt', '{entries: nope');
  const wrongShape = file('roster-shape.json', JSON.stringify({ entries: [{ officer: 'li', tier: 'chief' }] }));
  const goodRoster = file('roster.json', JSON.stringify({ entries: [{ officer: 'li', tier: 'primary' }] }));
  const empty = file('empty.ndjson', '');
  const garbage = file('garbage.ndjson', 'not an event\n');
  const existing = file('existing.pem', 'x');
  const calendar = file('calendar.json', JSON.stringify({ holidays: ['2026-13-01'], workdays: [] }));
  const nonEmpty = join(base, 'non-empty');
  mkdirSync(nonEmpty);
  writeFileSync(join(nonEmpty, 'x'), 'x');
  const notABackup = join(base, 'not-a-backup');
  mkdirSync(notABackup);
  const nothing = join(base, 'nothing');
  const notADatabase = join(base, 'not-a-database');
  mkdirSync(notADatabase);
  writeFileSync(join(notADatabase, 'events.sqlite'), 'this is no SQLite file, it was copied over by hand');

  const cases: Array<[string, string[], Record<string, string>?]> = [
    ['an unknown command', ['frobnicate']],
    ['an unknown option', ['verify', '--bogus']],
    ['an option without its value', ['token', '--sub']],
    ['units without import', ['units']],
    ['a units file that is not there', ['units', 'import', join(base, 'missing.json')]],
    ['token without its flags', ['token']],
    ['token with a bad --sub', ['token', '--sub', 'li si', '--role', 'officer', '--scope', '620423101']],
    ['token with a bad --scope', ['token', '--sub', 'li', '--role', 'officer', '--scope', '62x']],
    ['token with a bad --ttl', ['token', '--sub', 'li', '--role', 'officer', '--scope', '620423101', '--ttl', 'abc']],
    ['notify test without --phone', ['notify', 'test']],
    ['notify test with no provider', ['notify', 'test', '--phone', '13900000000']],
    ['roster without set', ['roster']],
    ['roster for a code that is no township', ['roster', 'set', '62', '--file', goodRoster]],
    ['roster file that is not there', ['roster', 'set', '620423101', '--file', join(base, 'missing.json')]],
    ['roster file that is not JSON', ['roster', 'set', '620423101', '--file', notJson]],
    ['roster file of the wrong shape', ['roster', 'set', '620423101', '--file', wrongShape]],
    ['roster for a township not registered', ['roster', 'set', '620423199', '--file', goodRoster]],
    ['verify with a bad --anchor', ['verify', '--anchor', 'xyz']],
    ['verify with a --public-key that is not there', ['verify', '--public-key', join(base, 'missing.pem')]],
    ['verify with a --public-key that is no key', ['verify', '--public-key', existing]],
    ['verify --file that is not there', ['verify', '--file', join(base, 'missing.ndjson')]],
    ['verify --file with no events', ['verify', '--file', empty]],
    ['verify --file that is not an export', ['verify', '--file', garbage]],
    ['audit-key without --out', ['audit-key']],
    ['audit-key into DATA_DIR', ['audit-key', '--out', join(store, 'key.pem')]],
    ['audit-key over a file', ['audit-key', '--out', existing]],
    ['export --after that is no position', ['export', '--after', 'abc']],
    ['export --after past the end', ['export', '--after', '999999']],
    ['backup without a destination', ['backup']],
    ['backup into DATA_DIR', ['backup', join(store, 'copy')]],
    ['backup into a directory that is not empty', ['backup', nonEmpty]],
    ['restore without a source', ['restore'], { DATA_DIR: join(base, 'restore-1') }],
    ['restore of something that is not a backup', ['restore', notABackup], { DATA_DIR: join(base, 'restore-2') }],
    ['epoch --new on the embedded store', ['epoch', '--new']],
    ['seed-demo into a store of real units', ['seed-demo']],
    ['a command that reads a log, with no store', ['verify'], { DATA_DIR: nothing }],
    ['a bad setting (PORT)', ['epoch'], { PORT: 'abc' }],
    ['a signing key that is not there', ['seal'], { AUDIT_SIGNING_KEY_FILE: join(base, 'missing-key.pem') }],
    ['a working calendar with a bad date', ['epoch'], { WORKING_CALENDAR_FILE: calendar }],
    ['a provider half configured', ['epoch'], { NOTIFY_PROVIDER: 'aliyun' }],
    // The machine's refusals, not zhitong's (found by a newcomer: each was a stack trace).
    ['DATA_DIR that is a file', ['token', '--sub', 'li', '--role', 'officer', '--scope', '620423101'], { DATA_DIR: existing }],
    ['DATA_DIR under a file', ['token', '--sub', 'li', '--role', 'officer', '--scope', '620423101'], { DATA_DIR: join(existing, 'store') }],
    ['backup onto a file', ['backup', existing]],
    ['backup under a file', ['backup', join(existing, 'copy')]],
    ['a store file that is no database', ['verify'], { DATA_DIR: notADatabase }],
  ];
  for (const [label, args, env] of cases) {
    const said = await cli(args, { DATA_DIR: store, ...env });
    t.not(said.code, 0, `${label}: exit ${said.code}`);
    assertWorded(t, said, label);
  }

  // What went wrong in a file, and where, in Chinese: not the parsers' English fragments
  // (found by a newcomer: "not CSV: Invalid Opening Quote", "not JSON: Unexpected end of JSON input").
  const unreadable: Array<[string, string, RegExp]> = [
    ['units-cut.json', '[{"code": "620423000000", "name": "靖远县"', /不是有效的 JSON：文件在中途就结束了/],
    ['units-comma.json', '[{"code": "620423000000",, "name": "靖远县"}]', /不是有效的 JSON：第 1 行第 \d+ 个字符附近有误/],
    ['units-open.csv', 'code,name\n620423000000,"靖远县\n', /不是有效的 CSV：有一个引号没有配对/],
    ['units-quote.csv', 'code,name\n620423000000,靖"远"县\n', /不是有效的 CSV：引号出现在格子中间/],
    ['units-object.json', '[1', /不是有效的 JSON/],
  ];
  for (const [name, text, said] of unreadable) {
    const res = await cli(['units', 'import', file(name, text)], { DATA_DIR: store });
    t.equal(res.code, 1, `${name}: refused`);
    const zh = res.err.map((l) => l.split(' / ')[0]).join('\n');
    t.match(zh, said, `${name}: ${zh}`);
    t.notMatch(zh, /Unexpected|Quote|position|JSON input/, `${name}: no English fragment in the Chinese`);
  }
  const cutRoster = await cli(['roster', 'set', '620423101', '--file', file('roster-cut.json', '{"entries": [')], { DATA_DIR: store });
  t.match(cutRoster.err[0], /roster-cut\.json：不是有效的 JSON：文件在中途就结束了/, 'a roster file the same way');
  const help = await cli(['--help'], { DATA_DIR: store });
  t.equal(help.code, 0);
  t.match(help.out[0], /^zhitong — 命令行/, 'the usage in Chinese first');
  t.ok(help.out.some((l) => /^zhitong — command line/.test(l)), 'then in English');

  // A backup made, then restored over a store and into an empty directory.
  const backup = join(base, 'backup');
  const made2 = await cli(['backup', backup], { DATA_DIR: store });
  t.equal(made2.code, 0, made2.err.join('\n'));
  assertWorded(t, made2, 'backup made');
  t.match(made2.err[0], /^备份已写入 .* 并已校验：\d+ 条事件（到位置 \d+），0 个封存；含令牌密钥。 \/ backup written to/);
  const over = await cli(['restore', backup], { DATA_DIR: store });
  t.equal(over.code, 1);
  assertWorded(t, over, 'restore over a store');
  t.match(over.err[0], /拒绝恢复：DATA_DIR .* 不是空目录/);
  writeFileSync(join(backup, 'events.sqlite'), 'damaged');
  const damaged = await cli(['restore', backup], { DATA_DIR: join(base, 'restore-3') });
  t.equal(damaged.code, 1);
  assertWorded(t, damaged, 'restore of a damaged backup');
  t.match(damaged.err[0], /校验和不符，备份文件已损坏或被改动/);
  const key = join(base, 'keys', 'seal.pem');
  const keyMade = await cli(['audit-key', '--out', key], { DATA_DIR: store });
  t.equal(keyMade.code, 0);
  assertWorded(t, keyMade, 'audit-key made');
  const roster = await cli(['roster', 'set', '620423101', '--file', goodRoster], { DATA_DIR: store });
  t.equal(roster.code, 0, roster.err.join('\n'));
  t.match(roster.out[0], /^写入 1 条值班表事件 \/ 1 roster events written/);
  // Set, and told whom it would not reach (found by a newcomer: a mistyped id was taken silently).
  t.same(roster.err, [
    '注意：entries.0.officer（li）：没有给这个用户编号发过令牌：告警到不了他（编号写错了，还是令牌还没发？） / note: entries.0.officer (li): no token was ever issued to this user id: alerts will reach nobody (a typo, or a token still to issue?)',
    '注意：entries：现在当主班的人都收不到告警（见上面各条）：新告警会同时发给乡镇负责人，请尽快给主班发令牌或换人 / note: entries: nobody primary now can be reached (see the entries above): a new alert goes to the township\u2019s heads as well; issue the primary a token or put someone else on',
  ]);
  t.equal((await cli(['token', '--sub', 'li', '--role', 'officer', '--scope', '620423101'], { DATA_DIR: store })).code, 0);
  const reached = await cli(['roster', 'set', '620423101', '--file', goodRoster], { DATA_DIR: store });
  t.same([reached.code, reached.err], [0, []], 'once li holds a token for the township, nothing to say');
});

t.test('the installed command says the same, with exit codes a script can read', async (t) => {
  const dataDir = testDir(t);
  writeFileSync(join(dataDir, 'units.json'), JSON.stringify([{ code: '620423000000', name: '靖远县' }, { code: '620423101000', name: '乌兰镇' }]));
  t.equal((await cli(['units', 'import', join(dataDir, 'units.json')], { DATA_DIR: dataDir })).code, 0);
  const bad = spawnSync(process.execPath, [...childExecArgv(), join(root, 'services/cli.ts'), 'roster', 'set', '620423101', '--file', join(dataDir, 'missing.json')], {
    env: childEnv({ DATA_DIR: dataDir, EVENTSTORE_URL: '', AUTH_SECRET: '' }),
    encoding: 'utf8',
  });
  t.equal(bad.status, 1);
  t.match(bad.stderr, /^.*missing\.json：找不到文件 \/ .*missing\.json: no such file\n$/, 'one line, no stack trace');
  const config = spawnSync(process.execPath, [...childExecArgv(), join(root, 'services/main.ts')], {
    env: childEnv({ DATA_DIR: dataDir, PORT: 'nope', EVENTSTORE_URL: '', AUTH_SECRET: '' }),
    encoding: 'utf8',
  });
  t.equal(config.status, 78, 'the server refuses to start');
  t.equal(config.stderr, '配置有误，没有启动 / invalid configuration:\n  PORT：须为端口号（0 到 65535 的整数） / PORT: must be a port number\n');
});

t.test('a server that cannot start on this machine says why in one sentence, exit 1, no stack trace', async (t) => {
  const base = testDir(t);
  const { createServer } = await import('node:net');
  const taken = createServer();
  await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
  t.teardown(() => new Promise<void>((done) => taken.close(() => done())));
  const port = String((taken.address() as { port: number }).port);
  writeFileSync(join(base, 'a-file'), 'x');
  mkdirSync(join(base, 'damaged'));
  writeFileSync(join(base, 'damaged', 'events.sqlite'), 'garbage');
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['DATA_DIR is a file', { DATA_DIR: join(base, 'a-file'), PORT: '0' }, /路径中有一段是文件，不是目录/],
    ['the port is taken', { DATA_DIR: join(base, 'store-1'), PORT: port, HOST: '127.0.0.1' }, new RegExp(`端口 ${port} 已被占用`)],
    ['HOST is no host', { DATA_DIR: join(base, 'store-2'), PORT: '0', HOST: 'no-such-host.invalid' }, /找不到主机 no-such-host\.invalid/],
    ['the store file is no database', { DATA_DIR: join(base, 'damaged'), PORT: '0' }, /事件库文件已损坏，或不是 SQLite 数据库/],
  ];
  for (const [label, env, said] of cases) {
    const res = spawnSync(process.execPath, [...childExecArgv(), join(root, 'services/main.ts')], {
      env: childEnv({ EVENTSTORE_URL: '', AUTH_SECRET: '', LOG_LEVEL: 'warn', ...env }),
      encoding: 'utf8',
      timeout: 60_000,
    });
    t.equal(res.status, 1, `${label}: exit 1`);
    t.match(res.stderr, /^没有启动 \/ not started:\n  /, `${label}: said it did not start`);
    t.match(res.stderr, said, `${label}: and why — ${res.stderr}`);
    t.notMatch(res.stderr, /^\s+at .+[(:]\d+/m, `${label}: no stack trace`);
  }
});
