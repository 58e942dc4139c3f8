import { ConfigError, loadConfig } from '../infra/config.js';
import { openEventStore } from '../infra/eventstore/index.js';
import { createLogger } from '../infra/logging.js';
import { buildApp } from './http/app.js';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(78);
  }
  throw error;
}
const logger = createLogger(config.logLevel);
const store = openEventStore(config);
const app = await buildApp({ store, logger });
await app.listen({ port: config.port, host: config.host });
logger.info({ dataDir: config.dataDir, store: store.kind }, 'zhitong is listening');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'finishing in-flight requests');
    void app
      .close()
      .then(() => store.close())
      .then(() => process.exit(0));
  });
}
