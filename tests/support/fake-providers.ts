import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server speaking the documented APIs of the SMS and voice providers zhitong
 * supports, so the real client code (Alibaba's `@alicloud/pop-core`, Tencent's SDK) talks to it
 * unchanged but for the endpoint. It checks every request's signature as each provider documents
 * it, answers as documented, and pushes the documented callbacks when a test asks.
 *
 * Alibaba Cloud RPC (Dysmsapi / Dyvmsapi 2017-05-25): form-encoded POST, `Signature` = base64
 * HMAC-SHA1 with `secret&` over `POST&%2F&` + the percent-encoded canonical query.
 * Tencent Cloud API 3.0: JSON POST, `Authorization: TC3-HMAC-SHA256 Credential=…, SignedHeaders=
 * content-type;host, Signature=…` over the canonical request, keyed by the date/service chain.
 */

export interface SentMessage {
  provider: 'aliyun' | 'tencent';
  action: string;
  phone: string;
  template: string;
  params: unknown;
  reference: string;
  messageId: string;
  at: number;
}

type Failure = { kind: 'http500' } | { kind: 'timeout'; ms: number } | { kind: 'refuse'; code: string; message: string };

const pct = (s: string) => encodeURIComponent(s).replace(/!/g, '%21').replace(/'/g, '%27').replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/\*/g, '%2A');
const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();

export class FakeProviders {
  readonly sent: SentMessage[] = [];
  /** Requests refused for a bad signature, a stale timestamp or a replayed nonce. */
  readonly signatureFailures: string[] = [];
  /** How many requests of each action arrived, answered or not. */
  readonly requests = new Map<string, number>();
  #failures: Array<{ action: string; failure: Failure }> = [];
  #nonces = new Set<string>();
  #waiters: Array<{ test: (m: SentMessage) => boolean; resolve: (m: SentMessage) => void }> = [];
  #held: ServerResponse[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly keys: { id: string; secret: string },
  ) {}

  static async start(keys = { id: 'LTAI-test-key', secret: 'test-secret-abcdefghijklmnop' }): Promise<FakeProviders> {
    let self: FakeProviders | undefined;
    const server = createServer((req, res) => void self!.#handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new FakeProviders(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, keys);
    return self;
  }

  /** The next `times` requests of `action` fail this way. */
  failNext(action: string, failure: Failure, times = 1): void {
    for (let i = 0; i < times; i++) this.#failures.push({ action, failure });
  }

  /** The first message, already sent or still to come, that passes `test`. */
  next(test: (m: SentMessage) => boolean, timeoutMs = 15_000): Promise<SentMessage> {
    const seen = this.sent.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message within ${timeoutMs} ms; sent: ${JSON.stringify(this.sent.map((m) => [m.action, m.phone]))}`)), timeoutMs);
      this.#waiters.push({ test, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }

  async close(): Promise<void> {
    for (const res of this.#held) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    try {
      if (req.headers.authorization?.startsWith('TC3-HMAC-SHA256')) await this.#tencent(req, body, res);
      else await this.#aliyun(body, res);
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  }

  #count(action: string): Failure | undefined {
    this.requests.set(action, (this.requests.get(action) ?? 0) + 1);
    const i = this.#failures.findIndex((f) => f.action === action);
    return i < 0 ? undefined : this.#failures.splice(i, 1)[0]!.failure;
  }

  #record(m: Omit<SentMessage, 'at'>): SentMessage {
    const message = { ...m, at: Date.now() };
    this.sent.push(message);
    for (const w of [...this.#waiters]) {
      if (w.test(message)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(message);
      }
    }
    return message;
  }

  /** Applies a planned failure; true when the request was answered (or left hanging) by it. */
  #fail(failure: Failure | undefined, res: ServerResponse, refuse: (code: string, message: string) => void): boolean {
    if (!failure) return false;
    if (failure.kind === 'http500') res.writeHead(500, { 'content-type': 'text/html' }).end('<html>502 Bad Gateway</html>');
    else if (failure.kind === 'timeout') {
      this.#held.push(res);
      setTimeout(() => res.destroy(), failure.ms).unref();
    } else refuse(failure.code, failure.message);
    return true;
  }

  async #aliyun(body: string, res: ServerResponse): Promise<void> {
    const params = Object.fromEntries(new URLSearchParams(body));
    const answer = (status: number, json: object): void => void res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' }).end(JSON.stringify({ RequestId: randomUUID(), ...json }));
    const { Signature: signature, ...signed } = params;
    const canonical = Object.keys(signed)
      .sort()
      .map((k) => `${pct(k)}=${pct(signed[k]!)}`)
      .join('&');
    const expected = createHmac('sha1', `${this.keys.secret}&`).update(`POST&${pct('/')}&${pct(canonical)}`).digest('base64');
    const problem =
      signed.AccessKeyId !== this.keys.id
        ? 'InvalidAccessKeyId.NotFound'
        : signed.SignatureMethod !== 'HMAC-SHA1' || signed.SignatureVersion !== '1.0'
          ? 'InvalidSignatureMethod'
          : signature !== expected
            ? 'SignatureDoesNotMatch'
            : Math.abs(Date.parse(signed.Timestamp ?? '') - Date.now()) > 15 * 60_000
              ? 'InvalidTimeStamp.Expired'
              : this.#nonces.has(signed.SignatureNonce ?? '')
                ? 'SignatureNonceUsed'
                : undefined;
    if (problem) {
      this.signatureFailures.push(problem);
      return answer(400, { Code: problem, Message: 'Specified signature is not matched with our calculation.' });
    }
    this.#nonces.add(signed.SignatureNonce!);
    const action = params.Action ?? '';
    const failure = this.#count(action);
    if (this.#fail(failure, res, (Code, Message) => answer(200, { Code, Message }))) return;
    switch (action) {
      case 'SendSms': {
        const m = this.#record({ provider: 'aliyun', action, phone: params.PhoneNumbers!, template: params.TemplateCode!, params: JSON.parse(params.TemplateParam ?? '{}'), reference: params.OutId ?? '', messageId: `${Date.now()}^${randomUUID().slice(0, 8)}` });
        return answer(200, { Code: 'OK', Message: 'OK', BizId: m.messageId });
      }
      case 'SingleCallByTts': {
        const m = this.#record({ provider: 'aliyun', action, phone: params.CalledNumber!, template: params.TtsCode!, params: JSON.parse(params.TtsParam ?? '{}'), reference: params.OutId ?? '', messageId: `${randomUUID()}@1` });
        return answer(200, { Code: 'OK', Message: 'OK', CallId: m.messageId });
      }
      case 'QuerySendDetails': {
        const rows = this.sent.filter((m) => m.provider === 'aliyun' && m.action === 'SendSms' && m.phone === params.PhoneNumber);
        return answer(200, {
          Code: 'OK',
          Message: 'OK',
          TotalCount: rows.length,
          SmsSendDetailDTOs: { SmsSendDetailDTO: rows.map((m) => ({ PhoneNum: m.phone, SendStatus: 3, ErrCode: 'DELIVERED', TemplateCode: m.template, Content: JSON.stringify(m.params), OutId: m.reference })) },
        });
      }
      default:
        return answer(404, { Code: 'InvalidAction.NotFound', Message: `${action} is not an action here` });
    }
  }

  async #tencent(req: IncomingMessage, body: string, res: ServerResponse): Promise<void> {
    const answer = (json: object): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ Response: { RequestId: randomUUID(), ...json } }));
    const refuse = (Code: string, Message: string) => answer({ Error: { Code, Message } });
    const auth = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d\d-\d\d)\/([^/]+)\/tc3_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(req.headers.authorization ?? '');
    const timestamp = Number(req.headers['x-tc-timestamp']);
    let problem: string | undefined;
    if (!auth) problem = 'AuthFailure.InvalidAuthorization';
    else {
      const [, id, date, service, signedHeaders, signature] = auth;
      // The SDK signs the host without its port (new URL().hostname); a public endpoint has none.
      const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
      const canonicalHeaders = signedHeaders!
        .split(';')
        .map((h) => `${h}:${h === 'host' ? host : String(req.headers[h] ?? '')}\n`)
        .join('');
      const canonicalRequest = ['POST', '/', '', canonicalHeaders, signedHeaders, sha256(body)].join('\n');
      const scope = `${date}/${service}/tc3_request`;
      const toSign = ['TC3-HMAC-SHA256', String(timestamp), scope, sha256(canonicalRequest)].join('\n');
      const key = hmac(hmac(hmac(`TC3${this.keys.secret}`, date!), service!), 'tc3_request');
      const expected = createHmac('sha256', key).update(toSign).digest('hex');
      if (id !== this.keys.id) problem = 'AuthFailure.SecretIdNotFound';
      else if (signature !== expected) problem = 'AuthFailure.SignatureFailure';
      else if (new Date(timestamp * 1000).toISOString().slice(0, 10) !== date || Math.abs(timestamp * 1000 - Date.now()) > 5 * 60_000) problem = 'AuthFailure.SignatureExpire';
    }
    if (problem) {
      this.signatureFailures.push(problem);
      return refuse(problem, 'the signature does not match');
    }
    const action = String(req.headers['x-tc-action'] ?? '');
    const params = JSON.parse(body) as Record<string, unknown>;
    const failure = this.#count(action);
    if (this.#fail(failure, res, refuse)) return;
    const phoneOf = (p: unknown) => String(p).replace(/^\+86/, '');
    switch (action) {
      case 'SendSms': {
        const phone = phoneOf((params.PhoneNumberSet as string[])[0]);
        const m = this.#record({ provider: 'tencent', action, phone, template: String(params.TemplateId), params: params.TemplateParamSet, reference: String(params.SessionContext ?? ''), messageId: `${Date.now()}:${randomUUID().slice(0, 8)}` });
        return answer({ SendStatusSet: [{ SerialNo: m.messageId, PhoneNumber: `+86${phone}`, Fee: 1, SessionContext: m.reference, Code: 'Ok', Message: 'send success', IsoCode: 'CN' }] });
      }
      case 'SendTtsVoice': {
        const m = this.#record({ provider: 'tencent', action, phone: phoneOf(params.CalledNumber), template: String(params.TemplateId), params: params.TemplateParamSet, reference: String(params.SessionContext ?? ''), messageId: randomUUID() });
        return answer({ SendStatus: { CallId: m.messageId, SessionContext: m.reference } });
      }
      case 'PullSmsSendStatusByPhoneNumber': {
        const phone = phoneOf(params.PhoneNumber);
        const rows = this.sent.filter((m) => m.provider === 'tencent' && m.action === 'SendSms' && m.phone === phone);
        return answer({
          PullSmsSendStatusSet: rows.map((m) => ({ UserReceiveTime: Math.floor(m.at / 1000), CountryCode: '86', SubscriberNumber: phone, PhoneNumber: `+86${phone}`, SerialNo: m.messageId, ReportStatus: 'SUCCESS', Description: '用户短信送达成功', SessionContext: m.reference })),
        });
      }
      default:
        return refuse('InvalidAction', `${action} is not an action here`);
    }
  }

  /** The provider's delivery-receipt callback for `messages`, in its documented shape, posted to `url`. */
  async pushReceipts(url: string, messages: SentMessage[], delivered = true): Promise<{ status: number; body: unknown }> {
    const beijing = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
    const provider = messages[0]!.provider;
    const voice = messages[0]!.action !== 'SendSms';
    let body: unknown;
    if (provider === 'aliyun') {
      body = voice
        ? messages.map((m) => ({ status_code: delivered ? '200000' : '200005', status_msg: delivered ? '用户听完语音' : '用户未接听', call_id: m.messageId, out_id: m.reference, start_time: beijing(m.at), end_time: beijing(m.at + 20_000), duration: '20' }))
        : messages.map((m) => ({ phone_number: m.phone, send_time: beijing(m.at), report_time: beijing(m.at + 3000), success: delivered, err_code: delivered ? 'DELIVERED' : 'MK:0001', err_msg: delivered ? '用户接收成功' : '停机', sms_size: '1', biz_id: m.messageId, out_id: m.reference }));
    } else {
      body = voice
        ? { voiceprompt_callback: { result: delivered ? '0' : '1', accept_time: String(Math.floor(m0(messages).at / 1000)), callid: m0(messages).messageId, end_calltime: String(Math.floor(m0(messages).at / 1000) + 20), fee: '1', mobile: m0(messages).phone, nationcode: '86', start_calltime: String(Math.floor(m0(messages).at / 1000)) } }
        : messages.map((m) => ({ user_receive_time: beijing(m.at + 3000), nationcode: '86', mobile: m.phone, report_status: delivered ? 'SUCCESS' : 'FAIL', errmsg: delivered ? 'DELIVRD' : 'MK:0001', description: delivered ? '用户短信送达成功' : '停机', sid: m.messageId }));
    }
    return post(url, body);
  }

  /** A phone's SMS to the office's number, as the provider's inbound callback posts it to `url`. */
  async pushInbound(url: string, provider: 'aliyun' | 'tencent', from: string, text: string, at = Date.now(), sequenceId = Math.floor(at / 1000) * 1000 + Math.floor(Math.random() * 1000)): Promise<{ status: number; body: unknown }> {
    const beijing = new Date(at + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
    const body =
      provider === 'aliyun'
        ? [{ phone_number: from, send_time: beijing, content: text, sign_name: '康县民政', dest_code: '1234', sequence_id: sequenceId }]
        : { extend: '', mobile: from, nationcode: '86', sign: '康县民政', text, time: Math.floor(at / 1000) };
    return post(url, body);
  }
}

const m0 = (messages: SentMessage[]) => messages[0]!;

async function post(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, body: parsed };
}
