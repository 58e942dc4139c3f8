import type { EventStore } from '../../infra/eventstore/types.js';
import type { CommandHandler } from '../commands/execute.js';
import type { UnitsDirectory } from '../units-directory.js';
import type { OpenAlerts } from '../open-alerts.js';

export interface ApiDeps {
  store: EventStore;
  commands: CommandHandler;
  units: UnitsDirectory;
  openAlerts: OpenAlerts;
  now: () => Date;
}
