import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { childEnv, childExecArgv } from './support/child-env.js';
import { FakeProviders } from './support/fake-providers.js';
import { testDir } from './support/dirs.js';

/** Issue 13: the CLI records where alerts reach a person, and checks a provider's settings with one message. */

const execFileAsync = promisify(execFile);
const root = join(import.meta.dirname, '..');
const cli = (dataDir: string, ...args: string[]) =>
  spawnSync(process.execPath, [...childExecArgv(), join(root, 'services/cli.ts'), ...args], { env: childEnv({ DATA_DIR: dataDir, EVENTSTORE_URL: '', AUTH_SECRET: '' }), encoding: 'utf8' });

t.test('cli: token --phone --name records where alerts reach the holder; notify test sends one message through the provider', async (t) => {
  const dataDir = testDir(t);
  const units = join(dataDir, 'units.json');
  writeFileSync(units, JSON.stringify([{ code: '621299000000', name: '康县' }, { code: '621299103000', name: '城关镇' }]));
  t.equal(cli(dataDir, 'units', 'import', units).status, 0, 'a register first: a token names a unit of it');
  const token = cli(dataDir, 'token', '--sub', 'officer-p', '--role', 'officer', '--scope', '621299103', '--phone', '+86 139-0000-0001', '--name', '张伟');
  t.equal(token.status, 0, token.stderr);
  const [grant] = cli(dataDir, 'export').stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'AccessGranted');
  t.match(grant.data, { sub: 'officer-p', phone: '13900000001', name: '张伟' }, 'the phone normalized, with the name, on the grant');
  const badPhone = cli(dataDir, 'token', '--sub', 'x', '--role', 'officer', '--scope', '621299103', '--phone', 'call me');
  t.equal(badPhone.status, 2);
  t.match(badPhone.stderr, /--phone "call me"/);

  const none = cli(dataDir, 'notify', 'test', '--phone', '13900000001');
  t.equal(none.status, 78, 'no provider configured');
  t.match(none.stderr, /NOTIFY_PROVIDER/);
  t.equal(cli(dataDir, 'notify', 'test').status, 2, 'no phone: usage');

  // The real client against a local server speaking Alibaba Cloud's API; the CLI runs as a child,
  // asynchronously, so this process can answer it.
  const fake = await FakeProviders.start();
  t.teardown(() => fake.close());
  const env = {
    DATA_DIR: dataDir,
    EVENTSTORE_URL: '',
    AUTH_SECRET: '',
    PUBLIC_URL: 'https://zt.example.cn',
    NOTIFY_PROVIDER: 'aliyun',
    NOTIFY_KEY_ID: fake.keys.id,
    NOTIFY_KEY_SECRET: fake.keys.secret,
    NOTIFY_SIGN_NAME: '康县民政',
    NOTIFY_ALERT_TEMPLATE: 'SMS_1',
    NOTIFY_REPLY_TEMPLATE: 'SMS_2',
    NOTIFY_VOICE_TEMPLATE: 'TTS_3',
    NOTIFY_SMS_ENDPOINT: fake.url,
    NOTIFY_VOICE_ENDPOINT: fake.url,
    NOTIFY_CALLBACK_SECRET: 'cb-secret-0123456789abcdef',
  };
  const notify = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await execFileAsync(process.execPath, [...childExecArgv(), join(root, 'services/cli.ts'), 'notify', 'test', ...args], { env: childEnv(env), encoding: 'utf8' });
      return { status: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { status: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  const sms = await notify('--phone', '13900000001');
  t.equal(sms.status, 0, sms.stderr);
  t.match(sms.stdout, /aliyun took it/);
  t.match(fake.sent, [{ action: 'SendSms', phone: '13900000001', template: 'SMS_1' }]);
  const call = await notify('--phone', '13900000001', '--voice');
  t.equal(call.status, 0, call.stderr);
  t.match(fake.sent[1], { action: 'SingleCallByTts', template: 'TTS_3' });
  fake.failNext('SendSms', { kind: 'refuse', code: 'isv.SMS_SIGNATURE_ILLEGAL', message: '签名不合法' });
  const refused = await notify('--phone', '13900000001');
  t.equal(refused.status, 1);
  t.match(refused.stderr, /isv\.SMS_SIGNATURE_ILLEGAL/, 'the provider\u2019s refusal, said plainly');
  t.notMatch(`${sms.stdout}${sms.stderr}${refused.stderr}`, fake.keys.secret, 'no secret printed');
});
