import { streams } from '../domain/events.js';
import { unitRegisterDecider, unitPath, type Unit, type UnitEvent } from '../domain/unit-register.js';
import type { EventStore } from '../infra/eventstore/types.js';
import { toTimed } from './commands/execute.js';

/**
 * The units register folded in memory. `refresh()` reads only what was appended to the `units`
 * stream since the last call (by this process or another), so callers refresh before they rely
 * on a unit existing.
 */
export class UnitsDirectory {
  #state = unitRegisterDecider.initialState();
  #revision = -1;

  constructor(private readonly store: EventStore) {}

  async refresh(): Promise<void> {
    const events = await this.store.readStream(streams.units, { from: this.#revision + 1 });
    for (const event of events) {
      this.#state = unitRegisterDecider.evolve(this.#state, toTimed<UnitEvent>(event));
      this.#revision = event.revision;
    }
  }

  get(code: string): Unit | undefined {
    return this.#state.units.get(code);
  }

  path(code: string): string[] {
    return unitPath(this.#state.units, code);
  }
}
