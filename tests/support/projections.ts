import { createLogger } from '../../infra/logging.js';
import type { RecordedEvent } from '../../infra/eventstore/types.js';
import { SCHEMA_VERSION, type EventType } from '../../domain/events.js';
import { ProjectionRunner } from '../../services/projection-runner.js';
import type { EventStore } from '../../infra/eventstore/types.js';

/**
 * A log written by hand for projection tests: each event gets a position and a time in order,
 * and goes through the runner exactly as the node applies it (parsed against the catalog).
 */
export class HandLog {
  readonly events: RecordedEvent[] = [];
  #revisions = new Map<string, number>();

  add(stream: string, type: EventType, data: unknown, at: string, actor = { id: 'u', role: 'officer' }): this {
    const revision = (this.#revisions.get(stream) ?? -1) + 1;
    this.#revisions.set(stream, revision);
    const position = String(this.events.length + 1).padStart(16, '0');
    this.events.push({
      id: `${stream}-${revision}`,
      stream,
      revision,
      position,
      type,
      data,
      metadata: { actor, at, correlationId: 'hand', schemaVersion: SCHEMA_VERSION[type], prevHash: '', hash: `h${position}` },
    });
    return this;
  }

  /** A fresh runner with every registered projection applied to this log. */
  runner(): ProjectionRunner {
    const runner = new ProjectionRunner(undefined as unknown as EventStore, createLogger('silent'));
    runner.apply(this.events);
    return runner;
  }
}
