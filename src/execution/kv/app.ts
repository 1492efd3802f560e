import { CandidateExecutions, ExclusiveLock } from '../candidates.js';
import type { ClassicLevel } from 'classic-level';
import { CodecError, decode, encode, expectArray, expectBytes, expectUint } from '../../codec/index.js';
import type { Suite } from '../../crypto/index.js';
import type {
  AppInfo,
  Application,
  BlockContext,
  CheckTxKind,
  CheckTxResult,
  ExecutionResult,
  Genesis,
  ProposalLimits,
  QueryResult,
  StatelessCheckSpec,
  StatelessVerdict,
  TxResult,
} from '../application.js';
import { ChainStateError, ExecutionHeightError, GenesisError, QueryError, UnknownExecutionError } from '../errors.js';
import { resultsRoot } from '../results.js';
import { KvTxError, KvTxWrongChainError } from './errors.js';
import { genesisStateRoot, nextStateRoot, type WriteSet } from './root.js';
import { kvStatelessSpec, kvStatelessVerdict } from './stateless.js';
import { KvStore } from './store.js';
import { decodeKvTx, KV_LIMITS, PublicKeyCache, verifyKvTx, type DecodedKvTx, type KvLimits } from './tx.js';

export interface KvAppOptions {
  /** The chain's suite: its hash makes the state and results roots. */
  readonly suite: Suite;
  readonly limits?: KvLimits;
  /** Candidate executions kept for one height before the oldest is dropped. */
  readonly maxExecutions?: number;
}

interface Execution extends ExecutionResult, WriteSet {}

const ADDRESS_RE = /^[0-9a-f]{40}$/;

/**
 * Signed key-value writes behind the Application interface. Query paths:
 *   'get'    data = the key bytes            value = the committed value, or undefined
 *   'nonce'  data = UTF-8 of the address     value = encode(next nonce)
 */
export class KvApplication implements Application {
  readonly statelessCheck: StatelessCheckSpec;
  private readonly executions: CandidateExecutions<Execution>;
  private executionSeq = 0;
  private readonly keys = new PublicKeyCache();
  private readonly lock = new ExclusiveLock();

  private constructor(
    private readonly store: KvStore,
    readonly chainId: string,
    private readonly suite: Suite,
    private readonly limits: KvLimits,
    maxExecutions: number,
  ) {
    this.statelessCheck = kvStatelessSpec(chainId, limits);
    this.executions = new CandidateExecutions(maxExecutions);
  }

  /** Opens the kv state of `chainId` in the node's LevelDB (its own sublevel). */
  static async open(db: ClassicLevel<string, Uint8Array>, chainId: string, options: KvAppOptions): Promise<KvApplication> {
    const store = await KvStore.open(db, chainId);
    return new KvApplication(store, chainId, options.suite, options.limits ?? KV_LIMITS, options.maxExecutions ?? 64);
  }

  async info(): Promise<AppInfo> {
    return { height: this.store.height, stateRoot: this.store.stateRoot };
  }

  checkStateless(tx: Uint8Array): StatelessVerdict {
    return kvStatelessVerdict(tx, this.chainId, this.limits, this.keys);
  }

  async checkTx(tx: Uint8Array, _kind: CheckTxKind): Promise<CheckTxResult> {
    // Both kinds are the same for kv: decoding is cheap, the signature was checked statelessly.
    let decoded: DecodedKvTx;
    try {
      decoded = this.decodeForChain(tx);
    } catch (cause) {
      if (cause instanceof KvTxError) return { ok: false, code: cause.rejectCode, reason: cause.message };
      throw cause;
    }
    const [nextNonce] = await this.store.nonces([decoded.sender]);
    if (decoded.nonce < nextNonce!) {
      return { ok: false, code: 'TX_NONCE_TOO_LOW', reason: `nonce ${decoded.nonce} is below the sender's next nonce ${nextNonce}` };
    }
    // Refused at admission what execution would refuse anyway (a key another sender owns).
    const owners = await this.committedOwners([decoded]);
    const taken = foreignKey(decoded, owners);
    if (taken) return { ok: false, code: 'TX_UNAUTHORIZED', reason: `key ${taken.key} belongs to ${taken.owner}; only its owner may write it` };
    return { ok: true, sender: decoded.sender, nonce: decoded.nonce, nextNonce: nextNonce!, priority: 0 };
  }

  initChain(genesis: Genesis): Promise<AppInfo> {
    return this.lock.run(async () => {
      if (genesis.chainId !== this.chainId) throw new GenesisError(`genesis is for chain '${genesis.chainId}', this is '${this.chainId}'`);
      if (this.store.height > 0) throw new ChainStateError(`initChain at height ${this.store.height}`);
      const ws: WriteSet = { writes: genesisWrites(genesis, this.limits), nonces: new Map(), owners: new Map() };
      await this.store.commit(0, genesisStateRoot(this.suite, this.chainId, ws), ws);
      return this.info();
    });
  }

  async prepareProposal(candidates: readonly Uint8Array[], limits: ProposalLimits): Promise<Uint8Array[]> {
    const decoded = candidates.map((tx) => this.tryDecode(tx));
    const next = await this.nextNonces(decoded);
    const chosen: Uint8Array[] = [];
    let bytes = 0;
    for (const [i, tx] of decoded.entries()) {
      if (chosen.length >= limits.maxTxs) break;
      const raw = candidates[i]!;
      // A tx that would fail at execution is left out rather than recorded as failed.
      if (tx === undefined || bytes + raw.length > limits.maxBytes || tx.nonce !== next.get(tx.sender)) continue;
      next.set(tx.sender, tx.nonce + 1);
      chosen.push(raw);
      bytes += raw.length;
    }
    return chosen;
  }

  executeBlock(ctx: BlockContext, txs: readonly Uint8Array[]): Promise<ExecutionResult> {
    return this.lock.run(async () => {
      this.requireInitialized();
      if (ctx.height !== this.store.height + 1) throw new ExecutionHeightError(`cannot execute height ${ctx.height}: committed height is ${this.store.height}`);
      const checked = txs.map((tx, i) => this.checkForBlock(tx, ctx.statelessChecked?.[i] === true));
      const valid = checked.map((c) => (c instanceof KvTxError ? undefined : c));
      const next = await this.nextNonces(valid);
      const owner = await this.committedOwners(valid);
      const writes = new Map<string, Uint8Array | null>();
      const nonces = new Map<string, number>();
      const owners = new Map<string, string>();
      const results = checked.map((tx): TxResult => {
        if (tx instanceof KvTxError) return { ok: false, code: tx.rejectCode };
        if (tx.nonce !== next.get(tx.sender)) return { ok: false, code: 'TX_BAD_NONCE' };
        // In order and signed: its nonce is used whether or not it may write (as a revert in the EVM).
        next.set(tx.sender, tx.nonce + 1);
        nonces.set(tx.sender, tx.nonce + 1);
        if (foreignKey(tx, owner)) return { ok: false, code: 'TX_UNAUTHORIZED', executed: true };
        for (const op of tx.ops) {
          const key = Buffer.from(op.key).toString('hex');
          writes.set(key, op.type === 'put' ? op.value : null);
          if (!owner.has(key)) {
            owner.set(key, tx.sender);
            owners.set(key, tx.sender);
          }
        }
        return { ok: true, code: 'OK' };
      });
      const ws = { writes, nonces, owners };
      const execution: Execution = {
        executionId: `${ctx.height}/${++this.executionSeq}`,
        height: ctx.height,
        stateRoot: nextStateRoot(this.suite, this.store.stateRoot, ctx.height, ws),
        resultsRoot: resultsRoot(this.suite, results),
        results,
        ...ws,
      };
      this.executions.remember(execution);
      const { executionId, height, stateRoot, resultsRoot: rr } = execution;
      return { executionId, height, stateRoot, resultsRoot: rr, results };
    });
  }

  commit(height: number, executionId: string): Promise<AppInfo> {
    return this.lock.run(async () => {
      if (height !== this.store.height + 1) throw new ExecutionHeightError(`cannot commit height ${height}: committed height is ${this.store.height}`);
      const execution = this.executions.get(executionId);
      if (execution === undefined || execution.height !== height) throw new UnknownExecutionError(`no execution '${executionId}' of height ${height}`);
      await this.store.commit(height, execution.stateRoot, execution, execution.results);
      this.executions.clear();
      return this.info();
    });
  }

  async query(path: string, data: Uint8Array): Promise<QueryResult> {
    const read = this.queryReader(path, data);
    // Retry if a commit lands between reading the height and reading the value.
    for (;;) {
      const height = this.store.height;
      const value = await read();
      if (height === this.store.height) return { height, value };
    }
  }

  private queryReader(path: string, data: Uint8Array): () => Promise<Uint8Array | undefined> {
    if (path === 'get') {
      if (data.length === 0 || data.length > this.limits.maxKeyBytes) throw new QueryError(`a key is 1..${this.limits.maxKeyBytes} bytes`);
      const hexKey = Buffer.from(data).toString('hex');
      return () => this.store.value(hexKey);
    }
    if (path === 'owner') {
      if (data.length === 0 || data.length > this.limits.maxKeyBytes) throw new QueryError(`a key is 1..${this.limits.maxKeyBytes} bytes`);
      const hexKey = Buffer.from(data).toString('hex');
      return async () => {
        const [owner] = await this.store.owners([hexKey]);
        return owner === undefined ? undefined : Buffer.from(owner, 'utf8');
      };
    }
    if (path === 'nonce') {
      const address = Buffer.from(data).toString('utf8');
      if (!ADDRESS_RE.test(address)) throw new QueryError('an address is 40 lowercase hex digits');
      return async () => encode((await this.store.nonces([address]))[0]!);
    }
    if (path === 'result') {
      // data = encode([height, index]); the answer encode([ok, code, executed]) of that committed tx (the caller knows it exists).
      let height: number;
      let index: number;
      try {
        const [h, i] = expectArray(decode(data), '$');
        height = expectUint(h ?? null, '$[0]');
        index = expectUint(i ?? null, '$[1]');
      } catch (cause) {
        throw new QueryError('result: data is encode([height, index])', { cause });
      }
      return async () => {
        if (height < 1 || height > this.store.height) return undefined;
        const failure = (await this.store.failures(height)).get(index);
        return encode(failure === undefined ? [true, 'OK', true] : [false, failure.code, failure.executed]);
      };
    }
    throw new QueryError(`unknown kv query path '${path}' (known: get, owner, nonce, result)`);
  }

  private decodeForChain(tx: Uint8Array): DecodedKvTx {
    const decoded = decodeKvTx(tx, this.limits);
    if (decoded.chainId !== this.chainId) throw new KvTxWrongChainError(`tx is for chain '${decoded.chainId}', this is '${this.chainId}'`);
    return decoded;
  }

  private tryDecode(tx: Uint8Array): DecodedKvTx | undefined {
    try {
      return this.decodeForChain(tx);
    } catch (cause) {
      if (cause instanceof KvTxError) return undefined;
      throw cause;
    }
  }

  /** A tx of a block: decoded and, unless this node checked these bytes already, verified. */
  private checkForBlock(tx: Uint8Array, statelessChecked: boolean): DecodedKvTx | KvTxError {
    try {
      const decoded = this.decodeForChain(tx);
      if (!statelessChecked) verifyKvTx(decoded, this.keys);
      return decoded;
    } catch (cause) {
      if (cause instanceof KvTxError) return cause;
      throw cause;
    }
  }

  /** The committed owner of every key `txs` write (keys without one are absent). */
  private async committedOwners(txs: readonly (DecodedKvTx | undefined)[]): Promise<Map<string, string>> {
    const keys = [...new Set(txs.flatMap((tx) => (tx ? tx.ops.map((op) => Buffer.from(op.key).toString('hex')) : [])))];
    const found = await this.store.owners(keys);
    return new Map(keys.flatMap((k, i) => (found[i] === undefined ? [] : [[k, found[i]!] as const])));
  }

  private async nextNonces(txs: readonly (DecodedKvTx | undefined)[]): Promise<Map<string, number>> {
    const senders = [...new Set(txs.flatMap((tx) => (tx ? [tx.sender] : [])))];
    const nonces = await this.store.nonces(senders);
    return new Map(senders.map((s, i) => [s, nonces[i]!]));
  }


  private requireInitialized(): void {
    if (!this.store.initialized) throw new ChainStateError(`chain '${this.chainId}' has no genesis state; call initChain first`);
  }

}

/**
 * The first key of `tx` that another sender owns (review finding H2: the kv state had no owner,
 * so any signer could overwrite or delete any key). A key belongs to the sender that first wrote
 * it after genesis, for good; deleting it keeps it its owner's.
 */
function foreignKey(tx: DecodedKvTx, owners: ReadonlyMap<string, string>): { key: string; owner: string } | undefined {
  for (const op of tx.ops) {
    const key = Buffer.from(op.key).toString('hex');
    const owner = owners.get(key);
    if (owner !== undefined && owner !== tx.sender) return { key, owner };
  }
  return undefined;
}

/** kv genesis app state: null, or an array of [key, value] pairs written at height 0. */
function genesisWrites(genesis: Genesis, limits: KvLimits): Map<string, Uint8Array | null> {
  const writes = new Map<string, Uint8Array | null>();
  if (genesis.appState === null) return writes;
  try {
    for (const [i, pair] of expectArray(genesis.appState, 'appState').entries()) {
      const [key, value] = expectArray(pair, `appState[${i}]`, 2);
      const k = expectBytes(key, `appState[${i}].key`);
      const v = expectBytes(value, `appState[${i}].value`);
      if (k.length === 0 || k.length > limits.maxKeyBytes || v.length > limits.maxValueBytes) throw new GenesisError(`appState[${i}]: key or value out of limits`);
      writes.set(Buffer.from(k).toString('hex'), v);
    }
  } catch (cause) {
    if (cause instanceof CodecError) throw new GenesisError(`kv genesis: ${cause.message}`, { cause });
    throw cause;
  }
  return writes;
}
