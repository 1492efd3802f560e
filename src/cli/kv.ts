import type { Command } from 'commander';
import { DEV_KV_CHAIN } from '../network/devnet.js';
import { readPrivateKeyPem } from '../pki/index.js';
import { KvClient } from '../sdk/kv-client.js';
import { readInputFile, usageErrorsAsTyped } from './ca/common.js';
import { makeOutput } from './output.js';

const DEFAULT_NODE = 'http://127.0.0.1:27001';

/** `bsn kv put|get`: signed writes to and reads from a kv app chain through a city node. */
export function registerKvCommands(program: Command): void {
  const kv = usageErrorsAsTyped(program.command('kv').description('write and read a kv app chain'));
  const common = (c: Command) =>
    c.option('--node <url>', 'HTTP endpoint of a city node', DEFAULT_NODE).option('--chain <id>', 'app chain id', DEV_KV_CHAIN).option('--json', 'machine-readable output');

  common(kv.command('put').description('sign and submit a write; waits until it is committed'))
    .requiredOption('--key-file <pem>', 'the signer private key (PKCS#8 PEM, e.g. a user key.pem from bsn ca issue)')
    .argument('<key>', 'the key (UTF-8)')
    .argument('<value>', 'the value (UTF-8)')
    .action(async (key: string, value: string, opts: { node: string; chain: string; keyFile: string; json?: boolean }) => {
      const privateKey = readPrivateKeyPem(readInputFile(opts.keyFile, 'key file'));
      const enc = new TextEncoder();
      const r = await new KvClient(opts.node, opts.chain).put(privateKey, enc.encode(key), enc.encode(value));
      makeOutput(Boolean(opts.json)).result({ ok: true, ...r }, [`committed at height ${r.height} (tx ${r.hash})`]);
    });

  common(kv.command('get').description('read a committed value'))
    .argument('<key>', 'the key (UTF-8)')
    .action(async (key: string, opts: { node: string; chain: string; json?: boolean }) => {
      const r = await new KvClient(opts.node, opts.chain).get(new TextEncoder().encode(key));
      const value = r.value === undefined ? null : new TextDecoder().decode(r.value);
      makeOutput(Boolean(opts.json)).result({ ok: true, height: r.height, value }, [value === null ? `(no value at height ${r.height})` : value]);
    });
}
