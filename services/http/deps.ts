import type { ClockRules } from '../../domain/clocks.js';
import type { FiledReport, ReportCommand } from '../../domain/report.js';
import type { EventStore } from '../../infra/eventstore/types.js';
import type { TokenService } from '../../infra/tokens.js';
import type { CommandHandler } from '../commands/execute.js';
import type { ProjectionRunner } from '../projection-runner.js';
import type { UnitsDirectory } from '../units-directory.js';
import type { BrokenLog } from './messages.js';

export interface ApiDeps {
  store: EventStore;
  commands: CommandHandler;
  units: UnitsDirectory;
  /** The read side: every projection of the registry, current to its checkpoint. */
  runner: ProjectionRunner;
  now: () => Date;
  /** Signs tokens (POST /tokens); verification is the auth plugin's. */
  tokens: TokenService;
  /** Days within which a second live relief of one category is refused across incidents (SPEC §3). */
  reliefWindowDays: number;
  /** The statutory clocks' rules, with the office's working calendar where one is configured. */
  clockRules: ClockRules;
  /** Step 0 of a report being filed, decided with the filing (the escalator's); undefined: raised later from the log. */
  firstAlert?: ((reportId: string, report: FiledReport, now: string) => ReportCommand | undefined) | undefined;
  /** What the node's last verification of the whole log found wrong; undefined while it holds or is not yet checked. */
  brokenLog: () => BrokenLog | undefined;
  /** Seals the log now, where this node seals (services/audit/sealer.ts); undefined in a node that does not. */
  sealNow?: (() => Promise<{ written: boolean; position?: string | undefined; reason?: string | undefined }>) | undefined;
}
