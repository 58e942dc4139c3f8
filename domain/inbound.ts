import type { Decider, Timed } from './decider.js';
import { assertNever } from './errors.js';
import type { EventData } from './events.js';
import type { IndicatorSet } from './vocabulary.js';
import { HAZARD_BY_LABEL, type Hazard } from './vocabulary.js';

/**
 * A report sent by SMS (SPEC §5): the short format a contact can type on any phone, in Chinese —
 * the hazard's label, the group, what happened — in any order, with or without spaces or
 * punctuation: `滑坡 三组 后山塌方，死亡1人 受灾12人`. Counts of people are read where written
 * as `死亡N人`, `失踪N人`, `受伤N人`, `受灾N人`.
 */
export type ParsedSms =
  | { ok: true; hazard: Hazard; group: string | undefined; notes: string | undefined; estimate: IndicatorSet }
  | { ok: false; problem: 'empty' | 'no_hazard' };

// Full-width digits and letters (a phone's Chinese keyboard); Chinese punctuation is left as written.
const FULL_WIDTH = /[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]/g;
const COUNTS: Array<[keyof IndicatorSet, RegExp]> = [
  ['dead', /(?:死亡|遇难|死)\s*(\d{1,6})\s*(?:人|名)?/],
  ['missing', /失踪\s*(\d{1,6})\s*(?:人|名)?/],
  ['injured', /(?:受伤|伤)\s*(\d{1,6})\s*(?:人|名)?/],
  ['affectedPeople', /受灾\s*(\d{1,6})\s*(?:人|名)/],
];
const LABELS = [...HAZARD_BY_LABEL.keys()].sort((a, b) => b.length - a.length);

/** Reads an inbound SMS; `ok: false` names why it could not be (it is kept and shown either way). */
export function parseSmsReport(raw: string): ParsedSms {
  // Full-width letters and digits as half-width; a provider's sign (【…】) dropped.
  const text = raw
    .replace(FULL_WIDTH, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/【[^】]*】/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (text === '') return { ok: false, problem: 'empty' };
  let hazard: Hazard | undefined;
  let rest = text;
  let at = Infinity;
  for (const label of LABELS) {
    const i = text.indexOf(label);
    if (i >= 0 && i < at) {
      at = i;
      hazard = HAZARD_BY_LABEL.get(label);
      rest = text.slice(0, i) + ' ' + text.slice(i + label.length);
    }
  }
  if (!hazard) return { ok: false, problem: 'no_hazard' };
  const groupMatch = /([0-9一二三四五六七八九十两]{1,3})\s*(组|社)/.exec(rest);
  const group = groupMatch ? `${groupMatch[1]}${groupMatch[2]}` : undefined;
  if (groupMatch) rest = rest.replace(groupMatch[0], ' ');
  const estimate: IndicatorSet = {};
  for (const [indicator, pattern] of COUNTS) {
    const m = pattern.exec(rest);
    if (m) (estimate as Record<string, number>)[indicator] = Number(m[1]);
  }
  // The villager's words whole: the hazard and the group are read out of them, and only a hazard
  // label or a group written first, as the short format's fields, is left out (found by a newcomer:
  // "后山滑坡，3组有人被埋" reached the officer as "后山 ， 有人被埋").
  const notes = text.replace(LEADING_FIELDS, '').replace(/[\s,，。.;；:：、]+$/, '');
  return { ok: true, hazard, group, notes: notes === '' ? undefined : notes.slice(0, 4000), estimate };
}

/** The short format's fields at the start of a text, each followed by a separator or the end: `滑坡 三组 `, `山洪，2社：`. */
const LEADING_FIELDS = new RegExp(`^(?:(?:${[...HAZARD_BY_LABEL.keys()].sort((a, b) => b.length - a.length).join('|')}|[0-9一二三四五六七八九十两]{1,3}\\s*(?:组|社))(?:[\\s,，。.;；:：、!！]+|$))+`, 'u');

/** What the sender is told (the provider's reply template's `status`), in a few words of Chinese. */
export const SMS_ANSWERS = {
  filed: '已收到，已通知乡镇值班人员',
  unparsed: '未能识别，请按“灾种 组 情况”重发，如：滑坡 三组 后山塌方',
  unknown_sender: '本号码未登记，请直接电话联系乡镇',
} as const;

/** One inbound SMS (stream `inbound-{id}`, SPEC §5): kept whatever it says, answered once. */
export type InboundState = { received: EventData<'SmsReceived'> | undefined; answered: boolean };

export type InboundCommand =
  | { type: 'ReceiveSms'; data: EventData<'SmsReceived'>; now: string }
  | { type: 'RecordSmsAnswer'; data: EventData<'SmsAnswered'>; now: string };

type InboundEvent = { type: 'SmsReceived'; data: EventData<'SmsReceived'> } | { type: 'SmsAnswered'; data: EventData<'SmsAnswered'> };

/**
 * A provider sends a callback again when it did not hear 200 in time, so a message received twice
 * is one message, and an answer recorded once is not recorded again. Nothing is refused: an SMS is
 * never dropped (SPEC §5).
 */
export const inboundDecider: Decider<InboundState, InboundCommand, InboundEvent> = {
  initialState: () => ({ received: undefined, answered: false }),
  evolve(state, event: Timed<InboundEvent>) {
    switch (event.type) {
      case 'SmsReceived':
        return { ...state, received: event.data };
      case 'SmsAnswered':
        return { ...state, answered: true };
      default:
        return assertNever(event);
    }
  },
  decide(command, state) {
    switch (command.type) {
      case 'ReceiveSms':
        return state.received ? [] : [{ type: 'SmsReceived', data: command.data }];
      case 'RecordSmsAnswer':
        return state.answered || !state.received ? [] : [{ type: 'SmsAnswered', data: command.data }];
      default:
        return assertNever(command);
    }
  },
};
