import type { Decider, Timed } from './decider.js';
import { assertNever, refuse } from './errors.js';
import { parseStream, type EventData } from './events.js';
import { scopeUnit } from './units.js';

/**
 * Where an event belongs for an auditor (SPEC §4, §8): the unit whose auditors may read and verify
 * it. Most streams belong to one unit, named by their first event (a report's village, an
 * incident's county); some by their name (a roster's township, a household's village); the unit
 * register and access belong per event (a unit's own code, a grant's scope, a revocation's reach);
 * Idempotency-Key records and seals to no unit.
 */
export type EventPlace = { unit: string | undefined; also?: readonly string[] } | 'of-its-stream';

/** Whether an event placed at `place` (with its stream's unit) is within what `inScope` admits. */
export function placedWithin(place: EventPlace, streamUnit: string | null | undefined, inScope: (unit: string | null | undefined) => boolean): boolean {
  if (place === 'of-its-stream') return inScope(streamUnit);
  return inScope(place.unit) || (place.also ?? []).some(inScope);
}

export function placeOfEvent(stream: string, type: string, data: unknown): EventPlace {
  const parsed = parseStream(stream);
  if (!parsed) return { unit: undefined };
  const d = data as { code?: string; scope?: string; within?: string; scopes?: string[] };
  switch (parsed.kind) {
    case 'report':
    case 'allocation':
    case 'incident':
    case 'inbound':
      return 'of-its-stream';
    case 'roster':
      return { unit: parsed.id };
    case 'household':
      return { unit: parsed.id.slice(0, 12) };
    case 'units':
      return { unit: d.code };
    case 'access':
      // A revocation belongs to the revoker's scope and to every scope whose tokens it took back.
      if (type === 'AccessRevoked') return { unit: scopeUnit(d.within ?? ''), also: (d.scopes ?? []).map((s) => scopeUnit(s)).filter((u): u is string => u !== undefined) };
      return { unit: scopeUnit(d.scope ?? '') };
    case 'idempotency':
    case 'audit':
      return { unit: undefined };
    default:
      return assertNever(parsed.kind);
  }
}

/** The unit a stream's first event names (a report's or allocation's village, an incident's county). */
export function unitOfFirstEvent(data: unknown): string | undefined {
  const d = data as { village?: string; county?: string } | null;
  return d?.village ?? d?.county;
}

/**
 * The unit a whole stream belongs to, as a seal records it: by its name where it says, by its
 * first event where that names it, null for the streams whose events belong each to their own
 * unit (units, access) or to none.
 */
export function unitOfStream(stream: string, firstEventData: unknown): string | null {
  const parsed = parseStream(stream);
  if (!parsed) return null;
  switch (parsed.kind) {
    case 'roster':
      return parsed.id;
    case 'household':
      return parsed.id.slice(0, 12);
    case 'report':
    case 'allocation':
    case 'incident':
    case 'inbound':
      return unitOfFirstEvent(firstEventData) ?? null;
    case 'units':
    case 'access':
    case 'idempotency':
    case 'audit':
      return null;
    default:
      return assertNever(parsed.kind);
  }
}

/** The `audit` stream: the seals, chained (SPEC §8). */
/**
 * A log position as a person reads it: the stores pad positions with zeros so that string order is
 * log order (`0000000000000042` → `42`); people, auditors' notes and printed notices get the number.
 * An empty or all-zero position reads `0`. Pure; never throws.
 */
export function positionForPeople(position: string): string {
  return position.replace(/^0+(?=\d)/, '');
}

export interface AuditState {
  last: { upTo: string; root: string; at: string } | undefined;
}

/** `everyMs`: the periodic seal, refused within that time of the last one; absent on demand (CLI, shutdown). */
export type AuditCommand = { type: 'SealLog'; data: EventData<'AuditSealed'>; everyMs?: number; now: string };
type AuditEvent = { type: 'AuditSealed'; data: EventData<'AuditSealed'> };

/**
 * A seal follows the previous one: it covers a later position and names the previous root. It is
 * appended at the revision of the `audit` stream read, so of two nodes sealing at once one writes
 * and the other's seal is refused (SPEC §8: one seal per interval however many nodes run).
 * Throws DomainError `already_exists` (nothing after the last seal) or `in_progress` (the seal was
 * built on another previous seal than the last).
 */
export const auditDecider: Decider<AuditState, AuditCommand, AuditEvent> = {
  initialState: () => ({ last: undefined }),
  evolve(state, event: Timed<AuditEvent>) {
    switch (event.type) {
      case 'AuditSealed':
        return { last: { upTo: event.data.upTo, root: event.data.root, at: event.at } };
      default:
        return assertNever(event.type);
    }
  },
  decide(command, state) {
    switch (command.type) {
      case 'SealLog': {
        const { upTo, previousSeal, heads } = command.data;
        if (previousSeal !== (state.last?.root ?? null)) refuse('in_progress', { en: 'another seal was written since this one was built', zh: '这次封存计算期间，另一次封存已经写入' });
        if (state.last && upTo <= state.last.upTo) refuse('already_exists', { en: `the log up to ${positionForPeople(state.last.upTo)} is sealed`, zh: `日志到位置 ${positionForPeople(state.last.upTo)} 已经封存过` });
        if (state.last && heads.length === 0) refuse('already_exists', { en: 'nothing changed since the last seal', zh: '上次封存以来日志没有变化' });
        // Several nodes each run the periodic seal: the first in an interval writes it. A tenth of
        // the interval is allowed for timers firing a little early against the recorded time.
        if (state.last && command.everyMs !== undefined && Date.parse(command.now) - Date.parse(state.last.at) < command.everyMs * 0.9) {
          refuse('already_exists', { en: `sealed at ${state.last.at}, less than ${command.everyMs} ms ago`, zh: `${state.last.at} 刚封存过，不到 ${command.everyMs} 毫秒` });
        }
        return [{ type: 'AuditSealed', data: command.data }];
      }
      default:
        return assertNever(command.type);
    }
  },
};
