import type { Command } from 'commander';
import { pino } from 'pino';
import { startGateway } from '../gateway/index.js';
import { CityNode, loadNodeConfig, startHttp } from '../node/index.js';
import { usageErrorsAsTyped } from './ca/common.js';

/**
 * `bsn node start --config FILE`: runs one city node in the foreground until SIGTERM or SIGINT,
 * logging JSON lines (pino) to stdout. Shutdown is graceful: consensus stops, the mempool's
 * workers end, LevelDB closes, then the process exits 0.
 */
export function registerNodeCommands(program: Command): void {
  const node = usageErrorsAsTyped(program.command('node').description('run a city node'));
  node
    .command('start')
    .description('start a city node from its config file')
    .requiredOption('--config <file>', 'the node config (JSON; see docs/node.md)')
    .action(async (opts: { config: string }) => {
      const config = loadNodeConfig(opts.config);
      const log = pino({ level: config.log.level, base: { node: config.name } });
      const city = await CityNode.start(config, log);
      const http = await startHttp(city, config.http.listen);
      const gateway = config.gateway ? await startGateway(city, { listen: config.gateway.listen, ...(config.gateway.rest ? { rest: {} } : {}), onError: (err) => log.error({ err: (err as Error).message }, 'gateway error') }) : undefined;
      log.info({ http: http.address, p2p: city.p2pAddress, gateway: gateway?.address }, 'ready');
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          log.info({ signal }, 'shutting down');
          http.server.close();
          http.server.closeAllConnections();
          // The gateway stops first: no request may reach a chain that is shutting down.
          (gateway ? gateway.close() : Promise.resolve())
            .then(() => city.stop())
            .then(resolve, (err: unknown) => {
              log.error({ err: (err as Error).message }, 'shutdown failed');
              resolve();
            });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
}
