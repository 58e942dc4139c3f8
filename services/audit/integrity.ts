import { streams } from '../../domain/events.js';
import { readPublicKey } from '../../infra/audit/signing.js';
import { readForVerification } from '../../infra/audit/verify-reader.js';
import { LogVerifier, type AuditProblem } from '../../infra/audit/verify.js';
import { logPages } from '../../infra/eventstore/pages.js';
import type { EventStore } from '../../infra/eventstore/types.js';
import type { Logger } from '../../infra/logging.js';

/** The node's own last verification of the whole log (`/ready`'s `integrity`, and /metrics). */
export type IntegrityStatus =
  | {
      state: 'pending';
      /** When the first check is due (ISO-8601 UTC), about: it starts once the read side is current. */
      firstCheckAt?: string;
    }
  | {
      state: 'ok' | 'broken';
      /** When the check finished (ISO-8601 UTC). */
      checkedAt: string;
      /** Events read. */
      events: number;
      seconds: number;
      /** How many problems were found (at most MAX_PROBLEMS are named); 0 when ok. */
      problems: number;
      /** The first, as an auditor reads it (Chinese message, English beside it). */
      firstProblem?: AuditProblem;
      /** The streams the problems name (of the first MAX_PROBLEMS problems): a read marks their rows (services/http/app.ts). */
      streams?: string[];
    };

export interface IntegrityCheckOptions {
  /** The embedded store's file: read and hash-checked on two worker threads, off the event loop. */
  file?: string;
  /** The seal-signing key's public half, when seals are signed: a recomputed seal then fails too. */
  publicKeyPem?: string;
  now: () => Date;
}

/**
 * The node verifies the whole log it serves (SPEC §8: every hash chain, the position sequence, the
 * seals and their signatures) in the background, after start and then periodically, so an edit
 * made to the file behind its back — between two runs, or while it was stopped — is said loudly in
 * its log, on `/ready` and in `/metrics` without waiting for an auditor to ask. It never stops the
 * node taking reports: a report must not be lost because history was tampered with; the office
 * and its auditors are told. Runs one at a time.
 */
export class IntegrityCheck {
  #status: IntegrityStatus = { state: 'pending' };
  #running: Promise<IntegrityStatus> | undefined;
  #closed = false;

  constructor(
    private readonly store: EventStore,
    private readonly logger: Logger,
    private readonly options: IntegrityCheckOptions,
  ) {}

  status(): IntegrityStatus {
    return this.#status;
  }

  /** Records when the first run is due, for `/ready` to say while it is pending. */
  firstCheckAt(at: Date): void {
    if (this.#status.state === 'pending') this.#status = { state: 'pending', firstCheckAt: at.toISOString() };
  }

  /** Stops a run in progress at its next page (its reader threads end with it); none starts after. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#running?.catch(() => undefined);
  }

  /** Verifies the log now (or waits for the run in progress); resolves to what it found. Throws when the log cannot be read. */
  run(): Promise<IntegrityStatus> {
    if (this.#closed) return Promise.resolve(this.#status);
    this.#running ??= this.#check().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #check(): Promise<IntegrityStatus> {
    const started = performance.now();
    const { file, publicKeyPem } = this.options;
    const verifier = new LogVerifier({
      seals: await this.store.readStream(streams.audit),
      contiguous: this.store.guarantees.gapFreePositions,
      ...(publicKeyPem ? { publicKey: readPublicKey(publicKeyPem) } : {}),
    });
    if (file) {
      // Always on the worker threads (inlineUpTo 0): a node's event loop serves alerts meanwhile.
      for await (const page of readForVerification(file, { inlineUpTo: 0 })) {
        if (this.#closed) return this.#status;
        for (const { event, hashOk } of page) verifier.add(event, hashOk);
      }
    } else {
      for await (const page of logPages(this.store)) {
        if (this.#closed) return this.#status;
        for (const event of page) verifier.add(event);
      }
    }
    const report = verifier.finish();
    const seconds = Math.round(performance.now() - started) / 1000;
    const status: IntegrityStatus = {
      state: report.ok ? 'ok' : 'broken',
      checkedAt: this.options.now().toISOString(),
      events: report.events,
      seconds,
      problems: report.problems.length,
      ...(report.firstProblem ? { firstProblem: report.firstProblem } : {}),
      ...(report.ok ? {} : { streams: [...new Set(report.problems.flatMap((p) => (p.stream ? [p.stream] : [])))] }),
    };
    this.#status = status;
    if (report.ok) {
      this.logger.info({ integrity: { events: report.events, seconds, seals: report.seals.count, signatures: report.seals.signatures } }, 'the log verified: every hash chain, the positions and the seals');
    } else {
      const first = report.firstProblem!;
      // The problem names streams and positions, never an event's data (no name, phone or ID number).
      this.logger.error(
        { integrity: { problems: report.problems.length, kind: first.kind, stream: first.stream, revision: first.revision, position: first.position, seal: first.seal } },
        `日志校验未通过，历史记录可能被改动：${first.message} / the log failed verification, its history may have been changed: ${first.messageEn}`,
      );
    }
    return status;
  }
}
