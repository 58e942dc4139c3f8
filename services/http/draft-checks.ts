import type { ClockName } from '../../domain/clocks.js';
import { figuresInconsistent, type IndicatorSet } from '../../domain/vocabulary.js';
import type { Casualty } from '../../domain/report.js';
import { sharedHouseholdWords, type Draft, type SharedHousehold } from '../../projections/drafts.js';
import type { SaidWarning } from './command-route.js';
import { LOSS_COLUMNS } from './forms.js';

/** What a draft's figures rest on that the people who sign must know (each empty or false when all is well). */
export interface DraftFacts {
  stage: ClockName;
  /** No report counted: every figure is 0. */
  noReports: boolean;
  /** Reports of the county since the start in no incident: their figures count nowhere. */
  unlinked: string[];
  /** Of those, how many tell of people dead, missing or injured, and how many people in all. */
  unlinkedCasualties: { reports: number; people: Partial<Record<Casualty, number>> };
  /** Reports whose 续报 after their verification tell of more casualties than it found. */
  notVerified: string[];
  /** Reports counted by their estimates (not verified household by household). */
  estimated: number;
  /** Households verified in more than one counted report. */
  shared: SharedHousehold[];
  /** The draft's sums: a part above its whole is said. */
  figures: IndicatorSet | undefined;
  /** Each township's sums, by name: a part above its whole in one is said too (the county's total can balance). */
  townships: Array<{ name: string; figures: IndicatorSet }>;
}

/** A draft's facts (projections/drafts.ts draftFor); `figures` only where the figures are the draft's sums, not typed by hand. */
export function draftFacts(
  draft: Pick<Draft, 'stage' | 'unlinked' | 'casualtiesNotVerified' | 'sharedHouseholds'> & { total: Pick<Draft['total'], 'reports' | 'figures'>; townships: ReadonlyArray<{ unit: string | { code: string; name: string }; figures: IndicatorSet }> },
  nameOf: (code: string) => string | undefined = () => undefined,
): DraftFacts {
  return {
    townships: draft.townships.map((x) => ({ name: typeof x.unit === 'string' ? (nameOf(x.unit) ?? x.unit) : x.unit.name, figures: x.figures })),
    stage: draft.stage,
    noReports: draft.total.reports.verified + draft.total.reports.estimated === 0,
    unlinked: (draft.unlinked ?? []).map((r) => r.reportId),
    unlinkedCasualties: (draft.unlinked ?? []).reduce(
      (acc, r) => {
        if (!r.casualties) return acc;
        const people = { ...acc.people };
        for (const [k, v] of Object.entries(r.casualties) as Array<[Casualty, number]>) people[k] = (people[k] ?? 0) + v;
        return { reports: acc.reports + 1, people };
      },
      { reports: 0, people: {} as Partial<Record<Casualty, number>> },
    ),
    notVerified: (draft.casualtiesNotVerified ?? []).map((r) => r.reportId),
    estimated: draft.total.reports.estimated,
    shared: draft.sharedHouseholds ?? [],
    figures: draft.total.figures,
  };
}

/**
 * What to do about a doubt over figures sent at `stage`: after the 核报 nothing more is sent (its
 * rule refuses a submission), so it is explained upward in writing, not corrected (found by a
 * newcomer); undefined before it (a correction is sent).
 */
export function afterFinal(stage: ClockName): { zh: string; en: string } | undefined {
  return stage === 'final' ? { zh: '核报之后不能再报，请核对后按规定向上级书面说明', en: 'nothing can be sent after the final report: check, and explain it in writing to the level above' } : undefined;
}

/**
 * What the statistician is told about a draft (自然灾害情况统计调查制度: figures sent upward are
 * signed for): `before` on the draft, so it is checked before anything is sent (found by a
 * newcomer: a part above its whole, households counted twice and estimates in a 核报 were said only
 * after the 核报 had gone, when nothing more can be sent); `after`, the same facts in the answer to
 * the submission, which goes all the same — a statutory deadline does not wait. Each warning is
 * `{code, message (zh), en, …details}`; one list for both, so the page and the answer never disagree.
 */
export function draftChecks(facts: DraftFacts, when: 'before' | 'after'): SaidWarning[] {
  const before = when === 'before';
  const correct = afterFinal(facts.stage);
  const out: SaidWarning[] = [];
  // Sent as asked (a nil report is a report), but never unremarked: found by a newcomer, a 初报
  // of all zeros went upward for a landslide whose report could not be linked.
  if (facts.noReports) {
    out.push(
      before
        ? {
            code: 'no_reports',
            message: '报送前请注意：这份草稿不含任何报告的数字（本灾害过程没有归入未撤销的报告），所有数字都是 0：如果这不是实情，请先把报告归入本灾害过程',
            en: 'before sending: this draft rests on no report (the incident has no linked report that is not dismissed), so every figure is 0: if that is not so, link the reports first',
          }
        : {
            code: 'no_reports',
            message: `已报送，但这次报送不含任何报告的数字（本灾害过程没有归入未撤销的报告），所有数字都是 0：如果这不是实情，${correct ? correct.zh : '请把报告归入本灾害过程后再报一次更正'}`,
            en: `sent, but it rests on no report (the incident has no linked report that is not dismissed), so every figure is 0: if that is not so, ${correct ? correct.en : 'link the reports and send a correction'}`,
          },
    );
  }
  // Reports of the county since the disaster began that are in no incident count nowhere: a death
  // reported there reaches no figure (found by a newcomer).
  if (facts.unlinked.length > 0) {
    const n = facts.unlinked.length;
    // A death among them is said as one, not counted into "N reports" (found by a newcomer).
    const c = facts.unlinkedCasualties;
    const zhWords: Record<Casualty, string> = { dead: '死亡', missing: '失踪', injured: '受伤' };
    const people = (Object.entries(c.people) as Array<[Casualty, number]>).filter(([, v]) => v > 0);
    const hurtZh = c.reports > 0 ? `，其中 ${c.reports} 份报了人员伤亡（${people.map(([k, v]) => `${zhWords[k]} ${v} 人`).join('、')}）` : '';
    const hurtEn = c.reports > 0 ? `, ${c.reports} of them telling of people ${people.map(([k, v]) => `${k} ${v}`).join(', ')}` : '';
    out.push(
      before
        ? {
            code: 'reports_not_linked',
            message: `报送前请注意：县内另有 ${n} 份报告（灾害开始以后上报、未撤销）没有归入任何灾害过程${hurtZh}，其数字不在这份草稿里：如属本过程，请先归入`,
            en: `before sending: ${n} report(s) of the county filed since the disaster began (not dismissed) are in no incident${hurtEn}, and their figures are not in this draft: if they belong to it, link them first`,
            reports: facts.unlinked,
            ...(c.reports > 0 ? { casualties: c.people } : {}),
          }
        : {
            code: 'reports_not_linked',
            message: `已报送。县内另有 ${n} 份报告（灾害开始以后上报、未撤销）没有归入任何灾害过程${hurtZh}，其数字不在这次报送里：如属本过程，请归入后${correct ? '按规定向上级书面说明' : '在下一次报送中计入'}`,
            en: `sent; but ${n} report(s) of the county filed since the disaster began (not dismissed) are in no incident${hurtEn}, and their figures are not in this submission: if they belong to it, link them ${correct ? 'and explain it in writing to the level above' : 'and they count in the next submission'}`,
            reports: facts.unlinked,
            ...(c.reports > 0 ? { casualties: c.people } : {}),
          },
    );
  }
  // People dead, missing or injured told by a 续报 after a verification are not in the verified
  // figures (found by a newcomer: a third death never reached the 核报).
  if (facts.notVerified.length > 0) {
    const n = facts.notVerified.length;
    out.push(
      before
        ? {
            code: 'casualties_not_verified',
            message: `报送前请注意：其中 ${n} 份报告核查之后的续报报了更多伤亡，不在这份草稿里（按核查的数字计）：请先再入户核查`,
            en: `before sending: ${n} of its reports had follow-ups after their verification telling of more people dead, missing or injured, which are not in this draft (the verified figures count): verify them again first`,
            reports: facts.notVerified,
          }
        : {
            code: 'casualties_not_verified',
            message: `已报送。但其中 ${n} 份报告核查之后的续报报了更多伤亡，没有计入这次报送（按核查的数字计）：请尽快再入户核查，${correct ? correct.zh : '在下一次报送中计入'}`,
            en: `sent; but ${n} of its reports had follow-ups after their verification telling of more people dead, missing or injured, which are not in this submission (the verified figures count): verify them again soon, and ${correct ? correct.en : 'they count in the next submission'}`,
            reports: facts.notVerified,
          },
    );
  }
  // A 核报 rests on household-by-household verification.
  if (facts.stage === 'final' && facts.estimated > 0) {
    const n = facts.estimated;
    out.push(
      before
        ? {
            code: 'estimates_in_final',
            message: `报送前请注意：其中 ${n} 份报告尚未入户核查，核报会按上报的估计计入：核报之后不能再报，请先入户核查`,
            en: `before sending: ${n} of its reports are not verified household by household, and the final report would count them by their estimates: nothing can be sent after it, so verify them first`,
            reports: n,
          }
        : {
            code: 'estimates_in_final',
            message: `已报送核报。但其中 ${n} 份报告尚未入户核查，数字按上报的估计计入：${correct!.zh}`,
            en: `the final report was sent; but ${n} of its reports are not verified household by household, and count by their estimates: ${correct!.en}`,
            reports: n,
          },
    );
  }
  // The totals may count a household twice (found by a newcomer: 受灾人口 16 beside a household
  // ledger of 9 people).
  if (facts.shared.length > 0) {
    const words = sharedHouseholdWords(facts.shared);
    out.push(
      before
        ? { code: 'households_in_several_reports', message: `报送前请注意：${words.zh}：请先核对`, en: `before sending: ${words.en}: check first`, households: facts.shared.length, extraPeople: words.extraPeople }
        : {
            code: 'households_in_several_reports',
            message: `已报送。但${words.zh}：${correct ? `如有重复，${correct.zh}` : '请核对，如有重复，再报一次更正'}`,
            en: `sent; but ${words.en}: ${correct ? `if some are, ${correct.en}` : 'check, and send a correction if some are'}`,
            households: facts.shared.length,
            extraPeople: words.extraPeople,
          },
    );
  }
  // A part above its whole in the sums (the same figures typed by hand are refused; found by a
  // newcomer: 成灾 3.50 above 受灾 1.25 went upward unremarked).
  // In the total, and in each township's row: the county's total can balance while a township's
  // row, sent upward as it is, does not (found by a newcomer: 成灾 4.00 above 受灾 2.00 for one town).
  const places = [...(facts.figures ? [{ name: undefined as string | undefined, figures: facts.figures }] : []), ...(facts.figures ? facts.townships : [])];
  const same = (a: { indicator: string; given: number; wholeGiven: number }, b: { indicator: string; given: number; wholeGiven: number }) =>
    a.indicator === b.indicator && a.given === b.given && a.wholeGiven === b.wholeGiven;
  const found: Array<NonNullable<ReturnType<typeof figuresInconsistent>> & { name: string | undefined }> = [];
  for (const p of places) {
    const o = figuresInconsistent(p.figures);
    // A township whose row is the total's own (one township, or the others silent on it) is said once, as the total.
    if (o && !(found[0]?.name === undefined && found[0] !== undefined && same(found[0], o))) found.push({ ...o, name: p.name });
  }
  const odd = found[0];
  if (odd) {
    const said = (o: (typeof found)[number]) => {
      const part = LOSS_COLUMNS.find((c) => c.indicator === o.indicator)!;
      const whole = LOSS_COLUMNS.find((c) => c.indicator === o.whole)!;
      return {
        zh: `${o.name ? `${o.name}：` : ''}${part.heading}（${o.given}${part.unit}）大于${whole.heading}（${o.wholeGiven}${whole.unit}）`,
        en: `${o.name ? `${o.name}: ` : ''}${o.indicator} (${o.given}) is more than ${o.whole} (${o.wholeGiven})`,
      };
    };
    const fact = `${found.map((o) => said(o).zh).join('；')}，前者是后者的一部分`;
    const factEn = `${found.map((o) => said(o).en).join('; ')}, of which it is part`;
    out.push(
      before
        ? { code: 'figures_inconsistent', message: `报送前请注意：${fact}：请先核对各报告的数字`, en: `before sending: ${factEn}: check the reports' figures first`, field: `figures.${odd.indicator}` }
        : {
            code: 'figures_inconsistent',
            message: `已报送。但${fact}：请核对各报告的数字，${correct ? correct.zh : '核实后再报一次更正'}`,
            en: `sent; but ${factEn}: check the reports' figures, and ${correct ? correct.en : 'send a correction'}`,
            field: `figures.${odd.indicator}`,
          },
    );
  }
  return out;
}
