import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../../infra/logging.js';
import type { EventStore } from '../../infra/eventstore/types.js';

export interface AppDeps {
  store: EventStore;
  logger: Logger;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger });
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_req, reply) => {
    try {
      await deps.store.ping();
      return { status: 'ready', eventStore: deps.store.kind };
    } catch (error) {
      return reply.code(503).send({ error: 'not_ready', message: `event store: ${(error as Error).message}` });
    }
  });
  return app;
}
