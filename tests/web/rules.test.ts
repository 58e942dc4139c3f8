import fc from 'fast-check';
import t from 'tap';
import { findIllFormedText } from '../../domain/text.js';
import { CallbackPhoneInput, normalizePhone as serverNormalize } from '../../domain/vocabulary.js';
// @ts-expect-error the pages are plain JavaScript, served as written (no types)
import { callbackPhoneOk, countOf, normalizePhone, textOf } from '../../web/app/rules.js';

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

t.test('text the page sends is text the server takes: no control character, no lone surrogate, never only invisible characters (found by a newcomer: a name of one zero-width space was kept, then refused)', async (t) => {
  const piece = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 4 }),
    fc.constantFrom('\u0301', '\u0300', '\u00a0', '\u200b', '\ufeff', '\u200d', '\u2060', '\u00ad', '\u202e', '\u2066', '\u2069', '\u202a', ' ', '\u3000', '\t', '\n', '\r', '\r\n', '\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\ud800', '\udc00', '李', '四', '😀'),
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }).map((p) => p.join('')), (typed) => {
      const sent = textOf(typed);
      if (sent === '') return;
      const problem = findIllFormedText(sent);
      if (problem) throw new Error(`${JSON.stringify(typed)} sent as ${JSON.stringify(sent)}: the server says ${problem.problem}`);
    }),
    { numRuns: 5000 },
  );
  t.equal(textOf('\u200b'), '', 'a name of one zero-width space is no name');
  t.equal(textOf(' \u0301'), '', 'a lone accent is no name either');
  t.equal(textOf(' \ufeff\u3000'), '');
  t.equal(textOf('李\u0007四'), '李四', 'a control character from a paste is dropped');
  t.equal(textOf('伤\u202e2人'), '伤2人', 'a direction override from a paste too');
  t.equal(textOf('后山\r\n滑了'), '后山\r\n滑了', 'a newline stays (the server stores it as LF)');
  t.equal(textOf('李\ud800'), '李\ufffd', 'a broken paste is a replacement character, not a refusal');
});
