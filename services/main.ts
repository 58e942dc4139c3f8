import { ConfigError, loadConfig, type Config } from '../infra/config.js';
import { createLogger } from '../infra/logging.js';
import { configErrorText, systemErrorText } from './operator-text.js';
import { createZhitong, type Zhitong } from './server.js';

/**
 * A start that cannot go on: a refused setting exits 78 (EX_CONFIG) with one line per setting; a
 * failure of the machine (DATA_DIR a file, a port in use, a HOST not this machine's, a damaged
 * store) exits 1 with one sentence that says what to change. A bug keeps its stack.
 */
function cannotStart(error: unknown, dataDir: string | undefined): never {
  if (error instanceof ConfigError) {
    console.error(configErrorText(error));
    process.exit(78);
  }
  const text = systemErrorText(error, dataDir);
  if (text === undefined) throw error;
  console.error(`没有启动 / not started:\n  ${text}`);
  process.exit(1);
}

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  cannotStart(error, process.env.DATA_DIR);
}
// Every configured secret is taken out of every log line: the callback secret is in the callback URLs' path.
const logger = createLogger(config.logLevel, { secrets: [config.authSecret, ...(config.notify ? [config.notify.keySecret, config.notify.callbackSecret] : [])] });
// Every background task catches its own failures (services/background.ts); anything that still
// escapes is a bug to log loudly, not a reason to stop alerting a whole county.
process.on('unhandledRejection', (reason) => logger.fatal({ err: reason }, 'unhandled rejection (a bug): logged, the node keeps running'));
const zhitong: Zhitong = await createZhitong(config, logger).catch((error: unknown) => cannotStart(error, config.dataDir));
await zhitong.app.listen({ port: config.port, host: config.host }).catch(async (error: unknown) => {
  // The store is open and the tailer running: closed first, so the refusal leaves nothing half-done.
  await zhitong.close().catch(() => undefined);
  cannotStart(error, config.dataDir);
});
// Which build runs (bin/launch.mjs), for an operator whose start is slower than it should be: the
// bundle in dist/bundle/, the modules in dist/, or the TypeScript through tsx (sources newer than the build).
const code = import.meta.url.includes('/dist/bundle/') ? 'bundle' : import.meta.url.includes('/dist/') ? 'compiled' : 'typescript';
// One line that tells an operator what this node is (fastify's lines before it give the addresses):
// the register and the log it serves, and where alerts, SMS, seals and backups go — or that they don't.
logger.info(
  {
    dataDir: config.dataDir,
    store: zhitong.store.kind,
    code,
    units: zhitong.runner.state('units').units.size,
    logHead: zhitong.runner.checkpoint ?? null,
    alertJobs: config.redisUrl ? 'redis (bullmq)' : 'in-process',
    sms: config.notify?.provider ?? 'off',
    sealsSigned: config.auditSigningKeyFile !== undefined,
    backups: config.backup?.dir ?? 'off',
  },
  'zhitong is listening',
);
// A node with no unit registered can take no report and verify no token's unit: on a new deployment
// that is the next step to take; where data was expected, DATA_DIR is most often mistyped — the
// store is then a new, empty one with a new secret, and every token issued before is refused
// (found by a newcomer: nothing said so above info level).
// Looked at once the read side has read the log to its end: a node replaying a long log would
// otherwise warn before it applied the register.
void zhitong.runner
  .caughtUp(10 * 60_000)
  .catch(() => false)
  .then((caughtUp) => {
    if (!caughtUp || zhitong.runner.state('units').units.size > 0) return;
    logger.warn(
      { dataDir: config.dataDir },
      `没有登记任何单位（DATA_DIR：${config.dataDir}）：新部署请先导入行政区划（units import，或试用时 seed-demo）；如果这里本该有数据，请检查 DATA_DIR 是否写错 / ` +
        'no units are registered: a new deployment imports its units first (units import, or seed-demo to try it); if data was expected here, check that DATA_DIR is not mistyped',
    );
  });

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'finishing in-flight requests, then closing the store');
    zhitong.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'unclean shutdown');
        process.exit(1);
      },
    );
  });
}
