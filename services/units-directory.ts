import type { UnitLookup } from '../domain/location.js';
import { unitLookup, unitPathNames, type UnitRow, type UnitsState } from '../projections/units.js';

/** What the directory reads: the read side's `units` projection (services/projection-runner.ts). */
export interface UnitsSource {
  state(name: 'units'): UnitsState;
  /** Resolves once everything appended so far is applied; false when that took longer than allowed. */
  caughtUp(timeoutMs?: number): Promise<boolean>;
}

/**
 * The units register as the command path needs it (a village's name and path), read from the
 * `units` projection rather than folded a second time: a province's register is 19,224 events,
 * and reading them again at every start cost a third of it (the province bench). A unit another
 * node registered a moment ago is there once the runner has applied it, so callers `refresh()`
 * before they rely on a unit existing.
 */
export class UnitsDirectory {
  constructor(private readonly source: UnitsSource) {}

  /** Waits (at most 2 s) until the read side has applied every unit appended so far. */
  async refresh(): Promise<void> {
    await this.source.caughtUp(2000);
  }

  get(code: string): UnitRow | undefined {
    return this.source.state('units').units.get(code);
  }

  /** The register read for a point's judgement: units by code, and the centres near a point (projections/units.ts unitLookup). */
  lookup(): UnitLookup<UnitRow> {
    return unitLookup(this.source.state('units'));
  }

  /** Names from the county down (SPEC §5's village path). */
  path(code: string): string[] {
    return unitPathNames(this.source.state('units'), code);
  }
}
