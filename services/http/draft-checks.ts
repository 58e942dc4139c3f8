import type { ClockName } from '../../domain/clocks.js';
import { figuresInconsistent, type IndicatorSet } from '../../domain/vocabulary.js';
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
  /** Reports whose 续报 after their verification tell of more casualties than it found. */
  notVerified: string[];
  /** Reports counted by their estimates (not verified household by household). */
  estimated: number;
  /** Households verified in more than one counted report. */
  shared: SharedHousehold[];
  /** The draft's sums: a part above its whole is said. */
  figures: IndicatorSet | undefined;
}

/** A draft's facts (projections/drafts.ts draftFor); `figures` only where the figures are the draft's sums, not typed by hand. */
export function draftFacts(draft: Pick<Draft, 'stage' | 'unlinked' | 'casualtiesNotVerified' | 'sharedHouseholds'> & { total: Pick<Draft['total'], 'reports' | 'figures'> }): DraftFacts {
  return {
    stage: draft.stage,
    noReports: draft.total.reports.verified + draft.total.reports.estimated === 0,
    unlinked: (draft.unlinked ?? []).map((r) => r.reportId),
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
    out.push(
      before
        ? {
            code: 'reports_not_linked',
            message: `报送前请注意：县内另有 ${n} 份报告（灾害开始以后上报、未撤销）没有归入任何灾害过程，其数字不在这份草稿里：如属本过程，请先归入`,
            en: `before sending: ${n} report(s) of the county filed since the disaster began (not dismissed) are in no incident, and their figures are not in this draft: if they belong to it, link them first`,
            reports: facts.unlinked,
          }
        : {
            code: 'reports_not_linked',
            message: `已报送。县内另有 ${n} 份报告（灾害开始以后上报、未撤销）没有归入任何灾害过程，其数字不在这次报送里：如属本过程，请归入后${correct ? '按规定向上级书面说明' : '在下一次报送中计入'}`,
            en: `sent; but ${n} report(s) of the county filed since the disaster began (not dismissed) are in no incident, and their figures are not in this submission: if they belong to it, link them ${correct ? 'and explain it in writing to the level above' : 'and they count in the next submission'}`,
            reports: facts.unlinked,
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
  const odd = facts.figures ? figuresInconsistent(facts.figures) : undefined;
  if (odd) {
    const part = LOSS_COLUMNS.find((c) => c.indicator === odd.indicator)!;
    const whole = LOSS_COLUMNS.find((c) => c.indicator === odd.whole)!;
    const fact = `${part.heading}（${odd.given}${part.unit}）大于${whole.heading}（${odd.wholeGiven}${whole.unit}），前者是后者的一部分`;
    const factEn = `${odd.indicator} (${odd.given}) is more than ${odd.whole} (${odd.wholeGiven}), of which it is part`;
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
