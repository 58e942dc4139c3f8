import t from 'tap';
import fc from 'fast-check';
import {
  ancestorAt,
  ancestry,
  isUnitCode,
  parentCode,
  scopePrefix,
  significantPrefix,
  unitLevel,
  withinScope,
  UNIT_LEVELS,
} from '../../domain/units.js';

const nonZero = (width: number) =>
  fc.integer({ min: 1, max: 10 ** width - 1 }).map((n) => String(n).padStart(width, '0'));
const WIDTHS = [2, 2, 2, 3, 3];
/** A valid code at a random level: significant groups non-zero, the rest zeros. */
const unitCode = fc
  .integer({ min: 1, max: 5 })
  .chain((levels) => fc.tuple(...WIDTHS.slice(0, levels).map(nonZero)))
  .map((groups) => groups.join('').padEnd(12, '0'));

t.test('known codes', async (t) => {
  t.equal(unitLevel('621224000000'), 'county');
  t.equal(unitLevel('621224103000'), 'township');
  t.equal(unitLevel('621224103201'), 'village');
  t.equal(unitLevel('620000000000'), 'province');
  t.equal(unitLevel('621200000000'), 'city');
  t.equal(significantPrefix('621224103000'), '621224103');
  t.equal(parentCode('621224103201'), '621224103000');
  t.equal(parentCode('621224103000'), '621224000000');
  t.equal(parentCode('620000000000'), undefined);
  t.same(ancestry('621224103201'), ['620000000000', '621200000000', '621224000000', '621224103000', '621224103201']);
  t.equal(ancestorAt('621224103201', 'township'), '621224103000');
  t.equal(ancestorAt('621224000000', 'township'), undefined);
  for (const bad of ['', '62122410320', '6212241032011', '62122410320a', '000000000000', '620000103000', '621224000201']) {
    t.notOk(isUnitCode(bad), `${JSON.stringify(bad)} is not a code`);
  }
  t.throws(() => unitLevel('000000000000'));
});

t.test('scopes: 12 digits or the significant prefix', async (t) => {
  t.equal(scopePrefix('621224000000'), '621224');
  t.equal(scopePrefix('621224'), '621224');
  t.equal(scopePrefix('621224103'), '621224103');
  t.equal(scopePrefix('6212241'), undefined, 'not a group boundary');
  t.equal(scopePrefix('621200'), undefined, 'a prefix ending in a zero group is not significant');
  t.ok(withinScope('621224103201', '621224'));
  t.ok(withinScope('621224103201', '621224103000'));
  t.notOk(withinScope('621224104201', '621224103'));
  t.notOk(withinScope('621224103201', 'garbage'));
});

t.test('property: every valid code has a level, a prefix and a parent one level up', async (t) => {
  fc.assert(
    fc.property(unitCode, (code) => {
      if (!isUnitCode(code)) return false;
      const level = UNIT_LEVELS.indexOf(unitLevel(code));
      const prefix = significantPrefix(code);
      if (prefix.padEnd(12, '0') !== code) return false;
      const parent = parentCode(code);
      if (level === 0) return parent === undefined;
      return parent !== undefined && UNIT_LEVELS.indexOf(unitLevel(parent)) === level - 1 && code.startsWith(significantPrefix(parent));
    }),
    { numRuns: 500 },
  );
});

t.test('property: scope is a prefix check, and a unit is within its ancestors\u2019 scopes and its own', async (t) => {
  fc.assert(
    fc.property(unitCode, unitCode, (unit, scope) => {
      const expected = unit.startsWith(significantPrefix(scope));
      if (withinScope(unit, scope) !== expected) return false;
      if (withinScope(unit, significantPrefix(scope)) !== expected) return false;
      return ancestry(unit).every((a) => withinScope(unit, a));
    }),
    { numRuns: 500 },
  );
});

t.test('property: a unit in one township is never within another township\u2019s scope', async (t) => {
  const village = fc.tuple(nonZero(2), nonZero(2), nonZero(2), nonZero(3), nonZero(3)).map((g) => g.join(''));
  fc.assert(
    fc.property(village, village, (a, b) => {
      const townshipA = ancestorAt(a, 'township')!;
      const townshipB = ancestorAt(b, 'township')!;
      return townshipA === townshipB || !withinScope(a, townshipB);
    }),
    { numRuns: 500 },
  );
});
