import type { EventStore } from '../../infra/eventstore/types.js';
import type { UnitsDirectory } from '../units-directory.js';
import type { ReportLinks } from '../report-links.js';
import type { OpenAlerts } from '../open-alerts.js';

export interface ApiDeps {
  store: EventStore;
  units: UnitsDirectory;
  links: ReportLinks;
  openAlerts: OpenAlerts;
  now: () => Date;
}
