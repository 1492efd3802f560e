import type { ClassicLevel } from 'classic-level';
import { BlockStoreError } from './errors.js';

type Db = ClassicLevel<string, Uint8Array>;
type ChainLevel = ReturnType<typeof chainLevel>;

function chainLevel(db: Db, chainId: string) {
  return db.sublevel<string, Uint8Array>(`chain:${chainId}`, { keyEncoding: 'utf8', valueEncoding: 'view' });
}

/** Heights as fixed-width decimal so that LevelDB's byte order is height order. */
const blockKey = (height: number) => `block/${height.toString().padStart(16, '0')}`;
const certificateKey = (height: number) => `cert/${height.toString().padStart(16, '0')}`;
const TIP = 'tip';
/** The validator set a block put in force from the next height (governance); absent when it kept the set. */
const validatorsKey = (height: number) => `vset/${height.toString().padStart(16, '0')}`;
const VALIDATORS_PREFIX = 'vset/';

/**
 * Blocks and their commit certificates of one chain, in the node's one LevelDB (a sublevel per
 * chain). A height is stored with one synced batch — block, certificate and the new tip together —
 * so after a crash the store holds every height up to its tip and nothing past it.
 */
export class BlockStore {
  private constructor(
    private readonly db: Db,
    private readonly level: ChainLevel,
    private tip: number,
  ) {}

  static async open(db: Db, chainId: string): Promise<BlockStore> {
    const level = chainLevel(db, chainId);
    const tipBytes = await level.get(TIP);
    const tip = tipBytes ? Number(new TextDecoder().decode(tipBytes)) : 0;
    return new BlockStore(db, level, tip);
  }

  /** The height of the last stored block; 0 before the first. */
  get height(): number {
    return this.tip;
  }

  /**
   * Stores the block of the next height with its commit certificate, durably (fsync). When the
   * block changes the validator set, `validators` (the encoded new set, as the chain layer's
   * caller encodes it) goes in the same batch: after a crash the store knows every set its
   * blocks decided, including those whose state the application had already committed.
   */
  async append(height: number, block: Uint8Array, certificate: Uint8Array, validators?: Uint8Array): Promise<void> {
    if (height !== this.tip + 1) throw new BlockStoreError(`cannot store height ${height}: the store is at ${this.tip}`);
    await this.db.batch(
      [
        { type: 'put', sublevel: this.level, key: blockKey(height), value: block },
        { type: 'put', sublevel: this.level, key: certificateKey(height), value: certificate },
        ...(validators ? [{ type: 'put' as const, sublevel: this.level, key: validatorsKey(height), value: validators }] : []),
        { type: 'put', sublevel: this.level, key: TIP, value: new TextEncoder().encode(String(height)) },
      ],
      { sync: true },
    );
    this.tip = height;
  }

  /** Every stored validator-set change: height of the block that made it → its encoding. */
  async validatorChanges(): Promise<Map<number, Uint8Array>> {
    const changes = new Map<number, Uint8Array>();
    for await (const [key, value] of this.level.iterator({ gte: VALIDATORS_PREFIX, lt: 'vset0' })) {
      const height = Number(key.slice(VALIDATORS_PREFIX.length));
      if (height <= this.tip) changes.set(height, value);
    }
    return changes;
  }

  async block(height: number): Promise<Uint8Array | undefined> {
    return height >= 1 && height <= this.tip ? this.level.get(blockKey(height)) : undefined;
  }

  async certificate(height: number): Promise<Uint8Array | undefined> {
    return height >= 1 && height <= this.tip ? this.level.get(certificateKey(height)) : undefined;
  }
}
