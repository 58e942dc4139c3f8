import { exactDecimal } from '../../domain/notice.js';
import { beijingMinutes } from '../../domain/time.js';
import type { Indicator } from '../../domain/vocabulary.js';
import { escapeHtml } from './html.js';
import { type Draft, type DraftRosterEntry, type DraftUnit } from '../../projections/drafts.js';
import { draftChecks, draftFacts } from './draft-checks.js';
import { positionForPeople } from '../../domain/audit.js';

/** A draft with the names a form prints: units by name and path, the incident's title and hazard. */
export interface NamedDraft extends Omit<Draft, 'total' | 'townships' | 'roster' | 'relief'> {
  total: Omit<DraftUnit, 'unit'> & { unit: { code: string; name: string } };
  townships: Array<Omit<DraftUnit, 'unit'> & { unit: { code: string; name: string } }>;
  /** Absent only for a submission typed by hand, which sent its loss figures alone. */
  relief?: Draft['relief'];
  roster?: Array<Omit<DraftRosterEntry, 'village'> & { village: { code: string; name: string; path: string[] } }>;
  title: string;
  hazardLabel: string;
  asOf: string | null;
  generatedAt: string;
  /**
   * A submission already sent, as it was sent (its 1-based number among the incident's
   * submissions, when it was recorded, and where its figures came from); absent for a draft.
   */
  submitted?: { index: number; at: string; position: string; source: 'draft' | 'hand'; asOf: string; logBroken?: { problems: number; checkedAt: string } };
  /**
   * Set while the node's last verification found the log changed (services/http/messages.ts
   * `logWarning`): printed first, so figures from a tampered log are not signed and sent unread.
   */
  logWarning?: string;
}

const STAGE = { initial: '初报', daily: '续报', final: '核报' } as const;
const DAMAGE = { collapsed: '倒塌', severe: '严重损坏', moderate: '一般损坏' } as const;

type Kind = 'count' | 'hectares' | 'wanYuan';
/**
 * The loss form's columns (自然灾害损失情况统计快报表), in the statistics rules' terms and units.
 * Hectares keep the schema's two decimals; 直接经济损失 is asked in 万元 and held in whole yuan, so
 * it is written with four decimals: exact, never a float's rounding.
 */
export const LOSS_COLUMNS: ReadonlyArray<{ indicator: Indicator; heading: string; unit: string; kind: Kind }> = [
  { indicator: 'affectedPeople', heading: '受灾人口', unit: '人', kind: 'count' },
  { indicator: 'dead', heading: '死亡人口', unit: '人', kind: 'count' },
  { indicator: 'missing', heading: '失踪人口', unit: '人', kind: 'count' },
  { indicator: 'injured', heading: '受伤人口', unit: '人', kind: 'count' },
  { indicator: 'evacuated', heading: '紧急转移安置人口', unit: '人', kind: 'count' },
  { indicator: 'needEmergencyAid', heading: '需紧急生活救助人口', unit: '人', kind: 'count' },
  { indicator: 'roomsCollapsed', heading: '倒塌房屋', unit: '间', kind: 'count' },
  { indicator: 'roomsSeverelyDamaged', heading: '严重损坏房屋', unit: '间', kind: 'count' },
  { indicator: 'roomsModeratelyDamaged', heading: '一般损坏房屋', unit: '间', kind: 'count' },
  { indicator: 'cropAffectedHa', heading: '农作物受灾面积', unit: '公顷', kind: 'hectares' },
  { indicator: 'cropDamagedHa', heading: '农作物成灾面积', unit: '公顷', kind: 'hectares' },
  { indicator: 'cropFailedHa', heading: '农作物绝收面积', unit: '公顷', kind: 'hectares' },
  { indicator: 'livestockLost', heading: '死亡牲畜', unit: '头', kind: 'count' },
  { indicator: 'directLossYuan', heading: '直接经济损失', unit: '万元', kind: 'wanYuan' },
];

function cell(kind: Kind, value: number | undefined): string {
  const v = value ?? 0;
  switch (kind) {
    case 'count':
      return String(v);
    case 'hectares':
      return exactDecimal(Math.round(v * 100), 2);
    case 'wanYuan':
      return exactDecimal(v, 4);
    default: {
      const never: never = kind;
      return never;
    }
  }
}

/** One table of the forms: a title, headings and rows of text, the same in every format. */
interface Table {
  title: string;
  headings: string[];
  rows: string[][];
}

/**
 * The forms of one submission as tables (issue 16): the loss form by township and in total, the
 * relief-work form (万元 from integer fen with six decimals: exact), and at `final` the roster of
 * damaged households (因灾倒塌损坏住房户台账), names as the verifier recorded them.
 */
export function formTables(d: NamedDraft): { header: Array<[string, string]>; tables: Table[] } {
  const header: Array<[string, string]> = [
    ...(d.logWarning ? [['注意', d.logWarning] as [string, string]] : []),
    // A draft's checks, each on a line of its own above the figures: the person who signs as 审核人
    // reads what the page says before sending (found by a newcomer: the paper named one of five).
    ...(d.submitted ? [] : draftChecks(draftFacts(d), 'before').map((w) => ['注意', w.message.replace(/^报送前请注意：/, '')] as [string, string])),
    ['填报单位', d.total.unit.name],
    ['灾害过程', d.title],
    ['灾种', d.hazardLabel],
    ['报送阶段', STAGE[d.stage]],
    // A draft printed and a submission printed must not be mistaken for each other at a signing.
    ['状态', d.submitted ? `已报送（第 ${d.submitted.index} 次报送，${beijing(d.submitted.at)} 北京时间${d.submitted.source === 'hand' ? '，手工填报' : ''}）` : '草稿（尚未报送）'],
    ['数据截至（日志位置）', d.asOf ? positionForPeople(d.asOf) : '—'],
    ...(d.submitted ? [['数据截至（北京时间）', beijing(d.submitted.asOf)] as [string, string]] : []),
    ...(d.submitted?.logBroken ? [['报送时日志校验', `未通过（北京时间 ${beijing(d.submitted.logBroken.checkedAt)} 查出 ${d.submitted.logBroken.problems} 处问题）：报送的数字可能缺少记录或含有被改动的记录`] as [string, string]] : []),
    ['生成时间（北京时间）', beijing(d.generatedAt)],
  ];
  const lossRow = (u: NamedDraft['total'], label: string) => [label, ...LOSS_COLUMNS.map((c) => cell(c.kind, u.figures[c.indicator])), `${u.reports.verified}/${u.reports.estimated}`];
  const tables: Table[] = [
    {
      title: '自然灾害损失情况统计快报表',
      headings: ['单位', ...LOSS_COLUMNS.map((c) => `${c.heading}（${c.unit}）`), '报告数（核实/估计）'],
      rows: [...d.townships.map((t) => lossRow(t, t.unit.name)), lossRow(d.total, `${d.total.unit.name}合计`)],
    },
  ];
  if (d.relief) {
    tables.push({
      title: '救灾工作情况统计快报表',
      headings: ['项目', '数量', '单位'],
      rows: [
        ['已分配救助资金', exactDecimal(d.relief.cashAllocatedFen, 6), '万元'],
        ['已审批救助资金', exactDecimal(d.relief.cashApprovedFen, 6), '万元'],
        ['已发放救助资金', exactDecimal(d.relief.cashDeliveredFen, 6), '万元'],
        ['救助户数', String(d.relief.households), '户'],
        ['已发放到户', String(d.relief.householdsReached), '户'],
        ...d.relief.goodsDelivered.map((g) => [`已发放物资：${g.item}`, String(g.quantity), g.unit]),
      ],
    });
  }
  if (d.roster) {
    tables.push({
      title: '因灾倒塌损坏住房户台账',
      headings: ['序号', '乡镇', '村', '户号', '户主姓名', '受损程度', '人口（人）'],
      rows: d.roster.map((e, i) => [String(i + 1), e.village.path[1] ?? '', e.village.name, e.householdId, e.name, DAMAGE[e.damage], String(e.people)]),
    });
  }
  return { header, tables };
}

const beijing = beijingMinutes;

/**
 * RFC 4180 field: quoted when it holds a comma, a quote or a line break. Text a spreadsheet would
 * take for a formula (=, +, -, @, or a tab or CR first) gets a leading apostrophe, which Excel and
 * WPS show as text (OWASP "CSV injection"): a household's name or number is typed by whoever
 * verifies, and the form is opened on the county's office PC (found by a newcomer:
 * `=HYPERLINK(…)` as a head's name). Figures are never negative, so a number is never touched.
 */
export const csvField = (raw: string) => {
  const text = /^[=+\-@\t\r]/.test(raw) && !/^-?\d+(\.\d+)?$/.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/**
 * The forms as one CSV file: UTF-8 with a byte-order mark (Excel on a Chinese Windows reads a CSV
 * without one as GBK and shows mojibake), CRLF line ends, a blank line between the forms.
 */
export function formsCsv(d: NamedDraft): string {
  const { header, tables } = formTables(d);
  const lines: string[] = header.map(([k, v]) => [k, v].map(csvField).join(','));
  for (const table of tables) {
    lines.push('', csvField(table.title), table.headings.map(csvField).join(','));
    for (const row of table.rows) lines.push(row.map(csvField).join(','));
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** The forms as an Excel workbook: one sheet per form, figures as numbers, headings in Chinese. */
export async function formsXlsx(d: NamedDraft): Promise<Buffer> {
  const { header, tables } = formTables(d);
  // Loaded on first use: exceljs is 170 files (and jszip, pako, bluebird…), a fifth of the
  // modules a node would otherwise load at every start (the province bench's profile).
  const { default: ExcelJS } = await import('exceljs');
  const book = new ExcelJS.Workbook();
  book.creator = 'zhitong';
  // Fixed, so the same draft gives the same file.
  book.created = new Date(d.generatedAt);
  book.modified = new Date(d.generatedAt);
  for (const table of tables) {
    const sheet = book.addWorksheet(table.title.slice(0, 31));
    for (const [k, v] of header) sheet.addRow([k, v]);
    sheet.addRow([]);
    sheet.addRow([table.title]).font = { bold: true, size: 14 };
    sheet.addRow(table.headings).font = { bold: true };
    for (const row of table.rows) sheet.addRow(row.map((v, i) => (i > 0 && /^-?\d+(\.\d+)?$/.test(v) && !(table.title.includes('台账') && i === 3) ? Number(v) : v)));
    sheet.columns.forEach((c) => (c.width = 14));
  }
  return Buffer.from(await book.xlsx.writeBuffer());
}


/** The forms as a page to print and sign: A4 landscape, the tables as in the CSV. */
export function formsHtml(d: NamedDraft): string {
  const { header, tables } = formTables(d);
  const table = (t: Table) => `<h2>${escapeHtml(t.title)}</h2>
<table><thead><tr>${t.headings.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>
<tbody>${t.rows.length ? t.rows.map((r) => `<tr>${r.map((v, i) => `<td${i > 0 && /^-?\d+(\.\d+)?$/.test(v) ? ' class="num"' : ''}>${escapeHtml(v)}</td>`).join('')}</tr>`).join('\n') : `<tr><td colspan="${t.headings.length}">（无）</td></tr>`}</tbody></table>`;
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(d.title)} · ${STAGE[d.stage]}</title>
<style>body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1em;color:#000}table{border-collapse:collapse;margin-bottom:1em}th,td{border:1px solid #333;padding:3px 6px;font-size:13px}td.num{text-align:right}td:first-child{white-space:nowrap}dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dt{font-weight:bold}dd{margin:0}.sign{margin-top:2em}@page{size:A4 landscape;margin:1cm}</style>
</head><body>
<h1>${escapeHtml(d.title)}（${STAGE[d.stage]}）</h1>
<dl>${header.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>
${tables.map(table).join('\n')}
<p class="sign">填表人：＿＿＿＿＿＿　审核人：＿＿＿＿＿＿　单位负责人：＿＿＿＿＿＿</p>
</body></html>
`;
}
