import type { Decider, Timed } from './decider.js';
import { assertNever, refuse } from './errors.js';
import type { EventData, EventOf } from './events.js';

/**
 * An Idempotency-Key (draft-ietf-httpapi-idempotency-key-header), as an aggregate with a stream
 * per (user, route, key). The first request claims the key by creating the stream (expected
 * `no_stream`); it completes it with its answer, which every retry with the same body is given
 * again; a retry with another body is refused. A claim whose process died (its lease ran out)
 * may be taken over: the events the dead request wrote carry the key in their metadata, so the
 * takeover sees what was done and does not do it twice (services/http/idempotency.ts).
 */
export type IdempotencyEvent = EventOf<'IdempotencyKeyClaimed' | 'IdempotencyKeyCompleted' | 'IdempotencyKeyReleased'>;

export type IdempotencyState =
  | { status: 'unused' }
  | { status: 'claimed'; requestHash: string; leaseUntil: string }
  | { status: 'completed'; requestHash: string; httpStatus: number; response: unknown }
  | { status: 'released'; requestHash: string };

type Cmd<T extends string, D> = { type: T; data: D; now: string };
export type IdempotencyCommand =
  | Cmd<'ClaimKey', EventData<'IdempotencyKeyClaimed'>>
  | Cmd<'CompleteKey', EventData<'IdempotencyKeyCompleted'>>
  | Cmd<'ReleaseKey', EventData<'IdempotencyKeyReleased'>>;

const initialState = (): IdempotencyState => ({ status: 'unused' });

function decide(command: IdempotencyCommand, state: IdempotencyState): IdempotencyEvent[] {
  switch (command.type) {
    case 'ClaimKey': {
      if (state.status !== 'unused' && state.requestHash !== command.data.requestHash) {
        refuse('idempotency_mismatch', 'this Idempotency-Key was used with another request', { field: 'headers.idempotency-key' });
      }
      if (state.status === 'completed') refuse('already_exists', { en: 'the request with this key is done', zh: '使用这个 Idempotency-Key 的请求已经完成' });
      if (state.status === 'claimed' && Date.parse(state.leaseUntil) > Date.parse(command.now)) {
        refuse('in_progress', { en: 'a request with this Idempotency-Key is being processed', zh: '使用同一 Idempotency-Key 的请求正在处理中，请稍后重试' });
      }
      return [{ type: 'IdempotencyKeyClaimed', data: command.data }];
    }
    case 'CompleteKey':
    case 'ReleaseKey': {
      if (state.status !== 'claimed') return [];
      return [command.type === 'CompleteKey' ? { type: 'IdempotencyKeyCompleted', data: command.data } : { type: 'IdempotencyKeyReleased', data: command.data }];
    }
    default:
      return assertNever(command);
  }
}

function evolve(state: IdempotencyState, event: Timed<IdempotencyEvent>): IdempotencyState {
  switch (event.type) {
    case 'IdempotencyKeyClaimed':
      return { status: 'claimed', requestHash: event.data.requestHash, leaseUntil: event.data.leaseUntil };
    case 'IdempotencyKeyCompleted':
      return state.status === 'claimed' ? { status: 'completed', requestHash: state.requestHash, httpStatus: event.data.status, response: event.data.response } : state;
    case 'IdempotencyKeyReleased':
      return state.status === 'claimed' ? { status: 'released', requestHash: state.requestHash } : state;
    default:
      return assertNever(event);
  }
}

export const idempotencyDecider: Decider<IdempotencyState, IdempotencyCommand, IdempotencyEvent> = { initialState, evolve, decide };
