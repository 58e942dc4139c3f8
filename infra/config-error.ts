/**
 * One bad setting: the variable, what is wrong in English, and in Chinese where the check words it
 * itself; a zod issue otherwise, which the console's printer words in Chinese (services/operator-text.ts).
 */
export interface ConfigProblem {
  field: string;
  en: string;
  zh?: string;
  /** Where in a file the problem is, for a zod issue (`calendar.json: holidays.3`). */
  where?: string;
  issue?: Record<string, unknown>;
}

export class ConfigError extends Error {
  /** Each problem as `FIELD: what is wrong`, in English (the printer adds the Chinese). */
  readonly problems: string[];
  constructor(readonly details: ConfigProblem[]) {
    const problems = details.map((p) => `${p.field}: ${p.en}`);
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.problems = problems;
    this.name = 'ConfigError';
  }
}
