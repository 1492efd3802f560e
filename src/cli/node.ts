import type { Command } from 'commander';
import { pino, type Logger } from 'pino';
import { BsnError } from '../errors.js';
import { startGateway, type Gateway } from '../gateway/index.js';
import { restAuthenticatorFromConfig } from '../gateway/rest/routes-openapi.js';
import { CityNode, loadNodeConfig, NodeListenError, startHttp } from '../node/index.js';
import { Governor } from '../network/governor.js';
import { operationsToken, warnReadableSecrets } from '../node/secret-files.js';
import { initJoiningNode } from '../network/node-init.js';
import { collect, parsePositiveInt, usageErrorsAsTyped } from './ca/common.js';
import { makeOutput } from './output.js';

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
  registerNodeInit(node);
}

interface NodeInitFlags {
  network?: string;
  root?: string;
  govGenesis?: string;
  peer?: string[];
  crl?: string[];
  cert: string;
  key: string;
  chain: string[];
  basePort: string;
  host?: string;
  out: string;
  name?: string;
  force?: boolean;
  json?: boolean;
}

/** `bsn node init`: the config of a node that joins an existing network (docs/node.md, "Joining a network"). */
function registerNodeInit(node: Command): void {
  node
    .command('init')
    .description('write the config of a new city node that joins an existing network (it hosts gov; governance adds it as a validator)')
    .option('--network <dir>', 'the network made by bsn up: its root, gov genesis, nodes (as bootstrap peers) and CRLs')
    .option('--root <file>', 'instead of --network: the network root certificate')
    .option('--gov-genesis <file>', 'instead of --network: the gov genesis file')
    .option('--peer <host:port>', 'instead of --network: a bootstrap peer (repeatable)', collect)
    .option('--crl <file>', 'a CRL of a CA of the network (repeatable; needed with --root)', collect)
    .requiredOption('--cert <file>', 'the node certificate (bsn ca issue --kind node)')
    .requiredOption('--key <file>', 'its key (plain PKCS#8, mode 0600)')
    .requiredOption('--chain <file>', 'the operator CA certificate that issued it (repeatable)', collect)
    .requiredOption('--base-port <port>', 'p2p on PORT, operations http on PORT+1, gateway on PORT+2')
    .option('--host <host>', 'the address the p2p and gateway listeners bind', '127.0.0.1')
    .requiredOption('--out <file>', 'the config file to write; data, token and copies go next to it')
    .option('--name <name>', "the node's name: must be the certificate's CN (the default)")
    .option('--force', 'replace an existing config')
    .option('--json', 'machine-readable output')
    .action((opts: NodeInitFlags) => {
      const result = initJoiningNode({
        ...(opts.network !== undefined && { network: opts.network }),
        ...(opts.root !== undefined && { root: opts.root }),
        ...(opts.govGenesis !== undefined && { govGenesis: opts.govGenesis }),
        peers: opts.peer ?? [],
        crls: opts.crl ?? [],
        cert: opts.cert,
        key: opts.key,
        chain: opts.chain,
        basePort: parsePositiveInt(opts.basePort, '--base-port'),
        ...(opts.host !== undefined && { host: opts.host }),
        out: opts.out,
        ...(opts.name !== undefined && { name: opts.name }),
        force: opts.force === true,
      });
      makeOutput(Boolean(opts.json)).result({ ok: true, ...result }, [
        `wrote ${result.config} for node '${result.name}' (operator ${result.operator})`,
        `  p2p ${result.p2p}  http ${result.http}  gateway ${result.gateway}`,
        `  bootstrap peers ${result.peers.join(', ')}; hosts gov only, as a follower until governance adds it`,
        `start it with: bsn node start --config ${opts.out}`,
      ]);
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
