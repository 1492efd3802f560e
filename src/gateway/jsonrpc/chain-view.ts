import { decodeBlock, encodeHeader, type Block } from '../../chain/index.js';
import { decode, encode, expectBytes, expectMap, expectString, expectUint, type CodecValue } from '../../codec/index.js';
import { keccak256 } from '../../crypto/index.js';
import { bytesU256, decodeBlockRecord, decodeReceipt, EvmApplication, evmTxHashHex, u256Bytes, type EvmBlockRecord, type EvmReceipt } from '../../execution/index.js';
import type { CityNode, HostedChain } from '../../node/index.js';
import { invalidParams } from './errors.js';
import { PendingTxs } from './pending.js';

/** A call as the EVM's `call`/`estimateGas` query paths take it (docs/evm.md). */
export interface CallRequest {
  readonly from?: Uint8Array;
  readonly to?: Uint8Array;
  readonly data?: Uint8Array;
  readonly value?: bigint;
  readonly gas?: bigint;
}

export interface CallOutcome {
  readonly ok: boolean;
  /** OK, REVERTED, OUT_OF_GAS, EVM_HALTED, or why the call could not start. */
  readonly code: string;
  readonly returnData: Uint8Array;
  /** gas used (call) or the estimate (estimateGas). */
  readonly gas: bigint;
  readonly reason: string;
}

const CACHE_BLOCKS = 256;

/**
 * One EVM app chain of a city node, as JSON-RPC reads it: committed state through the
 * application's query paths, BSN blocks from the block store, and the txs this gateway admitted
 * that have not committed yet (for `pending` nonces and pending tx lookups).
 */
export class EvmChainView {
  readonly pending = new PendingTxs();
  private readonly hashes = new Map<number, string>();
  private readonly receiptsByBlock = new Map<number, readonly (EvmReceipt | undefined)[]>();

  private constructor(
    readonly node: CityNode,
    readonly name: string,
    private readonly chain: HostedChain,
    private readonly app: EvmApplication,
  ) {}

  /** The view of chain `name`, or undefined when this node does not host it or it is not an EVM chain. */
  static of(node: CityNode, name: string): EvmChainView | undefined {
    const chain = node.chains.get(name);
    if (!chain || !(chain.app instanceof EvmApplication)) return undefined;
    return new EvmChainView(node, name, chain, chain.app);
  }

  get evmChainId(): number {
    return this.app.chainId;
  }

  get blockGasLimit(): bigint {
    return this.app.blockGasLimit;
  }

  /**
   * The node stores a block before the app commits its receipts; a height whose receipts are not
   * there yet is not reported, or a client that polls the height (ethers' tx.wait) would look for
   * its receipt at that height, miss it, and then wait for a next block that may never come.
   */
  get height(): number {
    return Math.min(this.chain.store.height, this.app.committedHeight);
  }

  get genesisTime(): number {
    return this.chain.genesis.file.time;
  }

  /** Not caught up with the highest height a peer reported: eth_syncing's answer. */
  syncing(): { current: number; highest: number } | false {
    if (this.chain.sync.isCaughtUp) return false;
    return { current: this.height, highest: Math.max(this.height, this.chain.sync.targetHeight) };
  }

  async account(address: Uint8Array): Promise<{ nonce: bigint; balance: bigint }> {
    const m = expectMap(decode((await this.app.query('account', address)).value!), 'account');
    const nonce = m['nonce'];
    return { nonce: typeof nonce === 'bigint' ? nonce : BigInt(expectUint(nonce, 'nonce')), balance: bytesU256(expectBytes(m['balance'], 'balance')) };
  }

  async code(address: Uint8Array): Promise<Uint8Array> {
    return (await this.app.query('code', address)).value ?? new Uint8Array(0);
  }

  async storage(address: Uint8Array, slot: Uint8Array): Promise<Uint8Array> {
    const key = new Uint8Array(52);
    key.set(address, 0);
    key.set(slot, 20);
    return (await this.app.query('storage', key)).value ?? new Uint8Array(32);
  }

  async receipt(txHash: Uint8Array): Promise<EvmReceipt | undefined> {
    const r = await this.app.query('receipt', txHash);
    // A receipt of a height the block store has not appended yet is not visible to clients yet:
    // they would ask for its block next and not find it.
    if (r.value === undefined) return undefined;
    const receipt = decodeReceipt(r.value);
    return receipt.height <= this.height ? receipt : undefined;
  }

  async blockRecord(height: number): Promise<EvmBlockRecord | undefined> {
    const r = await this.app.query('block', encode(height));
    return r.value === undefined ? undefined : decodeBlockRecord(r.value);
  }

  async block(height: number): Promise<Block | undefined> {
    if (height < 1 || height > this.height) return undefined;
    const bytes = await this.chain.store.block(height);
    return bytes === undefined ? undefined : decodeBlock(bytes);
  }

  /**
   * The Ethereum-facing hash of a block: its height as 8 big-endian bytes, then the first 24
   * bytes of keccak256 of the canonical BSN header. Every node computes the same value, and a
   * lookup by hash needs no index: the height is in it, the rest is checked against the block.
   * Height 0 is the genesis, which has no BSN block: its rest is keccak256 of the chain name and
   * genesis time.
   */
  async blockHash(height: number): Promise<string | undefined> {
    const cached = this.hashes.get(height);
    if (cached) return cached;
    let digest: Uint8Array;
    if (height === 0) digest = keccak256(encode(['bsn/evm/genesis', this.name, this.genesisTime]));
    else {
      const block = await this.block(height);
      if (!block) return undefined;
      digest = keccak256(encodeHeader(block.header));
    }
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64BE(BigInt(height));
    const hash = `0x${prefix.toString('hex')}${Buffer.from(digest.subarray(0, 24)).toString('hex')}`;
    remember(this.hashes, height, hash);
    return hash;
  }

  /** The height a block hash names, when it is this chain's hash of that height. */
  async heightOf(hash: Uint8Array): Promise<number | undefined> {
    const h = Buffer.from(hash).readBigUInt64BE(0);
    if (h > BigInt(this.height)) return undefined;
    const height = Number(h);
    return (await this.blockHash(height)) === `0x${Buffer.from(hash).toString('hex')}` ? height : undefined;
  }

  /** The receipts of a block's txs, in block order (undefined for a tx that did not run). */
  async blockReceipts(height: number, record: EvmBlockRecord): Promise<readonly (EvmReceipt | undefined)[]> {
    const cached = this.receiptsByBlock.get(height);
    if (cached) return cached;
    const receipts = await Promise.all(record.txHashes.map(async (h) => {
      const r = await this.app.query('receipt', h);
      return r.value === undefined ? undefined : decodeReceipt(r.value);
    }));
    remember(this.receiptsByBlock, height, receipts);
    return receipts;
  }

  /**
   * eth_call, run in the node's call workers on one committed height, within the call gas cap and
   * time budget; rejects with an EvmCallError (timeout, busy) when it cannot be answered.
   */
  call(req: CallRequest): Promise<CallOutcome> {
    return this.runCall('call', req);
  }

  estimateGas(req: CallRequest): Promise<CallOutcome> {
    return this.runCall('estimateGas', req);
  }

  /**
   * Admits a raw tx (mempool checks, then gossip) and remembers it as pending; returns the
   * Ethereum tx hash. Throws the mempool's typed rejection.
   */
  async submit(raw: Uint8Array): Promise<string> {
    const { hash: poolHash } = await this.node.submit(this.name, raw);
    const ethHash = `0x${evmTxHashHex(raw)}`;
    // The sender and nonce are cheap to learn again here: the check recovered the sender once and
    // cached it by hash. If the tx already committed (a fast chain), there is nothing to track.
    const checked = await this.app.checkTx(raw, 'recheck');
    if (checked.ok) this.pending.add({ ethHash, poolHash, sender: checked.sender.toLowerCase(), nonce: checked.nonce, raw });
    return ethHash;
  }

  /** Whether the mempool still holds a tx, by the chain's own (suite) hash. */
  inMempool(poolHash: string): boolean {
    return this.chain.mempool.has(poolHash);
  }

  private async runCall(path: 'call' | 'estimateGas', req: CallRequest): Promise<CallOutcome> {
    const m: Record<string, CodecValue> = {};
    if (req.from) m['from'] = req.from;
    if (req.to) m['to'] = req.to;
    if (req.data) m['data'] = req.data;
    if (req.value !== undefined) m['value'] = u256Bytes(req.value);
    // The application lowers gas to its call gas cap; only a uint64 (geth's type for gas) gets there.
    if (req.gas !== undefined && req.gas >= 1n << 64n) throw invalidParams(`transaction.gas: ${req.gas} does not fit in 64 bits`);
    if (req.gas !== undefined) m['gas'] = req.gas;
    const out = expectMap(decode((await this.app.query(path, encode(m))).value!), path);
    const gas = out[path === 'call' ? 'gasUsed' : 'gas'] ?? 0;
    return {
      ok: out['ok'] === true,
      code: expectString(out['code'], 'code'),
      returnData: expectBytes(out['returnData'], 'returnData'),
      gas: typeof gas === 'bigint' ? gas : BigInt(expectUint(gas, 'gas')),
      reason: expectString(out['reason'], 'reason'),
    };
  }
}

function remember<V>(cache: Map<number, V>, key: number, value: V): void {
  cache.set(key, value);
  // Maps iterate in insertion order: the first key is the oldest entry.
  if (cache.size > CACHE_BLOCKS) cache.delete(cache.keys().next().value!);
}
