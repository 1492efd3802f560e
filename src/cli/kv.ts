import type { Command } from 'commander';
import { DEV_KV_CHAIN, readOpsToken } from '../network/devnet.js';
import { readPrivateKeyPem } from '../pki/index.js';
import { KvClient } from '../sdk/kv-client.js';
import { readInputFile, usageErrorsAsTyped } from './ca/common.js';
import { makeOutput } from './output.js';

const DEFAULT_NODE = 'http://127.0.0.1:27001';

/** `bsn kv put|get`: signed writes to and reads from a kv app chain through a city node. */
export function registerKvCommands(program: Command): void {
  const kv = usageErrorsAsTyped(program.command('kv').description('write and read a kv app chain'));
  const common = (c: Command) =>
    c
      .option('--node <url>', 'operations endpoint of a city node', DEFAULT_NODE)
      .option('--chain <id>', 'app chain id', DEV_KV_CHAIN)
      .option('--token-file <file>', "the node's operations token (http.tokenFile of its config)")
      .option('--dir <dir>', 'the local network (bsn up) whose operations token to use when --token-file is not given', '.bsn')
      .option('--json', 'machine-readable output');

  common(kv.command('put').description('sign and submit a write; waits until it is committed'))
    .requiredOption('--key-file <pem>', 'the signer private key (PKCS#8 PEM, e.g. a user key.pem from bsn ca issue)')
    .argument('<key>', 'the key (UTF-8)')
    .argument('<value>', 'the value (UTF-8)')
    .action(async (key: string, value: string, opts: KvOptions & { keyFile: string }) => {
      const privateKey = readPrivateKeyPem(readInputFile(opts.keyFile, 'key file'));
      const enc = new TextEncoder();
      const r = await client(opts).put(privateKey, enc.encode(key), enc.encode(value));
      makeOutput(Boolean(opts.json)).result({ ok: true, ...r }, [`committed at height ${r.height} (tx ${r.hash})`]);
    });

  common(kv.command('get').description('read a committed value'))
    .argument('<key>', 'the key (UTF-8)')
    .action(async (key: string, opts: KvOptions) => {
      const r = await client(opts).get(new TextEncoder().encode(key));
      const value = r.value === undefined ? null : new TextDecoder().decode(r.value);
      makeOutput(Boolean(opts.json)).result({ ok: true, height: r.height, value }, [value === null ? `(no value at height ${r.height})` : value]);
    });
}

interface KvOptions {
  readonly node: string;
  readonly chain: string;
  readonly tokenFile?: string;
  readonly dir: string;
  readonly json?: boolean;
}

/** A client with the operations token of --token-file, else of the local network in --dir (if any). */
function client(opts: KvOptions): KvClient {
  const token = opts.tokenFile !== undefined ? readInputFile(opts.tokenFile, 'token file').split('\n')[0]!.trim() : readOpsToken(opts.dir);
  return new KvClient(opts.node, opts.chain, token === undefined ? {} : { token });
}
