import t from 'tap';
import fc from 'fast-check';
import { appended } from '../../projections/lists.js';

// A read model's lists grow by `appended`: copied while short, pushed to once long. Whichever way
// a list grew, it holds exactly what was appended, in order, and nothing appended is lost when the
// result is stored back (the copy) or when it is not (the push reuses the array).
t.test('any sequence of appends gives exactly the items, in order', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.string(), fc.array(fc.integer(), { maxLength: 2 })), { maxLength: 40 }), (items) => {
      let list: unknown[] = [];
      for (const item of items) list = appended(list, item);
      return list.length === items.length && list.every((v, i) => v === items[i]);
    }),
  );
  t.same(appended([[1]], [2]), [[1], [2]], 'an array item is one item, not spread');
});
