import type { FastifyRequest } from 'fastify';
import { DOMAIN_ERROR_CODES, type DomainErrorCode } from '../../domain/errors.js';
import { exactDecimal, yuan } from '../../domain/notice.js';
import { beijingMinutes, beijingPair } from '../../domain/time.js';
import { TEXT_PROBLEM_MESSAGES } from '../../domain/text.js';
import { GOODS_UNIT_MESSAGE, GOODS_UNIT_NAMES, HOUSEHOLD_ID_MESSAGE, ROLE_NAMES_ZH } from '../../domain/vocabulary.js';
import type { LinkBreak } from '../../infra/eventstore/chain.js';
import { LOSS_COLUMNS } from './forms.js';

/**
 * Every error code's message in Chinese and English (SPEC §9): Chinese by default — village
 * contacts and township staff read Chinese — and English with `Accept-Language: en`. Codes never
 * change with the language. A message may use the error's details (the field, the code, the
 * allocation named); the English one thrown with an error, when there is one, is kept as the more
 * specific English text.
 */
export type Lang = 'zh' | 'en';
type Details = Record<string, unknown>;
type Template = string | ((d: Details) => string);

/** Codes the HTTP layer and the WebSocket gateway answer with, besides the domain's. */
export const TRANSPORT_ERROR_CODES = [
  'validation',
  'bad_request',
  'unauthorized',
  'revoked',
  'forbidden',
  'rate_limited',
  'busy',
  'not_caught_up',
  'not_ready',
  'stream_damaged',
  'store_unavailable',
  'disk_full',
  'event_too_large',
  'precondition_failed',
  'conflict',
  'id_unavailable',
  'body_too_large',
  'unsupported_media_type',
  'client_error',
  'internal',
  'bad_message',
  'bad_position',
  'already_live',
  'token_expired',
  'unavailable',
  'draft_changed',
] as const;
export type ErrorCode = DomainErrorCode | (typeof TRANSPORT_ERROR_CODES)[number];
export const ERROR_CODES: readonly ErrorCode[] = [...DOMAIN_ERROR_CODES, ...TRANSPORT_ERROR_CODES];

const s = (v: unknown) => (v === undefined || v === null ? '' : String(v));
/** Integer fen as yuan with two decimals, exactly (domain/notice.ts `yuan`); anything else as given. */
/**
 * The live allocation a duplicate_relief names, as the ledger has it (services/http/routes/
 * allocations.ts withEarlierRelief): the household as written there — said as matched where the
 * number was typed otherwise — when, how much, and its id; the id alone where the ledger had none.
 */
function earlierRelief(d: Record<string, unknown>, lang: 'zh' | 'en'): string {
  const h = d.household as { id?: unknown; name?: unknown } | undefined;
  if (!h || typeof d.allocatedAt !== 'string') return s(d.allocationId);
  const typedOtherwise = typeof d.typed === 'string' && d.typed !== h.id;
  const when = beijingMinutes(d.allocatedAt);
  return lang === 'zh'
    ? `户号 ${s(h.id)}，户主 ${s(h.name)}${typedOtherwise ? `，即填写的 ${s(d.typed)}` : ''}；北京时间 ${when} 分配 ${yuanText(d.cashFen)} 元；编号 ${s(d.allocationId)}`
    : `household ${s(h.id)}, ${s(h.name)}${typedOtherwise ? `, the one typed as ${s(d.typed)}` : ''}; ${yuanText(d.cashFen)} yuan allocated ${when} Beijing time; ${s(d.allocationId)}`;
}

const yuanText = (fen: unknown) => (typeof fen === 'number' && Number.isSafeInteger(fen) ? yuan(fen) : s(fen));
/** An instant as a person in Gansu reads it (北京时间), for a message. */
/**
 * A time given and the one it is compared with, for a refusal: `[given + ' ', other]`, Beijing
 * time, to the second where they share a minute (`beijingPair`); the given one is left out ('')
 * where the details do not carry it.
 */
const pairOf = (suffix: string) => (given: unknown, other: unknown): [string, string] => {
  if (typeof other !== 'string' || Number.isNaN(Date.parse(other))) return ['', s(other)];
  if (typeof given !== 'string' || Number.isNaN(Date.parse(given))) return ['', `${beijingMinutes(other)} ${suffix}`];
  const [a, b] = beijingPair(given, other);
  return [`${a} `, `${b} ${suffix}`];
};
const pairZh = pairOf('北京时间');
const pairEn = pairOf('Beijing time');
/** Dismissal reasons (ReportDismissed.reason) as a township officer names them. */
export const DISMISSAL_ZH: Record<string, string> = { duplicate: '重复上报', false_alarm: '误报', out_of_scope: '不属本辖区' };
const ROLE_ZH: Record<string, string> = ROLE_NAMES_ZH;
/** A damaged record as a refusal names it (`details.record` of stream_damaged): `报告（id）`. */
const RECORD_ZH: Record<string, string> = { report: '报告', allocation: '救助分配', incident: '灾害过程', roster: '排班表', household: '农户' };
const recordZh = (r: unknown): string => {
  const record = r as { kind?: string; id?: string } | undefined;
  return record?.kind && RECORD_ZH[record.kind] ? `${RECORD_ZH[record.kind]}（${record.id}）` : '该记录';
};
const recordEn = (r: unknown): string => {
  const record = r as { kind?: string; id?: string } | undefined;
  return record?.kind && RECORD_ZH[record.kind] ? `${record.kind} ${record.id}` : 'this record';
};
/** An allocation's status as the ledger names it (SPEC §3). */
const ALLOCATION_STATUS_ZH: Record<string, string> = { allocated: '待审批', approved: '已审批', delivered: '已发放完毕', rejected: '已驳回', cancelled: '已取消' };
const LEVEL_ZH: Record<string, string> = { province: '省', city: '市', county: '县', township: '乡镇', village: '村' };
/** The level a refused field names, for unit_not_found (`county`, `village`, a roster's `townshipCode`). */
const UNIT_OF_FIELD_ZH: Record<string, string> = { county: '县', village: '村', townshipCode: '乡镇' };
/** invalid_unit's rules by the field they refuse: a roster's township, an incident's county, a report of another county, relief's village. */
const ROSTER_IS_A_TOWNSHIPS = '排班表属于乡镇：请填写乡镇的 12 位区划代码（如 621221100000），不是县或村的';
const INVALID_UNIT_ZH: Record<string, string> = {
  township: ROSTER_IS_A_TOWNSHIPS,
  townshipCode: ROSTER_IS_A_TOWNSHIPS,
  county: '灾害过程属于县：county 请填写县级的 12 位区划代码（如 621221000000）',
  reportId: '这份报告来自另一个县，不能归入本县的灾害过程',
  village: '救助的村须是报告所在的村',
};
export const MESSAGES: Record<ErrorCode, { zh: Template; en: Template }> = {
  not_found: { zh: '未找到，或不在您的管辖范围内', en: 'not found, or outside your scope' },
  already_exists: { zh: '已经存在', en: 'already exists' },
  unit_not_found: {
    zh: (d) => `${UNIT_OF_FIELD_ZH[s(d.field)] ?? '行政区划'} ${s(d.code)} 未登记`,
    en: (d) => `unit ${s(d.code)} is not registered`,
  },
  parent_not_found: { zh: (d) => `上级区划 ${s(d.parent)} 未登记，也未在文件中排在前面`, en: (d) => `parent ${s(d.parent)} is neither registered nor listed before it` },
  // One code, four rules (domain/roster.ts, incident.ts, allocation.ts): the Chinese names the rule
  // as the English thrown with it does (found by a newcomer: roster set said only 级别或所属不符合要求).
  invalid_unit: {
    zh: (d) => INVALID_UNIT_ZH[s(d.field)] ?? '行政区划不对：级别或所属不符合要求',
    en: 'the unit is not of the right level or place',
  },
  implausible_centre: { zh: '中心点位置不对：请核对经纬度', en: 'the centre cannot be where the unit is' },
  not_a_village: {
    zh: (d) => `${s(d.code)} 是${LEVEL_ZH[s(d.level)] ?? s(d.level)}${d.name ? `（${s(d.name)}）` : ''}的代码，不是村；请填写村的 12 位区划代码（末三位不是 000）`,
    en: (d) => `${s(d.code)} is a ${s(d.level)}${d.name ? ` (${s(d.name)})` : ''}, not a village: send the village's 12-digit code (its last three digits are not 000)`,
  },
  report_closed: {
    // What to do instead, not only what cannot be done (found by a newcomer: a 续报 of new damage
    // to a closed report bounced with no advice).
    zh: (d) =>
      d.action === 'ack'
        ? '该报告已结案，没有待确认的警报，不需要再接警'
        : d.action === 'amend'
          ? '该报告已结案，不能再续报：如有新的灾情，请另报一条；急事请直接打电话给乡镇'
          : '该报告已结案，不能再修改',
    en: (d) =>
      d.action === 'ack'
        ? 'the report is closed: there is no alert left to acknowledge'
        : d.action === 'amend'
          ? 'the report is closed and takes no follow-up: if there is new damage, file a new report; for anything urgent phone the township'
          : 'the report is closed and can no longer be changed',
  },
  report_dismissed: {
    zh: (d) =>
      d.action === 'field_work'
        ? d.duplicateOf && d.originalStatus
          ? d.sender === 'officer' || d.sender === 'head'
            ? `该报告已作为重复报告撤销，并入的报告 ${s(d.duplicateOf)} 也已${d.originalStatus === 'closed' ? '结案' : '撤销'}，这一条没有地方可以记录：如有新的灾情，请另建一份报告`
            : `该报告已作为重复报告撤销，并入的报告 ${s(d.duplicateOf)} 也已${d.originalStatus === 'closed' ? '结案' : '撤销'}，这一条没有地方可以记录：急事请直接打电话给乡镇${d.townshipPhone ? `（${s(d.townshipPhone)}）` : ''}，需要时请重新上报`
          : d.duplicateOf
          ? `该报告已作为重复报告撤销，已并入报告 ${s(d.duplicateOf)}：续报、接警、派员请发到那份报告；如那份也已结案或撤销，急事请直接打电话给乡镇`
          : `该报告已被撤销${DISMISSAL_ZH[s(d.reason)] ? `（${DISMISSAL_ZH[s(d.reason)]}）` : ''}，不能再续报、接警、派员、核查或结案：${d.sender === 'officer' || d.sender === 'head' ? '如确有灾情，请另建一份报告' : '如确有灾情，请另报一条，并告知乡镇'}`
        : d.action === 'link'
          ? `该报告已被撤销${DISMISSAL_ZH[s(d.reason)] ? `（${DISMISSAL_ZH[s(d.reason)]}）` : ''}，不计入任何统计，不能归入灾害过程`
          : d.action === 'dismiss'
            ? `该报告已经撤销过了${DISMISSAL_ZH[s(d.reason)] ? `（${DISMISSAL_ZH[s(d.reason)]}${d.duplicateOf ? `，与报告 ${s(d.duplicateOf)} 重复` : ''}）` : ''}，撤销不能更改或撤回。如撤销有误，请重新上报这次灾情，并告知负责人`
            : '该报告已被撤销（重复、误报或不属本辖区），不能再分配、审批或发放救助；已分配的请驳回或取消',
    en: (d) =>
      d.action === 'field_work'
        ? d.duplicateOf && d.originalStatus
          ? d.sender === 'officer' || d.sender === 'head'
            ? `the report was dismissed as a duplicate of report ${s(d.duplicateOf)}, which is ${d.originalStatus} too, so this cannot be recorded anywhere: if there is new damage, file a new report`
            : `the report was dismissed as a duplicate of report ${s(d.duplicateOf)}, which is ${d.originalStatus} too, so this cannot be recorded anywhere: for anything urgent phone the township${d.townshipPhone ? ` (${s(d.townshipPhone)})` : ''}, and file a new report if need be`
          : d.duplicateOf
          ? `the report was dismissed as a duplicate of report ${s(d.duplicateOf)}: send follow-ups, acknowledgements and dispatches to that report; if it is closed or dismissed too, phone the township for anything urgent`
          : `the report was dismissed${d.reason ? ` (${s(d.reason)})` : ''}: it takes no further amendment, acknowledgement, dispatch, verification or closure; if there is damage after all, file a new report and tell the township`
        : d.action === 'link'
          ? `the report was dismissed${d.reason ? ` (${s(d.reason)})` : ''}: it counts in no figure and is not linked to an incident`
          : d.action === 'dismiss'
            ? `the report was already dismissed${d.reason ? ` (${s(d.reason)}${d.duplicateOf ? ` of ${s(d.duplicateOf)}` : ''})` : ''}; a dismissal is never changed or undone: if it was wrong, report the hazard again`
            : 'the report was dismissed: relief from it is not allocated, approved or delivered; reject or cancel what was allocated',
  },
  already_acknowledged: { zh: '已有人接警，升级已停止', en: 'the alert was acknowledged; escalation has stopped' },
  stale_escalation: { zh: '升级步骤已过时', en: 'that escalation step is not the next one' },
  not_verified: { zh: '须先入户核查，才能进行此操作', en: 'this follows household-by-household verification' },
  verification_outdated: {
    zh: (d) => `核查之后的续报报了更多伤亡${Array.isArray(d.news) && d.news.length > 0 ? `（${d.news.map((n: { words?: string }) => s(n.words)).join('、')}）` : ''}，比核查的多：请先再入户核查一次，再结案，否则这些伤亡不会计入统计`,
    en: 'a follow-up after the verification reports more people dead, missing or injured than it found: verify again before closing, or they never count',
  },
  household_not_verified: { zh: (d) => `户 ${s(d.householdId)} 不在该报告的核查名单中`, en: (d) => `household ${s(d.householdId)} is not in the verification` },
  no_housing_damage: {
    zh: (d) => `户 ${s(d.householdId)} 在本报告的入户核查中住房未受损，不能从本报告分配倒损住房恢复重建救助（如另一份报告核查到该户住房倒损，请从那份报告分配）`,
    en: (d) => `household ${s(d.householdId)} was verified in this report with no damage to the house: housing relief is not given from it`,
  },
  household_mismatch: { zh: (d) => `该户核查登记的户主是“${s(d.verifiedName)}”，与填写的姓名不符`, en: (d) => `the household was verified as ${s(d.verifiedName)}` },
  duplicate_relief: {
    zh: (d) => {
      const which = earlierRelief(d, 'zh');
      return d.rule === 'window'
        ? `该户 ${s(d.windowDays)} 天内已有同类救助（${which}）；如确需再次救助，请填写 repeatReason 说明原因`
        : d.reportId !== undefined
          ? `该户已从这份报告分配过同类救助（${which}）；如确需再次救助，请填写 repeatReason 说明原因`
          : `该户在本次灾害过程中已有同类救助（${which}）；如确需再次救助，请填写 repeatReason 说明原因`;
    },
    en: (d) => `this household already has live relief of this category (${earlierRelief(d, 'en')}); give a repeatReason to give it again`,
  },
  figures_below_households: {
    zh: (d) => `核查数字与户表不符：${lossColumn(s(d.indicator))?.heading ?? s(d.indicator)}${d.given === undefined ? '未填' : `填了 ${s(d.given)}`}，但按所列受损户至少是 ${s(d.implied)}${lossColumn(s(d.indicator)) ? ` ${lossColumn(s(d.indicator))!.unit}` : ''}`,
    en: (d) => `${s(d.indicator)} is ${d.given === undefined ? 'not given' : s(d.given)}, but the households listed make it at least ${s(d.implied)}`,
  },
  figures_inconsistent: {
    zh: (d) => {
      const part = lossColumn(s(d.indicator));
      const whole = lossColumn(s(d.whole));
      return `数字前后矛盾：${part?.heading ?? s(d.indicator)} ${s(d.given)}${part?.unit ?? ''}，比它所属的${whole?.heading ?? s(d.whole)} ${s(d.wholeGiven)}${whole?.unit ?? ''}还多`;
    },
    en: (d) => `${s(d.indicator)} (${s(d.given)}) is more than ${s(d.whole)} (${s(d.wholeGiven)}), of which it is part`,
  },
  duplicate_household: {
    zh: (d) => (d.as !== undefined && d.as !== d.householdId ? `户 ${s(d.householdId)} 和 ${s(d.as)} 是同一户（户号写法不同），只能填一次` : `户 ${s(d.householdId)} 重复填写`),
    en: (d) => (d.as !== undefined && d.as !== d.householdId ? `households ${s(d.householdId)} and ${s(d.as)} are one household (one number written two ways): list it once` : `household ${s(d.householdId)} is listed twice`),
  },
  duplicate_of_self: { zh: '报告不能是它自己的重复', en: 'a report cannot duplicate itself' },
  duplicate_of_required: { zh: '以重复为由撤销时，须填写 duplicateOf（重复的是哪份报告）', en: 'a duplicate must name the report it duplicates (duplicateOf)' },
  duplicate_of_unknown: {
    zh: (d) => `duplicateOf：没有找到报告 ${s(d.reportId)}，或它不在您的管辖范围内；请填写同一个村里先报的那份报告`,
    en: (d) => `duplicateOf: no report ${s(d.reportId)} you can see; name the earlier report of the same village`,
  },
  duplicate_of_dismissed: {
    zh: (d) =>
      d.duplicateOf !== undefined
        ? `duplicateOf：报告 ${s(d.reportId)} 本身已作为报告 ${s(d.duplicateOf)} 的重复被撤销，请把 duplicateOf 填为 ${s(d.duplicateOf)}`
        : `duplicateOf：报告 ${s(d.reportId)} 已被撤销${DISMISSAL_ZH[s(d.reason)] ? `（${DISMISSAL_ZH[s(d.reason)]}）` : ''}，不计入任何统计；重复报告须指向一份仍有效的报告，否则这次灾情哪里都不计`,
    en: (d) =>
      d.duplicateOf !== undefined
        ? `duplicateOf: report ${s(d.reportId)} was itself dismissed as a duplicate of ${s(d.duplicateOf)}; name ${s(d.duplicateOf)}`
        : `duplicateOf: report ${s(d.reportId)} was dismissed (${s(d.reason)}) and counts nowhere; a duplicate names a report that stands`,
  },
  duplicate_of_other_village: {
    zh: (d) =>
      `duplicateOf：报告 ${s(d.reportId)} 是${d.villageName !== undefined ? `${s(d.villageName)}（${s(d.village)}）` : ` ${s(d.village)} 村`}的，这份报告是${d.thisVillageName !== undefined ? `${s(d.thisVillageName)}（${s(d.thisVillage)}）` : ` ${s(d.thisVillage)} 村`}的：救助只按本村的报告分配，两个村都受灾时各村的报告各自核查，不能互为重复`,
    en: (d) => `duplicateOf: report ${s(d.reportId)} is village ${s(d.village)}'s, this one village ${s(d.thisVillage)}'s; relief follows a report of the household's own village, so each village's report stands`,
  },
  duplicate_of_each_other: {
    zh: (d) => `duplicateOf：报告 ${s(d.reportId)} 已作为这份报告的重复被撤销，这份报告就是这次灾情仍然有效、计入统计的报告，不要再撤销它`,
    en: (d) => `duplicateOf: report ${s(d.reportId)} was already dismissed as a duplicate of this one; this report is the one that stands and counts, do not dismiss it`,
  },
  duplicate_of_unverified: {
    zh: (d) => `duplicateOf：这份报告已入户核查，核查结果只随它计入统计；报告 ${s(d.reportId)} 还没有核查。请把报告 ${s(d.reportId)} 作为这份的重复撤销，不要反过来`,
    en: (d) => `duplicateOf: this report was verified household by household and report ${s(d.reportId)} was not; dismiss that one as a duplicate of this`,
  },
  duplicate_of_unexpected: {
    zh: (d) => `duplicateOf 只在以重复为由撤销时填写；这次撤销的原因是“${DISMISSAL_ZH[s(d.reason)] ?? s(d.reason)}”，请去掉 duplicateOf，或把原因改为重复上报`,
    en: (d) => `duplicateOf is given only with reason duplicate, not ${s(d.reason)}`,
  },
  empty_allocation: { zh: '救助须有现金、物资或两者', en: 'an allocation gives cash, goods or both' },
  empty_delivery: { zh: '发放须有现金、物资或两者', en: 'a delivery hands over cash, goods or both' },
  not_pending: { zh: (d) => `该救助${ALLOCATION_STATUS_ZH[s(d.status)] ?? `当前状态为“${s(d.status)}”`}，不在待审批状态`, en: (d) => `the allocation is ${s(d.status)}, not awaiting approval` },
  not_approved: { zh: '救助须经审批后才能发放', en: 'relief is delivered only after approval' },
  self_approval: { zh: '审批须由另一人进行，不能审批自己录入的救助', en: 'a second person approves relief, never its allocator' },
  review_required: { zh: '这笔救助待复核，须由负责人复核后才能审批或发放', en: 'the allocation is held for review by a head' },
  nothing_to_review: { zh: '这笔救助没有待复核的标记，不需要复核', en: 'the allocation has no review flag' },
  over_delivery: {
    zh: (d) =>
      d.item !== undefined && d.allocated === 0
        ? `这次发放的${s(d.item)}（${s(d.unit)}）不在核定的救助物资里，不能发放`
        : d.item !== undefined
          ? `${s(d.item)}发放将超过核定数量：核定 ${s(d.allocated)} ${s(d.unit)}，已发 ${s(d.delivered)} ${s(d.unit)}${d.asked !== undefined ? `，这次要发 ${s(d.asked)} ${s(d.unit)}，最多还能发 ${exactDecimal(Math.round((Number(d.allocated) - Number(d.delivered)) * 1000), 3).replace(/\.?0+$/, '')} ${s(d.unit)}` : ''}`
          : d.allocatedFen !== undefined
            ? `现金发放将超过核定数额：核定 ${yuanText(d.allocatedFen)} 元，已发 ${yuanText(d.deliveredFen)} 元${d.askedFen !== undefined ? `，这次要发 ${yuanText(d.askedFen)} 元，最多还能发 ${yuanText(Number(d.allocatedFen) - Number(d.deliveredFen))} 元` : ''}`
            : '核定的救助已全部发放，不能再发放',
    en: 'the delivery would exceed what was allocated',
  },
  already_delivered: { zh: '已全部发放，没有可以取消的部分', en: 'everything allocated was delivered; there is nothing left to cancel' },
  allocation_closed: { zh: '该救助已被驳回或取消', en: 'the allocation was rejected or cancelled' },
  explanation_required: {
    zh: (d) => {
      const moves = Array.isArray(d.moves) ? (d.moves as Array<{ indicator: string; from: number; to: number | null }>) : [];
      const named = moves.length > 0
        ? moves.map((m) => `${lossColumn(m.indicator)?.heading ?? m.indicator} ${moveFigure(m.indicator, m.from)}${moveUnit(m.indicator)} → ${m.to === null ? '未填（按 0 计）' : `${moveFigure(m.indicator, m.to)}${moveUnit(m.indicator)}`}`)
        : [d.indicators].flat().filter(Boolean).map((i) => lossColumn(s(i))?.heading ?? s(i));
      return `数据较上次报送变化超过 50%，须填写说明（explanation）：${named.join('；')}`;
    },
    en: (d) => {
      const moves = Array.isArray(d.moves) ? (d.moves as Array<{ indicator: string; from: number; to: number | null }>) : [];
      return `figures moved by more than 50 % since the last submission, so an explanation is needed${moves.length > 0 ? `: ${moves.map((m) => `${m.indicator} ${m.from} → ${m.to ?? '(left out, counted as 0)'}`).join('; ')}` : ''}`;
    },
  },
  incident_closed: { zh: '该灾害过程已结束', en: 'the incident is closed' },
  initial_already_submitted: { zh: '初报已报送', en: 'the initial report (初报) was sent' },
  final_already_submitted: { zh: '核报已报送', en: 'the final report (核报) was sent' },
  initial_not_submitted: { zh: '须先报送初报', en: 'the initial report (初报) comes first' },
  not_stabilized: { zh: '灾情稳定后才能报送核报', en: 'the final report (核报) follows stabilization' },
  already_stabilized: { zh: '灾情已稳定', en: 'the incident is already stabilized' },
  final_not_submitted: { zh: '报送核报后才能结束灾害过程', en: 'an incident closes after its final report (核报)' },
  report_already_linked: { zh: (d) => `该报告已归入另一灾害过程（${s(d.incidentId)}）`, en: (d) => `the report belongs to another incident (${s(d.incidentId)})` },
  report_not_linked: { zh: '该报告未归入此灾害过程', en: 'the report is not linked to this incident' },
  invalid_period: {
    zh: (d) =>
      d.why === 'future'
        ? `${s(d.field)}：这个时间还没到，不能作为数据截至时间`
        : d.why === 'before_start'
          ? `${s(d.field)}：${pairZh(d.asOf, d.startedAt)[0]}早于灾害开始时间（${pairZh(d.asOf, d.startedAt)[1]}），数据不可能截至那时`
          : d.why === 'before_previous'
            ? `${s(d.field)}：${pairZh(d.asOf, d.previousAsOf)[0]}早于上一次报送的截至时间（${pairZh(d.asOf, d.previousAsOf)[1]}），报送只能向后`
            : d.why === 'before_stabilized'
              ? `${s(d.field)}：${pairZh(d.asOf, d.stabilizedAt)[0]}早于灾情稳定时间（${pairZh(d.asOf, d.stabilizedAt)[1]}）：核报报的是灾情稳定后的数字`
            : d.why === 'before_daily'
              ? `at：稳定时间 ${pairZh(d.at, d.dailyAsOf)[0]}早于已报送的续报的数据截至时间（${pairZh(d.at, d.dailyAsOf)[1]}）：续报只报到灾情稳定为止，稳定时间不能早于已报的续报`
              : /^entries\.\d+\.until$/.test(s(d.field))
              ? `${s(d.field)}：值班结束时间须晚于开始时间`
              : d.field === 'startedAt'
                ? 'startedAt：灾害开始时间不能晚于现在'
                : d.field === 'at'
                  ? 'at：稳定时间须在灾害开始之后、现在之前'
                  : '时间不对：开始须早于结束，且不能晚于现在',
    en: (d) =>
      d.why === 'future'
        ? `${s(d.field)}: this time has not come yet, so no figures can stand as of it`
        : d.why === 'before_start'
          ? `${s(d.field)}: ${pairEn(d.asOf, d.startedAt)[0]}is before the incident started (${pairEn(d.asOf, d.startedAt)[1]}), so no figures can stand as of it`
          : d.why === 'before_previous'
            ? `${s(d.field)}: ${pairEn(d.asOf, d.previousAsOf)[0]}is before the previous submission's (${pairEn(d.asOf, d.previousAsOf)[1]}); submissions only go forward`
            : d.why === 'before_stabilized'
              ? `${s(d.field)}: ${pairEn(d.asOf, d.stabilizedAt)[0]}is before the disaster stabilized (${pairEn(d.asOf, d.stabilizedAt)[1]}); the final report (核报) gives the figures as they stood after it`
            : d.why === 'before_daily'
              ? `at: ${pairEn(d.at, d.dailyAsOf)[0]}is before the daily report (续报) already sent as of ${pairEn(d.at, d.dailyAsOf)[1]}; daily reports stop at stabilization, so it cannot come before one`
              : /^entries\.\d+\.until$/.test(s(d.field))
              ? `${s(d.field)}: a shift ends after it starts`
              : d.field === 'startedAt'
                ? 'startedAt: an incident cannot start later than now'
                : d.field === 'at'
                  ? 'at: stabilization comes after the incident started and no later than now'
                  : 'the period is not right: it starts before it ends, and not later than now',
  },
  duplicate_roster_entry: { zh: '同一人在值班表中重复出现', en: 'an officer is listed twice' },
  idempotency_mismatch: {
    zh: (d) =>
      d.reportId && d.why === 'other_sender'
        ? `报告编号 ${s(d.reportId)} 已由另一个人用同样的内容上报过：这份报告已经有了，不用再报；如要补充，请发续报`
        : d.reportId
        ? `报告编号 ${s(d.reportId)} 已用于一份内容不同的报告：如是新报告，请换一个 reportId；如是重发，请发送与第一次相同的内容`
        : d.incidentId
          ? `灾害过程编号 ${s(d.incidentId)} 已用于一份内容不同的请求：如是新的灾害过程，请换一个 incidentId`
          : d.field === 'headers.idempotency-key'
            ? '这个 Idempotency-Key 已用于另一个请求：新的请求请换一个 Idempotency-Key'
            : '该标识已用于另一份不同内容的请求',
    en: 'this key or id was used with another request',
  },
  in_progress: { zh: '使用同一标识的请求正在处理中，请稍后重试', en: 'a request with this key is being processed; retry later' },
  invalid_grant: { zh: '令牌发放或收回的内容不对（一次 1 至 1000 个，有效期 1 秒至 366 天；收回时 sub 与 jti 只填一个）', en: 'the grant or revocation is not right (1 to 1000 at a time, valid 1 second to 366 days; to revoke, give sub or jti, not both)' },

  validation: { zh: '请求内容有误', en: 'the request is not valid' },
  bad_request: { zh: '请求无法解析', en: 'the request cannot be read' },
  // Why the token was not taken (`details.reason`, infra/tokens.ts InvalidTokenError), and what to do:
  // a contact whose link was cut short in a text message was told only "需要有效的登录凭证".
  unauthorized: {
    zh: (d) =>
      d.reason === 'missing'
        ? '需要登录凭证（令牌）：请用发给您的登录链接打开，或在请求头里带上 Authorization: Bearer 令牌'
        : d.reason === 'malformed'
          ? '登录凭证（令牌）不完整或格式不对（复制时可能少了一段）：请重新打开发给您的登录链接'
          : d.reason === 'bad_signature' || d.reason === 'bad_claims'
            ? '登录凭证（令牌）不是本系统发放的，或系统换过密钥：请向乡镇民政办或管理员要一个新的登录链接'
            : '需要有效的登录凭证（令牌）：请向乡镇民政办或管理员要一个新的登录链接',
    en: (d) =>
      d.reason === 'missing'
        ? 'a sign-in token is required: open the sign-in link you were given, or send Authorization: Bearer <token>'
        : d.reason === 'malformed'
          ? 'the sign-in token is incomplete or not a token (part may have been lost when it was copied): open the sign-in link you were given again'
          : d.reason === 'bad_signature' || d.reason === 'bad_claims'
            ? 'the sign-in token was not issued by this system, or its key was changed: ask the township office or an administrator for a new sign-in link'
            : 'a valid sign-in token is required: ask the township office or an administrator for a new sign-in link',
  },
  revoked: { zh: '该令牌已被收回，请联系管理员重新发放', en: 'this token was revoked; ask an administrator for a new one' },
  forbidden: {
    zh: (d) =>
      d.unit && d.sender === 'contact'
        ? `${d.unitName ? `${s(d.unitName)}（${s(d.unit)}）` : s(d.unit)}不是您负责的村（您负责的是${d.scopeName ? `${s(d.scopeName)}` : ` ${s(d.scope)}`}）：请只报本村的灾情；别的村的，请告诉那个村的联络员，或打电话给乡镇`
        : d.unit
        ? `${d.unitName ? `${s(d.unitName)}（${s(d.unit)}）` : s(d.unit)}不在您的管辖范围内（您的范围是${d.scopeName ? `${s(d.scopeName)}，${s(d.scope)}` : ` ${s(d.scope)}`}）${d.field ? `：${s(d.field)}` : ''}`
        : d.role
          ? `您的角色（${ROLE_ZH[s(d.role)] ?? s(d.role)}）不能做此操作${Array.isArray(d.allowed) && d.allowed.length > 0 ? `：须由${d.allowed.map((r) => ROLE_ZH[s(r)] ?? s(r)).join('或')}来做` : ''}`
          : `您的角色或管辖范围不允许此操作${d.field ? `（${s(d.field)}）` : ''}`,
    en: (d) => (Array.isArray(d.allowed) && d.allowed.length > 0 ? `your role (${s(d.role)}) may not do this; ${d.allowed.map(s).join(' or ')} may` : `your role or scope does not allow this${d.field ? ` (${s(d.field)})` : ''}`),
  },
  rate_limited: { zh: '请求过于频繁，请稍后再试', en: 'too many requests; retry later' },
  busy: { zh: '系统繁忙，请稍后重试', en: 'the store is busy; retry shortly' },
  not_caught_up: { zh: '数据正在同步，请稍后重试', en: 'the read side has not caught up yet; retry' },
  not_ready: { zh: '服务尚未就绪', en: 'the service is not ready yet' },
  stream_damaged: {
    zh: (d) =>
      d.field === 'duplicateOf'
        ? `被指为原报告的那份报告（${s(d.reportId)}）在存储中已损坏，须由运维人员从备份恢复；恢复之前不能把别的报告标为它的重复：请另选原报告，或按其他理由处理`
        : `${recordZh(d.record)}在存储中已损坏，恢复之前不能在上面做这一步，须由运维人员从备份恢复；急事不要等：先打电话处理，恢复后再补录`,
    en: (d) =>
      d.field === 'duplicateOf'
        ? `the report named in duplicateOf (${s(d.reportId)}) is damaged in the store: until an operator restores it, no report can be dismissed as its duplicate; name another original, or dismiss for another reason`
        : `${recordEn(d.record)} is damaged in the store and this cannot be done on it until an operator restores it from a backup; for anything urgent, do not wait: handle it by phone, and record it once restored`,
  },
  store_unavailable: { zh: '数据库暂时无法写入或读取，没有保存任何内容，请稍后重试', en: 'the event store is unavailable for now; nothing was saved; retry shortly' },
  disk_full: { zh: '服务器磁盘已满，这次提交没有保存；请稍后重试，并通知运维人员清理磁盘', en: 'the server\u2019s disk is full; nothing was saved; retry later, and tell the operators' },
  event_too_large: { zh: (d) => `这次提交的内容太大（${s(d.bytes)} 字节，上限 ${s(d.limit)} 字节），没有保存；请分成几次提交`, en: (d) => `this write is too large (${s(d.bytes)} bytes; the limit is ${s(d.limit)}); nothing was saved; send it in parts` },
  precondition_failed: { zh: (d) => `数据已被他人更新（当前版本 ${s(d.currentRevision)}），请刷新后再试`, en: (d) => `the record moved on (current revision ${s(d.currentRevision)})` },
  conflict: { zh: '他人同时修改了此记录，请重试', en: 'another write got there first; retry' },
  id_unavailable: { zh: '该编号不能使用，请换一个', en: 'this id cannot be used; choose another' },
  body_too_large: { zh: '提交的内容过大', en: 'the body is too large' },
  unsupported_media_type: { zh: '请以 JSON 格式提交（Content-Type: application/json）', en: 'send JSON (Content-Type: application/json)' },
  client_error: { zh: '请求有误', en: 'the request is not right' },
  internal: { zh: '服务器内部错误，请求编号已记入日志', en: 'internal error; the request id is in the logs' },
  bad_message: { zh: '消息格式不对', en: 'the message is not right' },
  bad_position: { zh: '无法识别的位置，已从当前位置开始推送', en: 'not a position of this log; live from hello' },
  already_live: { zh: 'resume 只在连接后发送一次', en: 'resume is sent once, right after connecting' },
  token_expired: {
    zh: '登录凭证（令牌）已过期：请向乡镇民政办或管理员要一个新的登录链接；急事请直接打电话',
    en: 'your sign-in token has expired: ask the township office or an administrator for a new sign-in link; for anything urgent, phone',
  },
  unavailable: { zh: '暂时无法处理，请再发送一次', en: 'could not be handled now; send it again' },
  draft_changed: { zh: '草稿生成之后数字又有变化：请重新打开草稿，核对后再报送', en: 'the figures changed after the draft was computed: load the draft again and check it before sending' },
};

/** Chinese unless the client's first language is English (`Accept-Language: en`, `en-US`, …). */
export function languageOf(acceptLanguage: string | undefined): Lang {
  const first = (acceptLanguage ?? '').split(',')[0]?.trim().toLowerCase() ?? '';
  return first.startsWith('en') ? 'en' : 'zh';
}
export const requestLanguage = (request: FastifyRequest): Lang => languageOf(request.headers['accept-language']);

/** The message for `code` in `lang`; `english` (the thrown message) is preferred in English. */
export function message(code: string, lang: Lang, details: unknown, english?: string, chinese?: string): string {
  const entry = MESSAGES[code as ErrorCode];
  if (lang === 'en' && english) return english;
  if (lang === 'zh' && chinese) return chinese;
  if (!entry) return english ?? code;
  const template = entry[lang];
  return typeof template === 'function' ? template((details ?? {}) as Details) : template;
}

/** An indicator as the loss form names it, with its unit (人, 间): the form's own columns. */
const lossColumn = (indicator: string) => LOSS_COLUMNS.find((c) => c.indicator === indicator);
/**
 * A figure as a move names it: direct loss is held in whole yuan, so it is said in 万元 as the form
 * asks, exactly (found by a newcomer: 470000 → 1310000万元, ten thousand times too much).
 */
const moveFigure = (indicator: string, value: number) => (lossColumn(indicator)?.kind === 'wanYuan' ? exactDecimal(value, 4).replace(/\.?0+$/, '') : String(value));
const moveUnit = (indicator: string) => lossColumn(indicator)?.unit ?? '';

/** JSON's types as a person names them (zod's `expected`). */
const TYPE_ZH: Record<string, string> = { string: '文本', number: '数字', int: '整数', integer: '整数', boolean: 'true 或 false', object: '对象 {…}', array: '列表 […]', null: 'null', date: '时间' };
const typeZh = (expected: unknown) => TYPE_ZH[s(expected)] ?? s(expected);

/** zod's issue codes as a field's problem, in Chinese. */
const ISSUE_ZH: Record<string, (issue: Record<string, unknown>) => string> = {
  invalid_type: (i) => (i.input === undefined ? '必须填写' : `类型不对（应为${typeZh(i.expected)}）`),
  // A bound that excludes itself (`positive()`: > 0) is said as such: "不能小于 0" for a 0 refused read as a contradiction.
  too_small: (i) =>
    i.origin === 'string' ? `太短（至少 ${s(i.minimum)} 个字）` : i.origin === 'array' ? `太少（至少 ${s(i.minimum)} 项）` : i.inclusive === false ? `太小（须大于 ${s(i.minimum)}）` : `太小（不能小于 ${s(i.minimum)}）`,
  too_big: (i) =>
    i.origin === 'string' ? `太长（最多 ${s(i.maximum)} 个字）` : i.origin === 'array' ? `太多（最多 ${s(i.maximum)} 项）` : i.inclusive === false ? `太大（须小于 ${s(i.maximum)}）` : `太大（不能大于 ${s(i.maximum)}）`,
  invalid_format: (i) => (i.format === 'uuid' ? '须为 UUID' : i.format === 'datetime' ? '须为时间（如 2026-07-01T11:40:00+08:00）' : '格式不对'),
  invalid_value: (i) => `须为以下之一：${[i.values].flat().map(String).join('、')}`,
  unrecognized_keys: (i) => `有不认识的字段：${[i.keys].flat().map(String).join('、')}`,
  not_multiple_of: (i) => `须为 ${s(i.divisor)} 的整数倍`,
  invalid_union: () => '格式不对',
  custom: (i) => s(i.message) || '不对',
};

/**
 * One field's problem in English, from a zod issue: zod's own words where they read well, and
 * what to send instead where they do not ("Invalid ISO datetime" names no format a person knows).
 */
export function issueEn(issue: Record<string, unknown> | undefined, english: string): string {
  if (!issue) return english;
  const code = s(issue.code);
  if (code === 'invalid_format' && issue.format === 'datetime') return 'must be a time, e.g. 2026-07-01T11:40:00+08:00';
  if (code === 'too_small' && issue.origin === 'string' && Number(issue.minimum) === 1) return 'empty';
  if (code === 'invalid_union' && Array.isArray(issue.options) && issue.options.length > 0) return `must be one of ${issue.options.map(String).join(', ')}`;
  return english;
}

/** One field's problem in Chinese, from a zod issue (or its English message when it is not one). */
export function issueZh(issue: Record<string, unknown> | undefined, english: string): string {
  if (!issue) return english;
  const code = s(issue.code);
  // A choice by a discriminator (a WebSocket message's `type`): the names it may be.
  if (code === 'invalid_union' && Array.isArray(issue.options) && issue.options.length > 0) return `须为以下之一：${issue.options.map(String).join('、')}`;
  // Our own custom messages (the well-formed-text rule, a unit code) are written in both languages there.
  if (code === 'custom') {
    // A choice among names (a hazard by its name or its Chinese label): the names are as they are.
    const oneOf = /^must be one of (.+)$/.exec(english);
    // "a, b, c or 甲、乙": the names, then their Chinese labels, each list in Chinese punctuation.
    return CUSTOM_ZH[english] ?? (oneOf ? `须为以下之一：${oneOf[1]!.replace(/, /g, '、').replace(/ or /, '；或中文名称：')}` : english);
  }
  // zod does not keep the input: "received undefined" in its message is how a missing field shows.
  // A pattern with its own message (a phone, a mobile number) says what is expected.
  if (code === 'invalid_format' && CUSTOM_ZH[english]) return CUSTOM_ZH[english];
  if (code === 'invalid_type' && issue.input === undefined && !/received undefined/.test(english)) return `类型不对（应为${typeZh(issue.expected)}）`;
  return ISSUE_ZH[code]?.(issue) ?? english;
}

/** What the router refuses before a route runs (app.ts frameworkErrors), as a field's problem. */
export const URL_TOO_LONG = 'too long: a path parameter is at most 600 characters as sent';
export const URL_MALFORMED = 'not a well-formed address (a broken %-escape)';

/** Custom rules' English messages in Chinese. */
const CUSTOM_ZH: Record<string, string> = {
  [URL_TOO_LONG]: '网址太长：路径中的编号最多 600 个字符（编码后）',
  [URL_MALFORMED]: '网址格式不对：有残缺的 % 编码',
  'must be a 12-digit administrative division code': '须为 12 位行政区划代码',
  'must be a 12-digit division code or its significant prefix': '须为 12 位行政区划代码或其有效前缀',
  'must be a village: a 12-digit code whose last three digits are not 000': '须为村（社区）：12 位代码，且末三位不是 000（乡镇、县的代码不行）',
  'must be a phone number': '须为电话号码',
  'must be a revision (a whole number)': '须为修订号（整数）',
  'must be a number to call back: a mobile (11 digits) or a landline (7–8 digits, or 10–12 with its area code)': '须为能回拨的号码：手机（11 位）或固定电话（7–8 位，或带区号 10–12 位）',
  'must be a mobile number (11 digits starting 13–19) that takes SMS': '须为能收短信的手机号（以 13–19 开头的 11 位数字）',
  'a user id has no @ and no spaces': '用户编号不能含 @ 或空格',
  // Every text problem's words, so a new one is never left in English (found by a newcomer).
  ...Object.fromEntries(Object.values(TEXT_PROBLEM_MESSAGES).map((m) => [m.en, m.zh])),
  [HOUSEHOLD_ID_MESSAGE.en]: HOUSEHOLD_ID_MESSAGE.zh,
  'not valid UTF-8': '不是有效的 UTF-8 文本',
  'not a position of this log': '不是有效的日志位置',
  'not a page cursor': '不是有效的翻页标记',
  'not JSON': '不是有效的 JSON',
  empty: '请求内容为空：请发送 {}，或不带 Content-Type',
  'a time (ISO-8601) or a position': '须为时间（ISO-8601）或日志位置',
  'a time (e.g. 2026-07-01T11:40:00+08:00, or a date 2026-07-01) or a position of the log': '须为时间（如 2026-07-01T11:40:00+08:00，或日期 2026-07-01）或日志位置',
  'a time still to come': '这个时间还没到：只能查询已经过去的时间',
  'a day not yet over (Beijing time): leave out asOf for the figures now, or give a time': '这一天（北京时间）还没过完：要看现在的数字请去掉 asOf，或给出具体时间',
  'past the end of the log': '超出日志末尾：还没有这个位置的记录',
  'must be * or revision numbers': '须为 * 或版本号',
  'the draft changed since': '草稿生成之后数字有变化',
  'a SHA-256 in hex': '须为 64 位十六进制的 SHA-256 值',
  'must be a unit code or its significant prefix': '须为行政区划代码或其有效前缀',
  'not taken here: this request creates': '这里不用 If-Match：这个请求是新建',
  'not taken here': '这里不用 If-Match',
  'name either sub or jti, not both': 'sub 和 jti 只填一个',
  'name sub (a user) or jti (one token)': '须填 sub（收回此人的全部令牌）或 jti（收回一个令牌）',
  'not a position': '不是有效的日志位置',
  'eight hexadecimal digits or more of a report id': '须为报告编号的前 8 位或更多（十六进制数字）',
  'must not be the nil or max UUID': '不能是全 0 或全 f 的 UUID',
  [GOODS_UNIT_MESSAGE]: `不是救灾物资的计量单位：请用 ${GOODS_UNIT_NAMES.join('、')}（kg、千克 等写法也认）`,
  'required unless fromDraft is true': '未使用草稿（fromDraft）时必填',
  'not taken with fromDraft: the draft\u2019s own figures are sent': '使用草稿（fromDraft）时不填：提交的是草稿本身的数字',
  'required with fromDraft: the position the draft was computed at': '使用草稿（fromDraft）时必填：草稿计算时的日志位置',
  'must be 1 to 255 printable ASCII characters': '须为 1 到 255 个可打印 ASCII 字符',
  'an amendment changes at least one of estimate, directions, location, notes': '续报须至少更改估计、路线、位置或备注之一',
  'a change names at least one of centre, accessNotes, phones, complaintPhone': '须至少更改中心坐标、到达路线、电话或监督电话之一',
};

/**
 * A break in a stream's chain (`linkBreak`) at the event of `revision`, in words (SPEC §9: Chinese,
 * English beside it); `prevRevision` is the event's before it, undefined for the first.
 */
export function linkBreakWords(broken: LinkBreak, revision: number, prevRevision: number | undefined): { message: string; en: string; missingRevisions?: [number, number] } {
  switch (broken.kind) {
    case 'missing': {
      const { from, to } = broken;
      const one = from === to;
      return {
        message: `这条之前缺少${one ? `修订号 ${from}` : `修订号 ${from}–${to}`} 的事件：被删除或移走了。GET /audit/verify 说出它原在日志的哪个位置`,
        en: `revision${one ? ` ${from} is` : `s ${from}–${to} are`} missing before this event: deleted or moved. GET /audit/verify says where in the log`,
        missingRevisions: [from, to],
      };
    }
    case 'order':
      return { message: `修订号 ${revision} 排在修订号 ${prevRevision} 之后：事件的顺序被改动过`, en: `revision ${revision} comes after revision ${prevRevision}: the order of events was changed` };
    case 'unchained':
      return prevRevision === undefined
        ? { message: '第一条事件没有从链的起点开始：它之前的历史被改动过', en: 'the first event does not start the chain: the history before it was changed' }
        : { message: `没有接上前一条事件（修订号 ${prevRevision}）的哈希：前一条或这一条被改动过`, en: `this event does not chain to the hash of revision ${prevRevision}: that one or this one was changed` };
    default: {
      const never: never = broken;
      return never;
    }
  }
}

/**
 * A stream's chain break as an answer names it, in `lang` (SPEC §9): the revision of the event
 * after the break, the missing revisions where that is why, and the problem in words. One shape
 * for the 409 `stream_damaged` details and a view's `damage` field.
 */
export function damageDetails(damage: { revision: number; prevRevision: number | undefined; link: LinkBreak }, lang: Lang): { revision: number; missingRevisions?: [number, number]; problem: string } {
  const words = linkBreakWords(damage.link, damage.revision, damage.prevRevision);
  return { revision: damage.revision, ...(words.missingRevisions ? { missingRevisions: words.missingRevisions } : {}), problem: lang === 'en' ? words.en : words.message };
}

/** The node's last verification of the whole log, when it found problems (services/audit/integrity.ts). */
export interface BrokenLog {
  /** Problems found (at least 1). */
  problems: number;
  /** When that check finished (ISO-8601 UTC). */
  checkedAt: string;
  /** The streams its problems name, where it named any. */
  streams?: readonly string[] | undefined;
}

/** The response header every answer carries while the log is known broken: `broken; problems=N; checked-at=ISO`. */
export const LOG_INTEGRITY_HEADER = 'zhitong-log-integrity';
export const logIntegrityHeader = (log: BrokenLog): string => `broken; problems=${log.problems}; checked-at=${log.checkedAt}`;

/**
 * What a read says beside its figures while the log is known broken (SPEC §8). Lists, tallies, the
 * ledger, notices and forms are folded from what is left in the file, so a deleted approval or
 * delivery is simply missing from them, with nothing to say so (found by a newcomer: only /ready and
 * /audit/verify told). Who reads them gives relief and sends figures upward: told to have it
 * checked first. Names no stream: the problem's place is for GET /audit/verify, which an auditor reads.
 */
export function logWarning(log: BrokenLog, lang: Lang, on: 'answer' | 'paper' = 'answer'): string {
  const at = beijingMinutes(log.checkedAt);
  // On paper (forms, the village notice) an API path means nothing to whoever reads it.
  const how = on === 'answer' ? { zh: '（GET /audit/verify）', en: ' (GET /audit/verify)' } : { zh: '', en: '' };
  return lang === 'en'
    ? `the log failed verification (${log.problems} problem(s) found at ${at}, Beijing time): history may have been changed, so what is shown here may lack records or hold altered ones. Have an auditor check it${how.en} before giving relief or sending figures on`
    : `日志校验未通过（北京时间 ${at} 查出 ${log.problems} 处问题）：历史记录可能被删改，这里显示的内容可能缺少记录或含有被改动的记录。发放救助或上报数字之前，请先交审计人员核对${how.zh}`;
}
