import t from 'tap';
import { aliyunProvider } from '../../infra/notify/aliyun.js';
import { tencentProvider } from '../../infra/notify/tencent.js';
import { ProviderError, type NotifyProvider } from '../../infra/notify/types.js';
import { FakeProviders } from '../support/fake-providers.js';

/**
 * Issue 13: each provider's real client code against a local server speaking its documented API,
 * signatures checked; only the endpoint differs.
 */

const PARAMS = { hazard: '滑坡', place: '王坝镇何家沟村', phone: '13800000000', link: 'https://zt.example.cn/r/2b8f3a6e' };

const providers: Record<'aliyun' | 'tencent', (fake: FakeProviders, secret?: string, timeoutMs?: number) => NotifyProvider> = {
  aliyun: (fake, secret = fake.keys.secret, timeoutMs) =>
    aliyunProvider({
      accessKeyId: fake.keys.id,
      accessKeySecret: secret,
      signName: '康县民政',
      alertTemplate: 'SMS_100001',
      replyTemplate: 'SMS_100002',
      voiceTemplate: 'TTS_100003',
      voiceCaller: undefined,
      smsEndpoint: fake.url,
      voiceEndpoint: fake.url,
      ...(timeoutMs ? { timeoutMs } : {}),
    }),
  tencent: (fake, secret = fake.keys.secret, timeoutMs) =>
    tencentProvider({
      secretId: fake.keys.id,
      secretKey: secret,
      region: 'ap-guangzhou',
      smsAppId: '1400000001',
      signName: '康县民政',
      alertTemplate: '100001',
      replyTemplate: '100002',
      voiceTemplate: '100003',
      voiceAppId: '1400000002',
      smsEndpoint: fake.url.replace('http://', ''),
      voiceEndpoint: fake.url.replace('http://', ''),
      protocol: 'http://',
      ...(timeoutMs ? { timeoutMs } : {}),
    }),
};

for (const [name, make] of Object.entries(providers)) {
  t.test(`${name}: SMS, call and lookup through the real client, every request signed as documented`, async (t) => {
    const fake = await FakeProviders.start();
    t.teardown(() => fake.close());
    const provider = make(fake);
    const ref = '2b8f3a6e-3c1d-4b7a-9a51-0c6f2d3e4a11/0/sms/officer-1';
    const id = await provider.sendAlert('13939000001', PARAMS, ref);
    t.match(fake.sent[0], { action: 'SendSms', phone: '13939000001', reference: ref, messageId: id });
    t.same(fake.sent[0]!.params, name === 'aliyun' ? PARAMS : [PARAMS.hazard, PARAMS.place, PARAMS.phone, PARAMS.link], 'the template values, as the provider takes them');
    await provider.sendReply('13939000002', { number: '2b8f3a6e', status: '已收到' }, 'inbound-1');
    t.equal(fake.sent[1]!.template, name === 'aliyun' ? 'SMS_100002' : '100002');
    const callId = await provider.call('13939000001', PARAMS, ref.replace('sms', 'voice'));
    t.match(fake.sent[2], { action: name === 'aliyun' ? 'SingleCallByTts' : 'SendTtsVoice', messageId: callId });
    t.equal(await provider.findSms('13939000001', ref, new Date(Date.now() - 60_000)), name === 'aliyun' ? `out:${ref}` : id, 'a message taken is found by its reference');
    t.equal(await provider.findSms('13939000001', `${ref}-other`, new Date(Date.now() - 60_000)), undefined, 'and one never sent is not');
    t.same(fake.signatureFailures, [], 'every signature checked out');
  });

  t.test(`${name}: a wrong secret, a 5xx, a timeout and a refused template are ProviderErrors`, async (t) => {
    const fake = await FakeProviders.start();
    t.teardown(() => fake.close());
    const wrong = make(fake, 'not-the-secret-at-all');
    const signed = await wrong.sendAlert('13939000001', PARAMS, 'r').catch((e: unknown) => e);
    t.ok(signed instanceof ProviderError);
    t.match((signed as ProviderError).code, /Signature/);
    t.equal(fake.signatureFailures.length, 1, 'the server refused the signature');

    const provider = make(fake, undefined, 1500);
    fake.failNext('SendSms', { kind: 'http500' });
    const down = (await provider.sendAlert('13939000001', PARAMS, 'r').catch((e: unknown) => e)) as ProviderError;
    t.ok(down instanceof ProviderError && down.retryable, `a 5xx is retried (${down.code})`);
    fake.failNext('SendSms', { kind: 'timeout', ms: 5000 });
    const slow = (await provider.sendAlert('13939000001', PARAMS, 'r').catch((e: unknown) => e)) as ProviderError;
    t.ok(slow instanceof ProviderError && slow.retryable, `a timeout is retried (${slow.code}: ${slow.message})`);
    const code = name === 'aliyun' ? 'isv.SMS_TEMPLATE_ILLEGAL' : 'FailedOperation.TemplateIncorrectOrUnapproved';
    fake.failNext('SendSms', { kind: 'refuse', code, message: '模板不合法' });
    const refused = (await provider.sendAlert('13939000001', PARAMS, 'r').catch((e: unknown) => e)) as ProviderError;
    t.match(refused, { code, message: '模板不合法' });
    t.notMatch(`${slow.message} ${down.message} ${refused.message}`, /Signature=|AccessKeyId|secret/, 'no signature or key in an error');
  });

  t.test(`${name}: callbacks read as documented`, async (t) => {
    const fake = await FakeProviders.start();
    t.teardown(() => fake.close());
    const provider = make(fake);
    await provider.sendAlert('13939000001', PARAMS, 'ref-1');
    let captured: unknown;
    const { createServer } = await import('node:http');
    const sink = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        captured = JSON.parse(text);
        res.end(JSON.stringify(provider.callbackAnswer));
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    t.teardown(() => sink.close());
    const url = `http://127.0.0.1:${(sink.address() as { port: number }).port}/`;
    await fake.pushReceipts(url, fake.sent);
    const { receipts } = provider.parseCallback('sms-report', captured);
    t.match(receipts, [{ channel: 'sms', messageId: fake.sent[0]!.messageId, delivered: true }]);
    if (name === 'aliyun') t.equal(receipts[0]!.reference, 'ref-1', 'Alibaba echoes our reference');
    await fake.pushInbound(url, name as 'aliyun' | 'tencent', '13939000009', '滑坡 三组 后山塌了');
    const { inbound } = provider.parseCallback('inbound', captured);
    t.match(inbound, [{ from: '13939000009', text: '滑坡 三组 后山塌了' }]);
    t.ok(Math.abs(Date.parse(inbound[0]!.receivedAt!) - Date.now()) < 5000, 'its time read as Beijing time');
    t.throws(() => provider.parseCallback('sms-report', { not: 'an array' }), ProviderError);
  });
}

t.test('an inbound SMS whose provider time cannot be read has no time of its own, never 1970 (found by a newcomer)', async (t) => {
  const aliyun = aliyunProvider({ accessKeyId: 'id', accessKeySecret: 'secret', signName: '康县民政', alertTemplate: 'A', replyTemplate: 'R', voiceTemplate: 'V', voiceCaller: undefined, smsEndpoint: 'http://127.0.0.1:9', voiceEndpoint: 'http://127.0.0.1:9' });
  const { inbound } = aliyun.parseCallback('inbound', [{ phone_number: '8613811112222', send_time: 'garbage', content: '滑坡 一组', sequence_id: 'abc' }]);
  t.equal(inbound[0]!.receivedAt, undefined, 'left for the receiver to date by its own clock');
  const dated = aliyun.parseCallback('inbound', [{ phone_number: '13811112222', send_time: '2026-12-07 19:18:00', content: '滑坡', sequence_id: 'abd' }]).inbound[0]!;
  t.equal(dated.receivedAt, '2026-12-07T11:18:00.000Z', 'a readable time is Beijing time');
});
