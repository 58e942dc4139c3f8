import fc from 'fast-check';
import t from 'tap';
import { maskIdNumbers } from '../../domain/vocabulary.js';

/** A resident ID number written into a delivery's reference is kept as its region and last four digits (found by a newcomer). */
t.test('ID numbers in free text, each way an officer writes one', async (t) => {
  const cases: Array<[string, string]> = [
    ['身份证 620000199001011234', '身份证 620000********1234'],
    ['620000199001011234', '620000********1234'],
    ['62000019900101123X 已核对', '620000********123X 已核对'],
    ['62000019900101123x', '620000********123x'],
    ['身份证号：６２００００１９９００１０１１２３４', '身份证号：620000********1234'],
    ['旧证 620000900101123', '旧证 620000*****1123'],
    ['两人：620000199001011234，620000199202021235', '两人：620000********1234，620000********1235'],
  ];
  for (const [typed, kept] of cases) t.equal(maskIdNumbers(typed), kept, typed);
  // What is not an ID number is left alone.
  for (const text of ['P-1', '签字 王建国', '手印照片 17', '13800000000', '收据 2026-07-01-0001', 'A620000199001011234', '6200001990010112345']) t.equal(maskIdNumbers(text), text, text);
});

t.test('no whole ID number survives, and masking twice changes nothing', async (t) => {
  const id18 = fc.tuple(fc.stringMatching(/^\d{17}$/), fc.constantFrom(...'0123456789X')).map(([a, b]) => a + b);
  const filler = fc.string({ maxLength: 12 }).map((s) => s.replace(/[0-9A-Za-z０-９Ｘｘ]/g, ''));
  fc.assert(
    fc.property(filler, id18, filler, (before, id, after) => {
      const masked = maskIdNumbers(`${before}${id}${after}`);
      return !masked.includes(id) && masked.includes(`${id.slice(0, 6)}********${id.slice(-4)}`) && maskIdNumbers(masked) === masked;
    }),
  );
});

t.test('grouped by spaces or hyphens, as it is often written (found by a newcomer)', async (t) => {
  t.equal(maskIdNumbers('620523 19800101 1234'), '620523********1234');
  t.equal(maskIdNumbers('620523-1980-0101-1234'), '620523********1234');
  t.equal(maskIdNumbers('身份证：620523 1980 0101 123X 已核'), '身份证：620523********123X 已核');
  t.equal(maskIdNumbers('138 0000 0000'), '138 0000 0000', 'a phone number grouped the same way is not one');
  t.equal(maskIdNumbers('2026-07-01-0001'), '2026-07-01-0001', 'a receipt number is not one');
});
