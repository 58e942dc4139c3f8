import type { UnitInput } from '../domain/unit-register.js';

/**
 * A clearly labelled sample county to try zhitong on. It lives on county code 621299, which no
 * real unit has (Longnan's counties run 621202–621228), so its invented directions, phones and
 * rosters can never land on a real village; every name ends in （示例）.
 */
/** What every demo unit's name ends with, so the sample county is never read as a real one. */
export const DEMO_LABEL = '（示例）';

export const DEMO_UNITS: UnitInput[] = [
  { code: '620000000000', name: '甘肃省' },
  { code: '621200000000', name: '陇南市' },
  { code: '621299000000', name: '康县（示例）', phones: ['09390000000'] },
  {
    code: '621299103000',
    name: '王坝镇（示例）',
    centre: { lat: 33.3287, lon: 105.6072 },
    accessNotes: '镇政府在县城东北 28 公里，经县道 X412；雨季 K18 处常有落石。',
    phones: ['09390000103'],
  },
  {
    code: '621299103201',
    name: '李家村（示例）',
    centre: { lat: 33.3521, lon: 105.6313 },
    accessNotes: '距镇政府 12 公里（约 24 里）。X412 北行过铁索桥后左转，水泥路上山 6 公里；村委会在学校旁。雨后山路易塌方，备越野车。',
    phones: ['09390103201'],
  },
  {
    code: '621299103202',
    name: '何家沟村（示例）',
    centre: { lat: 33.3012, lon: 105.5899 },
    accessNotes: '距镇政府 30 公里（60 里）。沿河谷土路，过三道漫水桥；涨水时只能从后山步行 2 小时。',
    phones: ['09390103202'],
  },
  {
    code: '621299104000',
    name: '碾坝镇（示例）',
    centre: { lat: 33.2611, lon: 105.7004 },
    accessNotes: '县城南 19 公里，G567 直达。',
    phones: ['09390000104'],
  },
  {
    code: '621299104201',
    name: '朱家沟村（示例）',
    centre: { lat: 33.2402, lon: 105.7221 },
    accessNotes: '距镇政府 8 公里，村道硬化；沟口易发泥石流，注意避让。',
    phones: ['09390104201'],
  },
];

export const DEMO_ROSTERS = {
  '621299103000': [
    { officer: 'officer-wangba-1', tier: 'primary' as const },
    { officer: 'officer-wangba-2', tier: 'backup' as const },
  ],
  '621299104000': [
    { officer: 'officer-nianba-1', tier: 'primary' as const },
    { officer: 'officer-nianba-2', tier: 'backup' as const },
  ],
};

export const DEMO_USERS = [
  { sub: 'contact-lijia', role: 'contact' as const, scope: '621299103201', who: '李家村联络员' },
  { sub: 'officer-wangba-1', role: 'officer' as const, scope: '621299103', who: '王坝镇值班干部（主班）' },
  { sub: 'officer-wangba-2', role: 'officer' as const, scope: '621299103', who: '王坝镇值班干部（备班）' },
  { sub: 'head-wangba', role: 'head' as const, scope: '621299103', who: '王坝镇镇长' },
  { sub: 'head-kangxian', role: 'head' as const, scope: '621299', who: '康县民政局' },
  { sub: 'auditor-kangxian', role: 'auditor' as const, scope: '621299', who: '康县审计' },
  { sub: 'admin', role: 'admin' as const, scope: '62', who: '运维' },
];
