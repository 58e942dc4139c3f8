import t from 'tap';
import fc from 'fast-check';
import { maskDigitRuns, maskName, yuan } from '../../domain/notice.js';
import type { LedgerRow } from '../../projections/ledger.js';
import { unitsProjection } from '../../projections/units.js';
import { noticeHtml, publicNotice } from '../../services/http/routes/reads.js';

t.test('names are masked as SPEC §8 says', async (t) => {
  t.equal(maskName('张三明'), '张*明');
  t.equal(maskName('欧阳德明'), '欧**明');
  t.equal(maskName('张三'), '张*');
  t.equal(maskName('张'), '*');
  t.equal(maskName('阿依古丽·买买提'), '阿**丽·买*提', 'each part of a name written with ·');
  t.equal(maskName('𠀀𠀁𠀂'), '𠀀*𠀂', 'a character outside the BMP is one character');
  t.equal(maskName(' 李四 '), '李*');
  t.equal(maskName('张\u200b三明'), '张*明', 'an invisible character is no character: masked as the name a reader sees');
});

t.test('digit runs that could be a phone or an ID number are masked in free text', async (t) => {
  t.equal(maskDigitRuns('SP-2026-01'), 'SP-2026-01', 'a fund code stays');
  t.equal(maskDigitRuns('大米 联系13800000000'), '大米 联系***********');
  t.equal(maskDigitRuns('11010519491231002X'), '******************');
  t.equal(maskDigitRuns('138 0000 0000'), '*** **** ****');
  t.equal(yuan(123456), '1234.56');
  t.equal(yuan(5), '0.05');
});

const cjk = fc.integer({ min: 0x4e00, max: 0x9fa5 }).map((c) => String.fromCharCode(c));
const name = fc.oneof(
  fc.array(cjk, { minLength: 2, maxLength: 5 }).map((cs) => cs.join('')),
  fc.tuple(fc.array(cjk, { minLength: 2, maxLength: 4 }), fc.array(cjk, { minLength: 2, maxLength: 4 })).map(([a, b]) => `${a.join('')}·${b.join('')}`),
);
const phone = fc.tuple(fc.constantFrom('13', '15', '17', '18', '19'), fc.stringMatching(/^[0-9]{9}$/)).map(([p, r]) => p + r);
const idNumber = fc.tuple(fc.stringMatching(/^[1-6][0-9]{5}$/), fc.integer({ min: 1930, max: 2020 }), fc.stringMatching(/^(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}[0-9X]$/)).map(([a, y, b]) => `${a}${y}${b}`);
const freeText = fc.oneof(fc.constant('大米'), phone.map((p) => `大米（联系${p}）`), idNumber.map((id) => `户主${id}`), idNumber);

t.test('the notice never holds a full name, a phone number or an ID-card-like number (generated)', async (t) => {
  const units = unitsProjection.initialState();
  await fc.assert(
    fc.property(fc.array(fc.record({ name, item: freeText, fund: freeText, cashFen: fc.integer({ min: 1, max: 10_000_000 }), delivered: fc.boolean() }), { minLength: 1, maxLength: 8 }), (households) => {
      const rows: LedgerRow[] = households.map((h, i) => ({
        allocationId: `a${i}`,
        reportId: 'r',
        village: '621299103201',
        household: { id: `hh-${i}`, name: h.name },
        category: 'emergency_living',
        fund: h.fund,
        cashFen: h.cashFen,
        goods: [{ item: h.item, quantity: 1, unit: '袋' }],
        allocatedBy: 'o',
        allocatedAt: '2026-07-01T00:00:00.000Z',
        repeatReason: undefined,
        approvedBy: 'h',
        approvedAt: '2026-07-01T01:00:00.000Z',
        status: h.delivered ? 'delivered' : 'approved',
        deliveredCashFen: h.delivered ? h.cashFen : 0,
        deliveredGoods: {},
        deliveries: h.delivered ? 1 : 0,
        lastDeliveredAt: h.delivered ? '2026-07-02T00:00:00.000Z' : undefined,
        allocatedPosition: String(i + 1).padStart(16, '0'),
        position: String(i + 1).padStart(16, '0'),
        reviews: [],
        reservedIncident: undefined,
      }));
      const notice = publicNotice(units, rows, '621299103201', null, new Date('2026-07-03T00:00:00Z'));
      for (const text of [JSON.stringify(notice), noticeHtml(notice)]) {
        for (const h of households) if (text.includes(h.name)) return false;
        if (/1[3-9][0-9]{9}/.test(text)) return false;
        if (/[0-9]{17}[0-9X]/.test(text)) return false;
      }
      return notice.items.length === households.length;
    }),
    { numRuns: 300 },
  );
});
