import fc from 'fast-check';
import t from 'tap';
import { CallbackPhoneInput, normalizePhone as serverNormalize } from '../../domain/vocabulary.js';
// @ts-expect-error the pages are plain JavaScript, served as written (no types)
import { callbackPhoneOk, countOf, normalizePhone } from '../../web/app/rules.js';

// The contact page checks a report before it queues it offline (web/app/rules.js); the server is
// the judge (domain/vocabulary.ts). A rule that drifted apart promised "已保存，有网络时自动发送" for
// a report the server then refused — found by a newcomer. These hold the copy to the source.

const phoneChar = fc.constantFrom('0', '1', '3', '5', '8', '9', '２', '８', ' ', '-', '—', '(', ')', '（', '）', '.', '+', '＋', '\u3000', 'a');
const phone = fc.oneof(
  fc.array(phoneChar, { maxLength: 20 }).map((c) => c.join('')),
  fc.tuple(fc.constantFrom('', '+86 ', '0086', '＋86-', '0'), fc.stringMatching(/^1[3-9][0-9]{9}$/), fc.constantFrom('', ' ', '-')).map(([a, b, c]) => `${a}${b.slice(0, 3)}${c}${b.slice(3)}`),
  fc.stringMatching(/^0[0-9]{2,3}-?[0-9]{7,8}$/),
  fc.stringMatching(/^[0-9]{1,13}$/),
);

t.test('the page takes a reporter\u2019s phone exactly when the server does', async (t) => {
  fc.assert(
    fc.property(phone, (p) => {
      if (normalizePhone(p) !== serverNormalize(p)) throw new Error(`normalized apart: ${JSON.stringify(p)}`);
      if (callbackPhoneOk(p) !== CallbackPhoneInput.safeParse(p).success) throw new Error(`judged apart: ${JSON.stringify(p)}`);
    }),
    { numRuns: 3000 },
  );
  t.equal(callbackPhoneOk('138 0000'), false, 'the newcomer\u2019s "138 0000": refused before it is queued');
  t.equal(callbackPhoneOk('１３９ ００００ ３３３３'), true);
  t.equal(callbackPhoneOk('0939-5120000'), true, 'a landline with its area code');
});

t.test('counts in an estimate: full-width digits are digits', async (t) => {
  t.equal(countOf('２'), 2, 'a Chinese keyboard in full-width mode');
  t.equal(countOf(' 12 '), 12);
  t.equal(countOf(''), undefined, 'not given');
  t.equal(countOf('1.5'), null, 'not a whole number');
  t.equal(countOf('十'), null);
});
