import type { Command } from 'commander';
import { pino, type Logger } from 'pino';
import { BsnError } from '../errors.js';
import { startGateway, type Gateway } from '../gateway/index.js';
import { restAuthenticatorFromConfig } from '../gateway/rest/routes-openapi.js';
import { CityNode, loadNodeConfig, NodeListenError, startHttp } from '../node/index.js';
import { Governor } from '../network/governor.js';
import { operationsToken, warnReadableSecrets } from '../node/secret-files.js';
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
      warnReadableSecrets(config, log);
      const token = operationsToken(config);
      const city = await started(log, () => CityNode.start(config, log));
      let http: Awaited<ReturnType<typeof startHttp>> | undefined;
      let gateway: Gateway | undefined;
      let rest: { authenticator: ReturnType<typeof restAuthenticatorFromConfig> } | undefined;
      try {
        http = await startHttp(city, config.http.listen, { token, log });
        // Made here rather than by the gateway so that reloaded CRLs reach it too (H6).
        rest = config.gateway?.rest ? { authenticator: restAuthenticatorFromConfig(config) } : undefined;
        if (rest) city.onCrlsReloaded((pems) => rest!.authenticator.updateCrls(pems));
        gateway = config.gateway ? await listening('gateway', config.gateway.listen, () => startGateway(city, { listen: config.gateway!.listen, ...(rest ? { rest } : {}), onError: (err) => log.error({ err: (err as Error).message }, 'gateway error') })) : undefined;
      } catch (err) {
        // A node without one of its configured listeners is not the node the config describes:
        // stop what runs and exit non-zero with the reason, instead of half-serving.
        http?.server.close();
        await city.stop().catch(() => undefined);
        return failStart(log, err);
      }
      // The node obeys its governance chain from now on: peers, the gateway's trust, dial addresses.
      const governor = Governor.attach(city, rest ? [rest.authenticator] : [], log);
      const ops = http;
      // SIGHUP reads the CRL files again (docs/pki.md); without a handler it would end the process.
      process.on('SIGHUP', () => log.info({ outcome: city.reloadCrls('SIGHUP') }, 'SIGHUP: CRL files read'));
      log.info({ http: ops.address, p2p: city.p2pAddress, gateway: gateway?.address }, 'ready');
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          log.info({ signal }, 'shutting down');
          governor?.stop();
          ops.server.close();
          ops.server.closeAllConnections();
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

/** Runs a start step; a failure is logged (to the node's log) and ends the start. */
async function started<T>(log: Logger, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    return failStart(log, err);
  }
}

/** A listener's start failure as a NodeListenError (the gateway's server throws Node's own). */
async function listening<T>(what: string, listen: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (cause) {
    const { syscall, code } = cause as { syscall?: string; code?: string };
    if (cause instanceof BsnError || (syscall !== 'listen' && code !== 'EADDRINUSE' && code !== 'EADDRNOTAVAIL' && code !== 'EACCES')) throw cause;
    throw new NodeListenError(what, listen, cause);
  }
}

function failStart(log: Logger, err: unknown): never {
  log.fatal({ err: (err as Error).message, code: (err as { code?: string }).code }, 'city node failed to start');
  // main() reports the error and sets the exit code; should a handle still hold the event loop, exit anyway.
  setTimeout(() => process.exit(1), 5000).unref();
  throw err;
}
