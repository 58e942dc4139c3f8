import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readUnitsFile, unitsFileOrderProblems, UnitsFileError } from '../../infra/units-file.js';
import { parentCode } from '../../domain/units.js';
import { testDir } from '../support/dirs.js';

/** Issue 12: units files as an office keeps them — a spreadsheet saved as CSV, in either encoding Chinese Windows writes. */

const EXPECTED = [
  { code: '621299000000', name: '康县（示例）' },
  { code: '621299103000', name: '王坝镇', centre: { lat: 33.3, lon: 105.6 }, accessNotes: '沿县道走', phones: ['09395123488', '13939000001'], complaintPhone: '09395120000' },
];
const CSV = 'code,name,lat,lon,accessNotes,phones,complaintPhone\n621299000000,康县（示例）,,,,,\n621299103000,王坝镇,33.3,105.6,沿县道走,0939-5123488；139 3900 0001,09395120000\n';
// The same text as Excel on a Chinese Windows saves it (GB18030), bytes fixed here so the test needs no encoder.
const GB18030 =
  '636f64652c6e616d652c6c61742c6c6f6e2c6163636573734e6f7465732c70686f6e65732c636f6d706c61696e7450686f6e650a3632313239393030303030302cbfb5cfd8a3a8cabec0fda3a92c2c2c2c2c0a3632313239393130333030302ccdf5b0d3d5f22c33332e332c3130352e362cd1d8cfd8b5c0d7df2c303933392d35313233343838a3bb313339203339303020303030312c30393339353132303030300a';

t.test('CSV in UTF-8, UTF-8 with a BOM, and GB18030 read the same as the JSON file', async (t) => {
  const dir = testDir(t);
  const files = {
    json: Buffer.from(JSON.stringify([EXPECTED[0], { ...EXPECTED[1], phones: ['0939-5123488', '139 3900 0001'] }])),
    utf8: Buffer.from(CSV),
    bom: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(CSV.replaceAll('\n', '\r\n'))]),
    gb18030: Buffer.from(GB18030, 'hex'),
  };
  for (const [name, bytes] of Object.entries(files)) {
    const path = join(dir, `units.${name}`);
    writeFileSync(path, bytes);
    t.same(readUnitsFile(path), EXPECTED, name);
  }
});

t.test('a bad row is named by its line as the spreadsheet shows it, and its column; every problem at once', async (t) => {
  const path = join(testDir(t), 'bad.csv');
  writeFileSync(path, 'code,name,lat,lon\n621299000000,康县,,\n62129910300,王坝镇,91,105\n');
  const error = t.throws(() => readUnitsFile(path)) as unknown as UnitsFileError;
  t.ok(error instanceof UnitsFileError);
  t.same(error.problems.map((p) => `${p.row?.kind} ${p.row?.n} ${p.field}`).sort(), ['line 3 centre.lat', 'line 3 code'], 'line 3: the header is line 1 (found by a newcomer: "1.code" was line 3 in Excel)');
  const json = join(testDir(t), 'bad.json');
  writeFileSync(json, '[{"code":"621299000000","name":"康县"},{"code":"621299103000","name":""}]');
  t.same((t.throws(() => readUnitsFile(json)) as unknown as UnitsFileError).problems.map((p) => `${p.row?.kind} ${p.row?.n} ${p.field}`), ['entry 2 name'], 'a JSON entry counted from 1');
});

t.test('what an office types: full-width digits in a code are digits; a row with a cell too many is refused by its line; a missing file is said so', async (t) => {
  const dir = testDir(t);
  writeFileSync(join(dir, 'wide.csv'), 'code,name\n６２１２９９００００００,康县\n');
  t.same(readUnitsFile(join(dir, 'wide.csv')).map((u) => u.code), ['621299000000']);
  writeFileSync(join(dir, 'shifted.csv'), 'code,name,phones\n621299000000,康县,\n621299103000,王坝镇,0939-5123488,多的一格\n');
  const shifted = t.throws(() => readUnitsFile(join(dir, 'shifted.csv'))) as unknown as UnitsFileError;
  t.same(shifted.problems.map((p) => [p.row, /different number of cells/.test(p.message)]), [[{ kind: 'line', n: 3 }, true]], 'a shifted column is not taken silently');
  t.match((t.throws(() => readUnitsFile(join(dir, 'none.csv'))) as unknown as UnitsFileError).problems, [{ message: /^no such file/ }]);
  const order = unitsFileOrderProblems(
    [{ code: '621299000000', name: '康县' }, { code: '621299103201', name: '李家村' }, { code: '621299000000', name: '康县' }],
    (code) => code === '621200000000',
    parentCode,
  );
  t.same(order.map((p) => `${p.index} ${p.message}`), ['1 its parent is neither registered nor listed before it', '2 listed twice'], 'the order rules, all at once');
  t.same(
    order.map((p) => p.zh),
    ['621299103201 的上级 621299103000 既未登记，也没有排在它前面（上级要写在下级之前）', '621299000000 在文件中出现了两次'],
    'each in Chinese, naming the unit and its missing parent',
  );
  t.same(
    unitsFileOrderProblems([{ code: '621299000000', name: '康县' }, { code: '621299000000', name: '康县' }], () => false, parentCode).map((p) => p.message),
    ['listed twice'],
    'a root listed twice is one problem (its parent is absent by design for the first entry only)',
  );
  t.match(shifted.problems, [{ zh: '这一行的格数和表头不一样（多了或少了逗号？）' }]);
  t.match((t.throws(() => readUnitsFile(join(dir, 'none.csv'))) as unknown as UnitsFileError).problems, [{ zh: /^找不到这个文件：.*none\.csv$/ }]);
});
