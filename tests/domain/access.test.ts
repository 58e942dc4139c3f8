import t from 'tap';
import { GRANT_WARNING_MESSAGES, grantWarnings } from '../../domain/access.js';
import { rosterWarnings } from '../../domain/roster.js';
import { ancestorAt, scopeUnit } from '../../domain/units.js';
import { ROLES } from '../../domain/vocabulary.js';

// A grant no alert would reach is said when it is made (found by a newcomer: an officer token for a
// village, put on the township's roster, heard nothing). The warning must agree with the roster's
// own check, which is what decides whether an alert reaches the person.

const NOW = '2026-07-01T03:00:00.000Z';
const SCOPES = ['62', '6212', '621224', '621224000000', '621224100', '621224100000', '621224100201'];

t.test('every role at every level: staff scoped to a village are warned, nobody else', async (t) => {
  for (const role of ROLES) {
    for (const scope of SCOPES) {
      const expected = (role === 'officer' || role === 'head') && scope.startsWith('621224100201') ? ['staff_scope_is_a_village'] : [];
      t.same(grantWarnings(role, scope), expected, `${role} ${scope}`);
    }
  }
});

t.test('the warning agrees with the roster: warned exactly when the township roster over the scope would not reach the person', async (t) => {
  for (const role of ['officer', 'head'] as const) {
    for (const scope of SCOPES) {
      // The township the scope lies in, or (a county or wider) one township within it.
      const unit = scopeUnit(scope)!;
      const township = ancestorAt(unit, 'township') ?? '621224100000';
      const grant = { sub: 'u-1', role, scope, exp: '2026-08-01T00:00:00.000Z', revoked: false };
      const unreached = rosterWarnings(township, [{ officer: 'u-1', tier: 'primary' }], () => [grant], NOW).some((w) => w.warning === 'not_staff_here');
      t.equal(grantWarnings(role, scope).length > 0, unreached, `${role} ${scope}: roster of ${township}`);
    }
  }
});

t.test('each warning has its Chinese and English', async (t) => {
  for (const [warning, text] of Object.entries(GRANT_WARNING_MESSAGES)) {
    t.match(text.zh, /[\u4e00-\u9fa5]/, warning);
    t.match(text.en, /[a-z]{3,}/, warning);
  }
});
