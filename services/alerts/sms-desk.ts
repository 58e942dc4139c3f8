import { v5 as uuidv5 } from 'uuid';
import { DomainError } from '../../domain/errors.js';
import { streams, type EventData } from '../../domain/events.js';
import { inboundDecider, parseSmsReport, SMS_ANSWERS } from '../../domain/inbound.js';
import { parseProviderReference } from '../../domain/notification.js';
import { reportDecider, type ReportCommand } from '../../domain/report.js';
import { normalizePhone } from '../../domain/vocabulary.js';
import { readableText } from '../../domain/text.js';
import type { Logger } from '../../infra/logging.js';
import type { DeliveryReceipt, InboundSms, NotifyProvider } from '../../infra/notify/types.js';
import { contactsByPhone } from '../../projections/access.js';
import type { CommandContext, CommandHandler } from '../commands/execute.js';
import type { ProjectionRunner } from '../projection-runner.js';
import type { UnitsDirectory } from '../units-directory.js';

const INBOUND_NAMESPACE = '5b0f7f0e-3a5c-4d2e-9f61-2c1e8a7d4b93';
/** What a contact is called in a report filed by SMS when their grant names nobody. */
const UNNAMED_CONTACT = '村联络员';

/** The id of an inbound SMS: the same provider message is the same stream however often it is pushed. */
export const inboundId = (provider: string, messageId: string): string => uuidv5(`${provider}\u0000${messageId}`, INBOUND_NAMESPACE);
/** The report an inbound SMS files: derived from it, so a callback pushed again files nothing twice. */
export const inboundReportId = (inbound: string): string => uuidv5(`report\u0000${inbound}`, INBOUND_NAMESPACE);

/**
 * The office's end of the SMS line (SPEC §5): what the provider pushes — delivery receipts of the
 * alert messages, and SMS that village contacts send to the office's number.
 */
export class SmsDesk {
  constructor(
    private readonly commands: CommandHandler,
    private readonly runner: ProjectionRunner,
    private readonly units: UnitsDirectory,
    private readonly provider: NotifyProvider,
    private readonly logger: Logger,
    private readonly now: () => Date,
  ) {}

  #context(actor: CommandContext['actor'], correlation: string): CommandContext {
    return { actor, correlationId: `sms-${correlation}`, now: this.now().toISOString() };
  }

  /**
   * Records a carrier's report on one of our messages (NotificationDelivered). A receipt is found
   * by the reference the provider echoes, or by its message id once the send is recorded; one for
   * a message we never recorded (a test message, an answer to an inbound SMS) is logged and dropped.
   */
  async receipt(receipt: DeliveryReceipt): Promise<void> {
    const find = () => {
      const ref = receipt.reference ? parseProviderReference(receipt.reference) : undefined;
      return ref ?? this.runner.state('notifications').byMessage.get(`${this.provider.name}:${receipt.messageId}`);
    };
    // A receipt may come before this node applied the send it reports on.
    const target = find() ?? ((await this.runner.caughtUp(2000)) ? find() : undefined);
    if (!target) {
      this.logger.info({ provider: this.provider.name, channel: receipt.channel, delivered: receipt.delivered }, 'a delivery receipt for no recorded alert message');
      return;
    }
    try {
      await this.commands.execute(
        streams.report(target.reportId),
        reportDecider,
        { type: 'RecordDelivery', data: { id: target.id, delivered: receipt.delivered, code: readableText(receipt.code.slice(0, 100)), reportedAt: receipt.reportedAt }, now: this.now().toISOString() },
        this.#context({ id: `provider-${this.provider.name}`, role: 'system' }, target.reportId),
      );
    } catch (error) {
      if (error instanceof DomainError && error.code === 'not_found') {
        this.logger.info({ reportId: target.reportId }, 'a delivery receipt for a message the report does not hold');
        return;
      }
      throw error;
    }
  }

  /**
   * Keeps an SMS sent to the office's number and acts on it: from a registered contact in the
   * short format it files a report in their village, alerted like any other; anything else is kept
   * and shown to the township's officers (GET /inbox, an `inbound` frame). The sender is answered
   * by SMS either way. Throws only when the store fails: the provider then pushes it again.
   */
  async receive(sms: InboundSms): Promise<{ id: string; outcome: EventData<'SmsReceived'>['outcome']; reportId: string | undefined }> {
    const id = inboundId(this.provider.name, sms.messageId);
    const stream = streams.inbound(id);
    const loaded = await this.commands.load(stream, inboundDecider);
    let received = loaded.state.received;
    if (!received) {
      received = await this.#file(id, sms);
      const system = this.#context({ id: `provider-${this.provider.name}`, role: 'system' }, id);
      await this.commands.execute(stream, inboundDecider, { type: 'ReceiveSms', data: received, now: system.now }, system);
    }
    if (!loaded.state.answered) await this.#answer(id, received);
    return { id, outcome: received.outcome, reportId: received.reportId };
  }

  /** Works out who sent it and what it says, and files the report when it can be. */
  async #file(id: string, sms: InboundSms): Promise<EventData<'SmsReceived'>> {
    const from = normalizePhone(sms.from);
    const nowMs = this.now().getTime();
    // A provider time that could not be read is this server's: the report was sent no later.
    const receivedAt = sms.receivedAt ?? this.now().toISOString();
    // What the phone sent, made storable: a stray control character, a direction override or a
    // surrogate pair cut by the 1,000-character bound must not refuse the message (the report would
    // be lost, and the provider push it again for ever); each shows as U+FFFD.
    const text = readableText(sms.text.slice(0, 1000));
    const base = { provider: this.provider.name, messageId: readableText(sms.messageId.slice(0, 200)), from, text, receivedAt };
    // The latest grant carrying this number says whose it is.
    const sender = contactsByPhone(this.runner.state('access'), from, nowMs).at(-1);
    if (!sender) return { ...base, outcome: 'unknown_sender', problem: '号码未登记' };
    const who = { sender: sender.sub, village: sender.village };
    const parsed = parseSmsReport(text);
    if (!parsed.ok) return { ...base, ...who, outcome: 'unparsed', problem: parsed.problem === 'empty' ? '空短信' : '未写灾种' };
    if (!this.units.get(sender.village)) await this.units.refresh();
    const village = this.units.get(sender.village);
    const reportId = inboundReportId(id);
    const context = this.#context({ id: sender.sub, role: 'contact' }, id);
    const data: EventData<'ReportFiled'> = {
      reportId,
      village: sender.village,
      hazard: parsed.hazard,
      ...(parsed.group ? { group: parsed.group } : {}),
      observedAt: receivedAt,
      reporter: { id: sender.sub, name: sender.name ?? UNNAMED_CONTACT, phone: from },
      estimate: parsed.estimate,
      ...(parsed.notes ? { notes: parsed.notes } : {}),
    };
    const command: ReportCommand = { type: 'FileReport', data, unit: village ? { name: village.name } : undefined, now: context.now };
    try {
      await this.commands.execute(streams.report(reportId), reportDecider, command, context, { eventIds: [reportId] });
    } catch (error) {
      // Filed already (the callback pushed again after a crash): the same report.
      if (!(error instanceof DomainError)) throw error;
      if (error.code !== 'already_exists') return { ...base, ...who, outcome: 'unparsed', problem: `未能立案：${error.code}` };
    }
    return { ...base, ...who, outcome: 'filed', reportId };
  }

  /** Answers the sender by SMS and records what the provider said; a failed answer is recorded, not retried. */
  async #answer(id: string, received: EventData<'SmsReceived'>): Promise<void> {
    const params = { number: received.reportId ? received.reportId.slice(0, 8) : '', status: SMS_ANSWERS[received.outcome] };
    let answer: EventData<'SmsAnswered'>;
    try {
      const messageId = await this.provider.sendReply(received.from, params, `inbound/${id}`);
      answer = { ok: true, messageId: messageId.slice(0, 200) };
    } catch (error) {
      answer = { ok: false, code: (error as { code?: string }).code?.slice(0, 100) ?? 'network' };
      this.logger.warn({ inbound: id, code: answer.code }, 'the answer to an inbound SMS could not be sent');
    }
    const system = this.#context({ id: `provider-${this.provider.name}`, role: 'system' }, id);
    await this.commands.execute(streams.inbound(id), inboundDecider, { type: 'RecordSmsAnswer', data: answer, now: system.now }, system);
  }
}
