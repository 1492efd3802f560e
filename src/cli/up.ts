import path from 'node:path';
import type { Command } from 'commander';
import { devAccounts, DEV_EVM_CHAIN_ID, DEV_MNEMONIC, gatewayUrl, initDevnet, loadLayout, OPS_TOKEN_FILE, renewDevnetCrls, startDevnet, stopDevnet, waitReady, DevnetError } from '../network/devnet.js';
import { parsePositiveInt, usageErrorsAsTyped } from './ca/common.js';
import { makeOutput } from './output.js';
import { healthLines, networkStatus, registryLines } from './status.js';

const DEFAULT_DIR = '.bsn';

/** The command that runs this CLI again, as itself: the built JS, or the TS source under tsx. */
function selfCommand(): { node: string; args: string[] } {
  return { node: process.execPath, args: [...process.execArgv, path.resolve(process.argv[1]!)] };
}

/** `bsn up`, `bsn down`, `bsn status`: a complete local network in one directory. */
export function registerNetworkCommands(program: Command): void {
  usageErrorsAsTyped(program.command('up'))
    .description("create (once) and start a local network: root CA, two operators, four city nodes, the governance chain 'gov' (identities authority, op1, op2 in DIR/identities), the EVM chain 'demo' (funded development accounts) and the kv chain 'kv'")
    .option('--dir <dir>', 'data directory of the network', DEFAULT_DIR)
    .option('--base-port <port>', 'first port; node i listens on base+10i (p2p), base+10i+1 (http) and base+10i+2 (gateway)', '27000')
    .option('--gateway-tls', 'a new network only: the gateways serve HTTPS/WSS with certificates of their operator CA (plain HTTP on loopback otherwise)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { dir: string; basePort: string; gatewayTls?: boolean; json?: boolean }) => {
      const out = makeOutput(Boolean(opts.json));
      const basePort = parsePositiveInt(opts.basePort, '--base-port');
      let step = 0;
      const progress = (s: string) => {
        if (!out.json) process.stdout.write(`[${++step}] ${s}\n`);
      };
      const fresh = !loadLayout(opts.dir);
      const layout = await initDevnet(opts.dir, basePort, progress, { gatewayTls: opts.gatewayTls === true });
      if (!fresh) {
        progress('renewing the certificate revocation lists');
        await renewDevnetCrls(layout);
      }
      progress(fresh ? 'starting four city nodes' : 'starting the existing network');
      const pids = startDevnet(layout, selfCommand());
      progress('waiting for the nodes to connect');
      await waitReady(layout, 30_000, pids);
      const evm = layout.evmChainId;
      const gatewayOf = (n: (typeof layout.nodes)[number]) => gatewayUrl(layout, n);
      const rpcOf = (n: (typeof layout.nodes)[number]) => (evm && n.gatewayPort ? `${gatewayOf(n)}/apps/${evm}/rpc` : undefined);
      const accounts = evm ? devAccounts() : [];
      out.result(
        {
          ok: true, dir: layout.dir, govChain: layout.govChainId, identities: layout.identities, kvChain: layout.chainId, evmChain: evm, evmChainId: evm ? DEV_EVM_CHAIN_ID : undefined, rootFingerprint: layout.rootFingerprint,
          nodes: layout.nodes.map((n) => ({ name: n.name, pid: pids[n.name], p2p: `127.0.0.1:${n.p2pPort}`, http: `http://127.0.0.1:${n.httpPort}`, gateway: gatewayOf(n), rpc: rpcOf(n) })),
          accounts: evm ? { mnemonic: DEV_MNEMONIC, list: accounts } : undefined,
        },
        [
          `BSN local network up in ${layout.dir} (root CA ${layout.rootFingerprint.slice(0, 23)}…)`,
          ...layout.nodes.map((n) => `  ${n.name}  p2p 127.0.0.1:${n.p2pPort}  http http://127.0.0.1:${n.httpPort}  (/health /status /metrics; POST /chains/${layout.chainId}/txs with the token in ${OPS_TOKEN_FILE})${rpcOf(n) ? `\n         '${evm}' JSON-RPC ${rpcOf(n)}  (chain id ${DEV_EVM_CHAIN_ID}; ${layout.gatewayTls ? 'wss' : 'ws'}:// on the same path)` : ''}`),
          ...(layout.govChainId ? [`governance chain '${layout.govChainId}' on every node; identities ${(layout.identities ?? []).join(', ')} in ${path.join(opts.dir, 'identities')} (bsn gov show nodes --dir ${opts.dir}; bsn gov propose … --as NAME)`] : []),
          ...(evm
            ? [
                `development accounts on '${evm}', 10,000 ETH each (mnemonic "${DEV_MNEMONIC}"; publicly known keys, for development only):`,
                ...accounts.map((a, i) => `  (${i}) ${a.address}  ${a.privateKey}`),
              ]
            : []),
          `stop it with: bsn down --dir ${opts.dir}`,
        ],
      );
    });

  usageErrorsAsTyped(program.command('down'))
    .description('stop the local network (its data stays; bsn up starts it again)')
    .option('--dir <dir>', 'data directory of the network', DEFAULT_DIR)
    .option('--json', 'machine-readable output')
    .action(async (opts: { dir: string; json?: boolean }) => {
      if (!loadLayout(opts.dir)) throw new DevnetError(`no local network in '${opts.dir}'`);
      const stopped = await stopDevnet(opts.dir);
      makeOutput(Boolean(opts.json)).result({ ok: true, stopped }, [stopped.length ? `stopped ${stopped.join(', ')}` : 'no node was running']);
    });

  usageErrorsAsTyped(program.command('status'))
    .description("heights, rounds and peers of the local network's nodes, and every node of the governance registry (operator, region, status, validator, health)")
    .option('--dir <dir>', 'data directory of the network', DEFAULT_DIR)
    .option('--json', 'machine-readable output')
    .action(async (opts: { dir: string; json?: boolean }) => {
      const layout = loadLayout(opts.dir);
      if (!layout) throw new DevnetError(`no local network in '${opts.dir}'`);
      const status = await networkStatus(layout);
      makeOutput(Boolean(opts.json)).result({ ok: status.ok, nodes: status.nodes, registry: status.registry }, [...healthLines(status.nodes), ...registryLines(status.registry)]);
    });
}
