import type { EventStore } from '../../infra/eventstore/types.js';
import type { UnitsDirectory } from '../units-directory.js';
import type { ReportLinks } from '../report-links.js';

export interface ApiDeps {
  store: EventStore;
  units: UnitsDirectory;
  links: ReportLinks;
  now: () => Date;
}
