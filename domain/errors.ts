/** Stable codes: clients and tests match on these, never on messages. */
export const DOMAIN_ERROR_CODES = [
  'not_found',
  'already_exists',
  'unit_not_found',
  'parent_not_found',
  'invalid_unit',
  'implausible_centre',
  'not_a_village',
  'report_closed',
  'report_dismissed',
  'already_acknowledged',
  'stale_escalation',
  'not_verified',
  'verification_outdated',
  'household_not_verified',
  'household_mismatch',
  'no_housing_damage',
  'duplicate_relief',
  'duplicate_household',
  'figures_below_households',
  'figures_inconsistent',
  'duplicate_of_self',
  'duplicate_of_required',
  'duplicate_of_unknown',
  'duplicate_of_dismissed',
  'duplicate_of_other_village',
  'duplicate_of_unexpected',
  'duplicate_of_each_other',
  'duplicate_of_unverified',
  'empty_allocation',
  'empty_delivery',
  'not_pending',
  'not_approved',
  'self_approval',
  'review_required',
  'nothing_to_review',
  'over_delivery',
  'already_delivered',
  'allocation_closed',
  'explanation_required',
  'incident_closed',
  'initial_already_submitted',
  'final_already_submitted',
  'initial_not_submitted',
  'not_stabilized',
  'already_stabilized',
  'final_not_submitted',
  'report_already_linked',
  'report_not_linked',
  'invalid_period',
  'duplicate_roster_entry',
  'idempotency_mismatch',
  'in_progress',
  'invalid_grant',
] as const;

export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

/** Why a command was refused, in English and in Chinese (SPEC §9: Chinese by default). */
export interface Reason {
  en: string;
  zh: string;
}

export class DomainError extends Error {
  /** The reason in Chinese, when the code's own Chinese message (services/http/messages.ts) would not tell it from the code's other reasons. */
  readonly zh: string | undefined;

  constructor(
    readonly code: DomainErrorCode,
    reason: string | Reason,
    readonly details?: Record<string, unknown>,
  ) {
    super(typeof reason === 'string' ? reason : reason.en);
    this.zh = typeof reason === 'string' ? undefined : reason.zh;
    this.name = 'DomainError';
  }
}

/**
 * Throws a DomainError. A code refused for more than one reason gives each its Chinese (`Reason`),
 * or a Chinese message drawn from `details`: a person reads which rule refused, not only the code
 * (tests/api/messages.test.ts sweeps every call).
 */
export const refuse = (code: DomainErrorCode, reason: string | Reason, details?: Record<string, unknown>): never => {
  throw new DomainError(code, reason, details);
};

/** Exhaustiveness check for switches over unions. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
