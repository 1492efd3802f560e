import { Transaction } from 'ethers';
import { decodeBlock } from '../../chain/index.js';
import { decode, encode, expectArray, expectString } from '../../codec/index.js';
import { decodeKvTx, EvmApplication, type DecodedKvTx } from '../../execution/index.js';
import type { CityNode, HostedChain } from '../../node/index.js';
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

/** The result of a tx in its block: `executed` false when it was included but changed nothing. */
export interface TxResultView {
  readonly ok: boolean;
  readonly code: string;
  readonly executed: boolean;
}

export interface TxView {
  readonly hash: string;
  /** committed: in a block and succeeded; failed: in a block, but it failed (`result` says why); pending: in the mempool. */
  readonly status: 'pending' | 'committed' | 'failed';
  /** null while pending. */
  readonly result: TxResultView | null;
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
      // A receipt means it ran: a revert or running out of gas still bumped the nonce and charged gas.
      return raw && evmTx(raw, hex(receipt.from), { height: receipt.height, index: receipt.index, result: { ok: receipt.status === 1, code: receipt.code, executed: true } });
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
      return raw && kvTx(raw, hash, { ...position, result: await kvResult(chain, position) });
    }
    const pending = chain.mempool.get(Buffer.from(hash).toString('hex'));
    return pending && kvTx(pending, hash, undefined);
  }
}

interface Placed {
  readonly height: number;
  readonly index: number;
  readonly result: TxResultView;
}

function place(at: Placed | undefined): Pick<TxView, 'status' | 'result' | 'height' | 'index'> {
  if (!at) return { status: 'pending', result: null, height: null, index: null };
  return { status: at.result.ok ? 'committed' : 'failed', result: at.result, height: at.height, index: at.index };
}

/** A committed kv tx's result, as the kv state machine recorded it. */
async function kvResult(chain: HostedChain, at: { height: number; index: number }): Promise<TxResultView> {
  const answer = await chain.app.query('result', encode([at.height, at.index]));
  if (answer.value === undefined) return { ok: true, code: 'OK', executed: true };
  const [ok, code, executed] = expectArray(decode(answer.value), '$', 3);
  return { ok: ok === true, code: expectString(code, '$[1]'), executed: executed === true };
}

function evmTx(raw: Uint8Array, from: string, at: Placed | undefined): TxView {
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

function kvTx(raw: Uint8Array, hash: Uint8Array, at: Placed | undefined): TxView {
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
