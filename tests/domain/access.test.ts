import t from 'tap';
import { GRANT_WARNING_MESSAGES, grantWarnings } from '../../domain/access.js';
import { ROSTER_WARNING_MESSAGES, rosterWarnings } from '../../domain/roster.js';
import { ancestorAt, scopeUnit } from '../../domain/units.js';
import { ROLES } from '../../domain/vocabulary.js';

// A grant no alert would reach is said when it is made (found by a newcomer: an officer token for a
// village, put on the township's roster, heard nothing). The warning must agree with the roster's
// own check, which is what decides whether an alert reaches the person.

const NOW = '2026-07-01T03:00:00.000Z';
const SCOPES = ['62', '6212', '621224', '621224000000', '621224100', '621224100000', '621224100201'];

t.test('every role at every level: staff scoped to a village are warned, and contacts scoped above one, nobody else', async (t) => {
  for (const role of ROLES) {
    for (const scope of SCOPES) {
      const village = scope.startsWith('621224100201');
      const expected = (role === 'officer' || role === 'head') && village ? ['staff_scope_is_a_village'] : role === 'contact' && !village ? ['contact_scope_above_village'] : [];
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
      const unreached = rosterWarnings(township, [{ officer: 'u-1', tier: 'primary' }], () => [grant], NOW).some((w) => w.officer === 'u-1');
      t.equal(grantWarnings(role, scope).length > 0, unreached, `${role} ${scope}: roster of ${township}`);
    }
  }
});

t.test('on the roster, a village-scoped staff member is named as such, and a roster whose primaries all go unreached says new alerts wait for escalation', async (t) => {
  const grant = (sub: string, scope: string) => ({ sub, role: 'officer', scope, exp: '2026-08-01T00:00:00.000Z', revoked: false });
  const held: Record<string, ReturnType<typeof grant>[]> = { 'u-village': [grant('u-village', '621224100201')], 'u-elsewhere': [grant('u-elsewhere', '621224101')], 'u-town': [grant('u-town', '621224100')] };
  const warn = (entries: Array<{ officer: string; tier: 'primary' | 'backup' }>) => rosterWarnings('621224100000', entries, (sub) => held[sub] ?? [], NOW).map((w) => `${w.field} ${w.warning}`);
  t.same(warn([{ officer: 'u-village', tier: 'primary' }]), ['entries.0.officer scoped_to_a_village', 'entries no_reachable_primary_now']);
  t.same(warn([{ officer: 'u-elsewhere', tier: 'primary' }, { officer: 'u-town', tier: 'backup' }]), ['entries.0.officer not_staff_here', 'entries no_reachable_primary_now'], 'a backup reachable does not make step 0 reach anyone');
  t.same(warn([{ officer: 'u-village', tier: 'primary' }, { officer: 'u-town', tier: 'primary' }]), ['entries.0.officer scoped_to_a_village'], 'one primary reached: step 0 reaches someone');
  t.same(warn([{ officer: 'nobody', tier: 'primary' }]), ['entries.0.officer no_access', 'entries no_reachable_primary_now']);
  t.same(warn([]), ['entries no_primary_now']);
});

t.test('each warning has its Chinese and English', async (t) => {
  for (const [warning, text] of [...Object.entries(GRANT_WARNING_MESSAGES), ...Object.entries(ROSTER_WARNING_MESSAGES)]) {
    t.match(text.zh, /[\u4e00-\u9fa5]/, warning);
    t.match(text.en, /[a-z]{3,}/, warning);
  }
});
