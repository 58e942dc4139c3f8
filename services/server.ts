import type { FastifyInstance } from 'fastify';
import type { Config } from '../infra/config.js';
import { openEventStore } from '../infra/eventstore/index.js';
import type { EventStore } from '../infra/eventstore/types.js';
import type { Logger } from '../infra/logging.js';
import { tokenService, type TokenService } from '../infra/tokens.js';
import { buildApp } from './http/app.js';
import { ReportLinks } from './report-links.js';
import { UnitsDirectory } from './units-directory.js';

export interface Zhitong {
  app: FastifyInstance;
  store: EventStore;
  tokens: TokenService;
  units: UnitsDirectory;
  /** Stops taking requests, finishes those in flight, then closes the store. */
  close(): Promise<void>;
}

/** The composition root: wires the configured infrastructure into the services. */
export async function createZhitong(config: Config, logger: Logger, options: { now?: () => Date; store?: EventStore } = {}): Promise<Zhitong> {
  const store = options.store ?? openEventStore(config);
  const tokens = tokenService(config.authSecret);
  const units = new UnitsDirectory(store);
  await units.refresh();
  const links = new ReportLinks(store);
  links.start();
  const app = await buildApp({
    store,
    logger,
    tokens,
    units,
    links,
    bodyLimitBytes: config.bodyLimitBytes,
    rateLimitPerMinute: config.rateLimitPerMinute,
    ...(options.now ? { now: options.now } : {}),
  });
  let closed = false;
  return {
    app,
    store,
    tokens,
    units,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await links.stop();
      await store.close();
    },
  };
}
