import { Transaction } from 'ethers';
import { decodeBlock } from '../../chain/index.js';
import { decodeKvTx, EvmApplication, type DecodedKvTx } from '../../execution/index.js';
import type { CityNode } from '../../node/index.js';
import type { EvmChainView } from '../jsonrpc/chain-view.js';
import type { GatewayStore } from '../store.js';
import { RestUnknownAppError } from './routes-errors.js';
import { KvTxIndex } from './tx-index.js';

/*
 * GET /apps/:appId/transactions/:hash: a transaction by the hash clients know, as JSON-RPC's
 * eth_getTransactionByHash finds it on EVM apps (the receipt names its block and index; a tx this
 * gateway admitted and the mempool still holds is pending), and through the gateway's own index
 * on kv apps (src/gateway/rest/tx-index.ts; pending: the mempool, keyed by the same hash).
 */

export interface TxView {
  readonly hash: string;
  readonly status: 'pending' | 'committed';
  readonly height: number | null;
  readonly index: number | null;
  /** The raw transaction, 0x-hex. */
  readonly raw: string;
  /** The sender: a 0x-address on EVM apps, the kv address (40 hex digits) on kv apps; null for a kv tx that does not decode. */
  readonly from: string | null;
  readonly nonce: number | null;
  readonly kv?: { readonly suite: string; readonly publicKey: string; readonly ops: readonly { op: 'put' | 'delete'; key: string; value?: string }[] };
  readonly evm?: { readonly type: number; readonly to: string | null; readonly value: string; readonly gas: string; readonly data: string };
}

const hex = (bytes: Uint8Array): string => `0x${Buffer.from(bytes).toString('hex')}`;

export class TxLookup {
  private readonly indexes = new Map<string, KvTxIndex>();

  constructor(
    private readonly node: CityNode,
    private readonly store: GatewayStore,
    private readonly evmView: (appId: string) => EvmChainView,
  ) {}

  async find(appId: string, hash: Uint8Array): Promise<TxView | undefined> {
    const chain = this.node.chains.get(appId);
    if (!chain) throw new RestUnknownAppError(`this node hosts no app '${appId.slice(0, 100)}'`);
    return chain.app instanceof EvmApplication ? this.findEvm(appId, hash) : this.findKv(appId, hash);
  }

  private async findEvm(appId: string, hash: Uint8Array): Promise<TxView | undefined> {
    const view = this.evmView(appId);
    const receipt = await view.receipt(hash);
    if (receipt) {
      const raw = (await view.block(receipt.height))?.txs[receipt.index];
      return raw && evmTx(raw, hex(receipt.from), { height: receipt.height, index: receipt.index });
    }
    const pending = view.pending.get(hex(hash));
    if (!pending || !view.inMempool(pending.poolHash)) return undefined;
    return evmTx(pending.raw, pending.sender, undefined);
  }

  private async findKv(appId: string, hash: Uint8Array): Promise<TxView | undefined> {
    const chain = this.node.chains.get(appId)!;
    let index = this.indexes.get(appId);
    if (!index) this.indexes.set(appId, (index = new KvTxIndex(this.store.sublevel('txindex'), appId, chain)));
    const position = await index.find(hash);
    if (position) {
      const bytes = await chain.store.block(position.height);
      const raw = bytes && decodeBlock(bytes).txs[position.index];
      return raw && kvTx(raw, hash, position);
    }
    const pending = chain.mempool.get(Buffer.from(hash).toString('hex'));
    return pending && kvTx(pending, hash, undefined);
  }
}

function place(at: { height: number; index: number } | undefined): Pick<TxView, 'status' | 'height' | 'index'> {
  return at ? { status: 'committed', height: at.height, index: at.index } : { status: 'pending', height: null, index: null };
}

function evmTx(raw: Uint8Array, from: string, at: { height: number; index: number } | undefined): TxView {
  const tx = Transaction.from(hex(raw));
  return {
    hash: tx.hash!,
    ...place(at),
    raw: hex(raw),
    from: from.toLowerCase(),
    nonce: tx.nonce,
    evm: { type: tx.type ?? 0, to: tx.to === null ? null : tx.to.toLowerCase(), value: tx.value.toString(), gas: tx.gasLimit.toString(), data: tx.data },
  };
}

function kvTx(raw: Uint8Array, hash: Uint8Array, at: { height: number; index: number } | undefined): TxView {
  let tx: DecodedKvTx;
  try {
    tx = decodeKvTx(raw);
  } catch {
    // A block may hold a tx that failed to decode (it was recorded as failed and changed nothing).
    return { hash: hex(hash), ...place(at), raw: hex(raw), from: null, nonce: null };
  }
  return {
    hash: hex(hash),
    ...place(at),
    raw: hex(raw),
    from: tx.sender,
    nonce: tx.nonce,
    kv: { suite: tx.suite, publicKey: hex(tx.publicKey), ops: tx.ops.map((op) => (op.type === 'put' ? { op: 'put', key: hex(op.key), value: hex(op.value) } : { op: 'delete', key: hex(op.key) })) },
  };
}
