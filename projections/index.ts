import { accessProjection } from './access.js';
import { inboxProjection } from './inbox.js';
import { notificationsProjection } from './notifications.js';
import { sealsProjection } from './seals.js';
import { householdsProjection } from './households.js';
import { incidentsProjection } from './incidents.js';
import { ledgerProjection } from './ledger.js';
import { openAlertsProjection } from './open-alerts.js';
import { reportsProjection } from './reports.js';
import { rosterProjection } from './roster.js';
import { talliesProjection } from './tallies.js';
import { unitsProjection } from './units.js';

/**
 * Every read model, in one registry: the node's runner, `cli replay` and the tests all read this
 * list. Adding a read model is its file and one line here.
 */
export const PROJECTIONS = [
  unitsProjection,
  reportsProjection,
  talliesProjection,
  incidentsProjection,
  ledgerProjection,
  householdsProjection,
  openAlertsProjection,
  rosterProjection,
  accessProjection,
  notificationsProjection,
  inboxProjection,
  sealsProjection,
] as const;

type Registry = typeof PROJECTIONS;

/** Every projection's state, by name. */
export type ProjectionStates = { [P in Registry[number] as P['name']]: ReturnType<P['initialState']> };
export type ProjectionName = Registry[number]['name'];
