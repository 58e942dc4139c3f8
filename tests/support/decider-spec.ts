import type { Test } from 'tap';
import type { Decider, Timed } from '../../domain/decider.js';
import { DomainError, type DomainErrorCode } from '../../domain/errors.js';
import type { DomainEvent } from '../../domain/events.js';

/**
 * given / when / then for deciders, after Emmett's DeciderSpecification:
 *   spec(t, reportDecider).given(filed).when(closeReport).thenThrows('not_verified')
 * Given events may carry `at`; those that do not are stamped at a fixed time.
 */
export function spec<S, C, E extends DomainEvent>(t: Test, decider: Decider<S, C, E>) {
  return {
    given(...events: Array<E | Timed<E>>) {
      const state = events
        .map((e) => ({ at: '2026-07-01T00:00:00.000Z', ...e }) as Timed<E>)
        .reduce(decider.evolve, decider.initialState());
      return {
        state,
        when(command: C) {
          const run = () => decider.decide(command, state);
          return {
            then(expected: E[], message = 'decides the expected events') {
              t.same(run(), expected, message);
            },
            thenThrows(code: DomainErrorCode, message = `refuses with ${code}`) {
              let error: unknown;
              try {
                run();
              } catch (e) {
                error = e;
              }
              t.ok(error instanceof DomainError, `${message}: a DomainError`);
              t.equal((error as DomainError | undefined)?.code, code, message);
            },
          };
        },
      };
    },
  };
}
