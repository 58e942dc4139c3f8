/** Stable codes: clients and tests match on these, never on messages. */
export const DOMAIN_ERROR_CODES = [
  'not_found',
  'already_exists',
  'unit_not_found',
  'parent_not_found',
  'invalid_unit',
  'not_a_village',
  'report_closed',
  'report_dismissed',
  'already_acknowledged',
  'stale_escalation',
  'not_verified',
  'household_not_verified',
  'household_mismatch',
  'no_housing_damage',
  'duplicate_relief',
  'duplicate_household',
  'figures_below_households',
  'duplicate_of_self',
  'duplicate_of_required',
  'empty_allocation',
  'empty_delivery',
  'not_pending',
  'not_approved',
  'self_approval',
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

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const refuse = (code: DomainErrorCode, message: string, details?: Record<string, unknown>): never => {
  throw new DomainError(code, message, details);
};

/** Exhaustiveness check for switches over unions. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
