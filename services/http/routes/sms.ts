import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ProviderError, type CallbackKind, type NotifyProvider } from '../../../infra/notify/types.js';
import type { InboxRow } from '../../../projections/inbox.js';
import type { SmsDesk } from '../../alerts/sms-desk.js';
import { readPrefix } from '../context.js';
import type { ApiDeps } from '../deps.js';
import { HttpError, notFound } from '../errors.js';
import { listQuery, page } from '../schemas.js';
import { UnitCode } from '../../../domain/vocabulary.js';

export interface SmsLine {
  provider: NotifyProvider;
  desk: SmsDesk;
  /** The path secret of the callback URLs the office registers with its provider (NOTIFY_CALLBACK_SECRET). */
  callbackSecret: string;
}

const KINDS: readonly CallbackKind[] = ['sms-report', 'voice-report', 'inbound'];

const sameSecret = (given: string, secret: string): boolean => {
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
};

const InboxView = z.looseObject({ id: z.string(), from: z.string(), text: z.string(), outcome: z.enum(['filed', 'unparsed', 'unknown_sender']) });

const inboxView = (row: InboxRow) => ({
  id: row.id,
  provider: row.provider,
  from: row.from,
  text: row.text,
  receivedAt: row.receivedAt,
  sender: row.sender ?? null,
  village: row.village ?? null,
  township: row.township ?? null,
  outcome: row.outcome,
  problem: row.problem ?? null,
  reportId: row.reportId ?? null,
  answered: row.answered ?? null,
  position: row.position,
});

/**
 * The SMS line (SPEC §5): the provider's callbacks (delivery receipts, SMS sent to the office's
 * number), the inbox of inbound SMS for the officers who must read what could not be filed, and
 * the short link an alert SMS carries.
 */
export async function smsRoutes(app: FastifyInstance, deps: ApiDeps & { sms: SmsLine | undefined }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const line = deps.sms;

  // Public: the provider cannot hold a token. The path carries a secret only the office and the
  // provider's console know (compared in constant time); any other path is 404, as if absent.
  r.post(
    '/callbacks/:provider/:secret/:kind',
    {
      schema: {
        hide: true,
        params: z.strictObject({ provider: z.string().max(40), secret: z.string().max(200), kind: z.string().max(40) }),
      },
    },
    async (request, reply) => {
      const { provider, secret, kind } = request.params;
      if (!line || provider !== line.provider.name || !sameSecret(secret, line.callbackSecret) || !KINDS.includes(kind as CallbackKind)) throw notFound('callback');
      let parsed: ReturnType<NotifyProvider['parseCallback']>;
      try {
        parsed = line.provider.parseCallback(kind as CallbackKind, request.body);
      } catch (error) {
        if (error instanceof ProviderError) throw new HttpError(400, 'validation', `body: ${error.message}`, [{ path: 'body', message: error.message }]);
        throw error;
      }
      // Each is recorded before the provider hears 200: on a failure it pushes them again, and
      // receipts and messages are recorded once however often they come.
      for (const receipt of parsed.receipts) await line.desk.receipt(receipt);
      for (const sms of parsed.inbound) await line.desk.receive(sms);
      return reply.code(200).send(line.provider.callbackAnswer);
    },
  );

  r.get(
    '/inbox',
    {
      config: { roles: ['officer', 'head', 'auditor'] },
      schema: {
        tags: ['alerts'],
        summary: 'SMS sent to the office’s number: every one kept, with what came of it (filed, unparsed, unknown sender)',
        querystring: listQuery({ unit: UnitCode.optional(), outcome: z.enum(['filed', 'unparsed', 'unknown_sender']).optional() }),
        response: { 200: page(InboxView) },
      },
    },
    async (request) => {
      const q = request.query;
      const prefix = readPrefix(request, q.unit);
      const state = deps.runner.state('inbox');
      // A number nobody registered belongs to no township: its messages are shown to heads and
      // auditors of any scope, who can find out whose it is (docs/decisions.md).
      const seesUnknown = q.unit === undefined && (request.user.role === 'head' || request.user.role === 'auditor');
      const items: InboxRow[] = [];
      let started = q.after === undefined;
      for (let i = state.order.length - 1; i >= 0 && items.length < q.limit; i--) {
        const row = state.rows.get(state.order[i]!)!;
        if (!started) {
          if (row.id === q.after) started = true;
          continue;
        }
        if (q.outcome && row.outcome !== q.outcome) continue;
        if (row.village ? !row.village.startsWith(prefix) : !seesUnknown) continue;
        items.push(row);
      }
      const last = items.at(-1);
      return { items: items.map(inboxView), next: items.length === q.limit && last ? last.id : null };
    },
  );

  // The short link in an alert SMS. Public, like any link in a text message: the page names a
  // report and holds nothing of it; the officer's own token (kept on the phone) fetches the report.
  r.get(
    '/r/:short',
    { schema: { hide: true, params: z.strictObject({ short: z.string().regex(/^[0-9a-f]{8}$/, 'eight hexadecimal digits') }) } },
    async (request, reply) => {
      const { short } = request.params;
      const matches: string[] = [];
      for (const id of deps.runner.state('reports').rows.keys()) if (id.startsWith(short) && matches.push(id) > 1) break;
      if (matches.length !== 1) throw notFound('report');
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-security-policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'")
        .send(reportPage(matches[0]!));
    },
  );
}

/**
 * The page an alert SMS links to: one report for the officer woken by it — what, where, whom to
 * call, the way there — and the button that acknowledges it. Until the duty console exists (issue
 * 15) this is the whole of it. The token is asked for once and kept on the phone.
 */
function reportPage(reportId: string): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>直通 · 灾情报告</title>
<style>body{font:17px/1.5 system-ui,sans-serif;margin:0;padding:12px;max-width:40em}h1{font-size:1.3em}dt{color:#555;margin-top:.6em}dd{margin:0;font-size:1.1em}
button,input{font-size:1.1em;padding:.5em;margin-top:.6em;width:100%}a.call{display:block;text-align:center;background:#0a6;color:#fff;padding:.6em;border-radius:6px;text-decoration:none;margin-top:.6em}#msg{color:#b00}</style></head>
<body><h1 id="title">灾情报告</h1><p id="msg"></p>
<form id="login" hidden><label>请输入您的值班令牌（只需一次，保存在本机）<input id="token" autocomplete="off"></label><button>打开报告</button></form>
<dl id="report" hidden></dl><a id="call" class="call" hidden>拨打报告人</a><a id="map" class="call" hidden>打开地图导航</a>
<button id="ack" hidden>确认收到，我去处理</button>
<script>
const id=${JSON.stringify(reportId)};const KEY='zhitong.token';
const $=(x)=>document.getElementById(x);const msg=(t)=>{$('msg').textContent=t};
const row=(k,v)=>{if(v===null||v===undefined||v==='')return;const dt=document.createElement('dt');dt.textContent=k;const dd=document.createElement('dd');dd.textContent=v;$('report').append(dt,dd)};
async function load(){const token=localStorage.getItem(KEY);if(!token){$('login').hidden=false;return}
const res=await fetch('/reports/'+id,{headers:{authorization:'Bearer '+token}}).catch(()=>null);
if(!res){msg('网络不通，请稍后再试');return}const body=await res.json();
if(res.status===401){localStorage.removeItem(KEY);$('login').hidden=false;msg(body.message||'令牌无效');return}
if(!res.ok){msg(body.message||'打不开这份报告');return}
$('title').textContent=(body.hazardLabel||'灾情')+'：'+(body.unit&&body.unit.path?body.unit.path.join(' '):body.village);
row('状态',body.status);row('组',body.group);row('报告人',body.reporter.name+' '+body.reporter.phone);row('路线',body.directions);row('情况',body.notes);
row('估计',Object.entries(body.estimate||{}).map(([k,v])=>k+' '+v).join('，'));row('发现时间',body.observedAtLocal||body.observedAt);row('已确认',body.acknowledgements.join('、'));
$('report').hidden=false;$('call').href='tel:'+body.reporter.phone;$('call').hidden=false;
if(body.location){$('map').href='geo:'+body.location.lat+','+body.location.lon;$('map').hidden=false}
$('ack').hidden=body.status==='closed'||body.status==='dismissed'}
$('login').onsubmit=(e)=>{e.preventDefault();localStorage.setItem(KEY,$('token').value.trim());$('login').hidden=true;msg('');load()};
$('ack').onclick=async()=>{const res=await fetch('/reports/'+id+'/acknowledgements',{method:'POST',headers:{authorization:'Bearer '+localStorage.getItem(KEY),'content-type':'application/json'},body:'{}'}).catch(()=>null);
msg(res&&res.ok?'已确认，升级提醒已停止':'未能确认，请再点一次');if(res&&res.ok)load()};
load();
</script></body></html>`;
}
