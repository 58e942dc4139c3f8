import type { EventData } from '../../domain/events.js';

export const COUNTY = '621299000000';
export const TOWNSHIP = '621299103000';
export const VILLAGE = '621299103201';
export const OTHER_TOWNSHIP = '621299104000';
export const OTHER_VILLAGE = '621299104202';

export const REPORT_ID = '2b8f3a6e-3c1d-4b7a-9a51-0c6f2d3e4a11';
export const OTHER_REPORT_ID = '5d1e9f20-7a3b-4c6d-8e9f-1a2b3c4d5e6f';
export const ALLOCATION_ID = '9f0e8d7c-6b5a-4938-8271-605f4e3d2c1b';
export const INCIDENT_ID = '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d';

export const NOW = '2026-07-01T04:00:00.000Z';

export const filedData = (over: Partial<EventData<'ReportFiled'>> = {}): EventData<'ReportFiled'> => ({
  reportId: REPORT_ID,
  village: VILLAGE,
  hazard: 'landslide',
  observedAt: '2026-07-01T03:40:00.000Z',
  directions: '沿县道往北，过桥后左转上山约2公里',
  reporter: { id: 'u-contact', name: '王建国', phone: '13800000000' },
  estimate: { affectedPeople: 12, roomsCollapsed: 2 },
  ...over,
});

export const verifiedData = (over: Partial<EventData<'DamageVerified'>> = {}): EventData<'DamageVerified'> => ({
  verifier: 'u-officer',
  figures: { affectedPeople: 9, roomsCollapsed: 3, roomsModeratelyDamaged: 1 },
  households: [
    { householdId: 'hh-1', name: '张三明', damage: 'collapsed', people: 4 },
    { householdId: 'hh-2', name: '李四', damage: 'moderate', people: 5 },
  ],
  method: '入户核查',
  ...over,
});

export const allocatedData = (over: Partial<EventData<'ReliefAllocated'>> = {}): EventData<'ReliefAllocated'> => ({
  allocationId: ALLOCATION_ID,
  reportId: REPORT_ID,
  village: VILLAGE,
  household: { id: 'hh-1', name: '张三明' },
  category: 'emergency_living',
  cashFen: 200_000,
  goods: [{ item: '大米', quantity: 25, unit: '公斤' }],
  fund: 'SP-2026-01',
  allocatedBy: 'u-officer',
  ...over,
});
