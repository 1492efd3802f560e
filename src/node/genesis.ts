import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { getSuite, type Suite } from '../crypto/index.js';
import { validatorAddress, ValidatorSet, type Validator } from '../consensus/index.js';
import { GenesisError } from './errors.js';

const chainIdPattern = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * A chain's genesis file (JSON): its id, suite, state machine, start time and first validator
 * set. Validators are named by their raw public key (hex, the suite's `PublicKey.bytes`).
 */
export const genesisSchema = z.strictObject({
  chainId: z.string().regex(chainIdPattern, 'lowercase letters, digits and dashes, at most 63'),
  suite: z.enum(['ecdsa-p256', 'ed25519', 'secp256k1', 'sm2']),
  /** The state machine: `gov` is the network's governance chain (docs/governance.md). */
  app: z.enum(['kv', 'evm', 'gov']),
  /** Milliseconds since the epoch. */
  time: z.number().int().min(0),
  validators: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        publicKey: z.string().regex(/^[0-9a-f]+$/, 'lowercase hex'),
        power: z.number().int().min(1),
      }),
    )
    .min(1),
  /** The state machine's own genesis state: for `evm`, `{ chainId, alloc }` in geth's shape. */
  appState: z.json().optional(),
});

export type GenesisFile = z.infer<typeof genesisSchema>;

export interface ChainGenesis {
  readonly file: GenesisFile;
  readonly suite: Suite;
  readonly validators: ValidatorSet;
  /** Consensus address → the name the genesis gives it (for logs and status). */
  readonly names: ReadonlyMap<string, string>;
}

export function parseGenesis(text: string, source = 'genesis'): ChainGenesis {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new GenesisError(`${source} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  const parsed = genesisSchema.safeParse(raw);
  if (!parsed.success) {
    throw new GenesisError(`invalid ${source}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
  }
  const file = parsed.data;
  const suite = getSuite(file.suite);
  const names = new Map<string, string>();
  const validators: Validator[] = file.validators.map((v, i) => {
    let publicKey;
    try {
      publicKey = suite.importPublicKeyBytes(Buffer.from(v.publicKey, 'hex'));
    } catch (cause) {
      throw new GenesisError(`${source}: validators.${i} (${v.name}) has no valid ${suite.name} public key`, { cause });
    }
    const address = validatorAddress(suite, publicKey);
    if (names.has(address)) throw new GenesisError(`${source}: validator ${v.name} is listed twice`);
    names.set(address, v.name);
    return { address, publicKey, power: BigInt(v.power) };
  });
  try {
    return { file, suite, validators: ValidatorSet.genesis(validators), names };
  } catch (cause) {
    throw new GenesisError(`${source}: ${(cause as Error).message}`, { cause });
  }
}

export function loadGenesis(file: string): ChainGenesis {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new GenesisError(`cannot read genesis '${file}': ${(cause as Error).message}`, { cause });
  }
  return parseGenesis(text, file);
}
