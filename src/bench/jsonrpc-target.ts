import { randomBytes } from 'node:crypto';
import { keccak256 } from '../crypto/index.js';
import { CommitTracker, failureReason } from './commits.js';
import type { Job } from './driver.js';
import { BenchSetupError, BenchTargetRejectedError, BenchTargetUnreachableError } from './errors.js';
import { abiCall, evmAddressOf, getCreateAddress, hex, SELECTORS, signEvmTx, unhex, type EvmFee, type EvmTxFields } from './evm-tx.js';
import { RpcClient, RpcError, TransportError } from './http.js';
import type { Outcome } from './recorder.js';
import type { SignerPool } from './signer.js';
import { SenderQueues, type SenderJob } from './source.js';
import type { BenchSpec, RoundSpec } from './spec.js';
import type { BenchTarget } from './target.js';
import { bankDeployFields, prng, tokenDeployFields, type EvmContext, type EvmWriteWorkload, type SignTask } from './workloads.js';

/*
 * Any Ethereum JSON-RPC endpoint (a BSN EVM app chain, Hardhat, Ganache, Besu, geth...). Only
 * standard methods are used: eth_chainId, eth_blockNumber, eth_gasPrice, eth_getBlockByNumber,
 * eth_getTransactionCount, eth_getBalance, eth_sendRawTransaction, eth_getTransactionReceipt,
 * eth_call, eth_getCode, and JSON-RPC batches.
 */

const TOKENS_PER_ACCOUNT = 10n ** 24n;
const WEI_PER_ETH = 10n ** 18n;

export function sendFailure(err: unknown): string {
  if (err instanceof TransportError) return `connection: ${err.errno ?? err.message}`;
  if (err instanceof RpcError) return failureReason(err.message);
  return failureReason((err as Error).message);
}

export class JsonRpcTarget implements BenchTarget {
  readonly kind = 'jsonrpc' as const;
  chainId?: string;
  client?: string;
  private readonly rpc: RpcClient;
  /** Polls on their own sockets, so that they never queue behind the load. */
  private readonly pollRpc: RpcClient;
  private readonly tracker: CommitTracker;
  private chain = 0;
  private fee: EvmFee = { type: 'legacy', maxFee: 0n, maxPriority: 0n };
  private keys: Uint8Array[] = [];
  private addresses: string[] = [];
  private nonces: number[] = [];
  private token: string | undefined;
  private bank: string | undefined;
  private sink: RpcClient | undefined;

  constructor(
    readonly url: string,
    private readonly spec: BenchSpec,
  ) {
    this.rpc = new RpcClient(url, spec.timeoutSec * 1000);
    this.pollRpc = new RpcClient(url, spec.timeoutSec * 1000);
    this.tracker = new CommitTracker(this.pollRpc, spec.pollMs, spec.timeoutSec * 1000);
  }

  async probe(): Promise<void> {
    let chainHex: string;
    try {
      chainHex = await this.rpc.call<string>('eth_chainId');
    } catch (err) {
      if (err instanceof TransportError) throw new BenchTargetUnreachableError(`cannot reach the JSON-RPC target ${this.url}: ${err.errno ?? err.message}`);
      throw new BenchTargetUnreachableError(`${this.url} does not answer JSON-RPC eth_chainId: ${(err as Error).message}`);
    }
    this.chain = Number(BigInt(chainHex));
    this.chainId = String(this.chain);
    this.client = await this.rpc.call<string>('web3_clientVersion').catch(() => undefined);
    const latest = await this.rpc.call<{ baseFeePerGas?: string } | null>('eth_getBlockByNumber', ['latest', false]);
    const gasPrice = BigInt(await this.rpc.call<string>('eth_gasPrice').catch(() => '0x0'));
    const priority = BigInt(await this.rpc.call<string>('eth_maxPriorityFeePerGas').catch(() => '0x0'));
    const eip1559 = this.spec.txType === 'eip1559' || (this.spec.txType === 'auto' && latest?.baseFeePerGas !== undefined);
    // Twice the suggested price keeps the txs valid while a base fee rises under load; 0 stays 0 on BSN.
    const maxFee = gasPrice * 2n;
    this.fee = { type: eip1559 ? 'eip1559' : 'legacy', maxFee, maxPriority: priority < maxFee ? priority : maxFee };
    const head = Number(BigInt(await this.rpc.call<string>('eth_blockNumber')));
    this.tracker.start(head + 1);
  }

  async setup(rounds: readonly RoundSpec[]): Promise<void> {
    const seed = randomBytes(32);
    this.keys = Array.from({ length: this.spec.accounts }, (_, i) => keccak256(Buffer.concat([seed, Buffer.from(String(i))])));
    this.addresses = this.keys.map((k) => hex(evmAddressOf(k)));
    this.nonces = this.keys.map(() => 0);
    const funderKey = unhex(this.spec.funder.key);
    const funder = hex(evmAddressOf(funderKey));
    let nonce = Number(BigInt(await this.rpc.call<string>('eth_getTransactionCount', [funder, 'pending'])));
    const amount = BigInt(Math.round(this.spec.funder.amountEth * 1e6)) * (WEI_PER_ETH / 1_000_000n);
    const balance = BigInt(await this.rpc.call<string>('eth_getBalance', [funder, 'latest']));
    if (balance < amount * BigInt(this.spec.accounts)) {
      throw new BenchSetupError(`the funder ${funder} has ${balance / WEI_PER_ETH} ETH on ${this.url}; ${this.spec.accounts} accounts × ${this.spec.funder.amountEth} ETH need more (set funder.key or funder.amountEth)`);
    }
    const items: { what: string; fields: EvmTxFields }[] = [];
    const workloads = new Set(rounds.map((r) => r.workload));
    if (workloads.has('erc20') || workloads.has('mixed')) {
      this.token = getCreateAddress({ from: funder, nonce }).toLowerCase();
      items.push({ what: 'deploying the ERC-20 token', fields: tokenDeployFields(nonce++, TOKENS_PER_ACCOUNT * BigInt(this.spec.accounts)) });
    }
    if (workloads.has('smallbank')) {
      this.bank = getCreateAddress({ from: funder, nonce }).toLowerCase();
      items.push({ what: 'deploying SmallBank', fields: bankDeployFields(nonce++) });
    }
    for (const [i, to] of this.addresses.entries()) items.push({ what: `funding account ${i}`, fields: { nonce: nonce++, to: unhex(to), value: amount, data: new Uint8Array(0), gasLimit: 21_000n } });
    if (this.token) {
      for (const [i, to] of this.addresses.entries()) {
        items.push({ what: `giving tokens to account ${i}`, fields: { nonce: nonce++, to: unhex(this.token), value: 0n, data: abiCall(SELECTORS.transfer, [unhex(to), TOKENS_PER_ACCOUNT]), gasLimit: 80_000n } });
      }
    }
    await this.sendSetup(funderKey, items);
    for (const [name, address] of [['token', this.token], ['SmallBank', this.bank]] as const) {
      if (address && (await this.rpc.call<string>('eth_getCode', [address, 'latest'])) === '0x') throw new BenchSetupError(`the ${name} contract has no code at ${address} after its deployment`);
    }
  }

  /** The funder's setup txs, in nonce order, at most maxPendingPerSender uncommitted at once. */
  private async sendSetup(key: Uint8Array, items: readonly { what: string; fields: EvmTxFields }[]): Promise<void> {
    const done: Promise<void>[] = [];
    let pending = 0;
    let failure: string | undefined;
    let wake: (() => void) | undefined;
    for (const item of items) {
      while (pending >= this.spec.maxPendingPerSender) await new Promise<void>((r) => (wake = r));
      if (failure !== undefined) break;
      const { raw, hash } = signEvmTx(this.chain, this.fee, item.fields, key);
      const outcome = this.tracker.watch(hex(hash), performance.now());
      try {
        await this.rpc.call('eth_sendRawTransaction', [hex(raw)]);
      } catch (err) {
        this.tracker.unwatch(hex(hash));
        if (err instanceof TransportError) throw new BenchTargetUnreachableError(`lost the JSON-RPC target ${this.url} during setup: ${err.errno ?? err.message}`);
        throw new BenchTargetRejectedError(`the target refused a setup transaction (${item.what}): ${(err as Error).message}`);
      }
      pending++;
      done.push(
        outcome.then((o) => {
          pending--;
          wake?.();
          if (!o.ok) failure ??= `setup failed while ${item.what}: ${o.reason}`;
        }),
      );
    }
    await Promise.all(done);
    if (failure !== undefined) throw new BenchSetupError(failure);
  }

  async prepare(round: RoundSpec, index: number, writes: number, signer: SignerPool): Promise<SenderQueues> {
    const senders = this.keys.length;
    const perSender = writes === 0 ? 0 : Math.ceil(writes / senders) + 1;
    const ctx: EvmContext = { chainId: this.chain, fee: this.fee, recipients: this.addresses, ...(this.token && { token: this.token }), ...(this.bank && { bank: this.bank }), customers: round.customers };
    const workload: EvmWriteWorkload = round.workload === 'mixed' ? 'erc20' : (round.workload as EvmWriteWorkload);
    const chunk = Math.ceil(senders / signer.size);
    const tasks: SignTask[] = [];
    for (let from = 0, t = 0; from < senders && perSender > 0; from += chunk, t++) {
      const ids = Array.from({ length: Math.min(chunk, senders - from) }, (_, j) => from + j);
      tasks.push({ kind: 'evm', workload, ctx, senders: ids.map((i) => ({ key: hex(this.keys[i]!), firstNonce: this.nonces[i]! })), perSender, seed: index * 1000 + t + 1 });
    }
    const txs = await signer.sign(tasks);
    const queues = this.keys.map((_, j) => txs.slice(j * perSender, (j + 1) * perSender).map((raw) => this.writeJob(raw)));
    const rand = prng(index + 7);
    const reads = round.workload === 'mixed' ? { ratio: round.readRatio, rand, make: () => this.readJob(rand) } : undefined;
    return new SenderQueues(queues, this.spec.maxPendingPerSender, reads);
  }

  private writeJob(raw: Uint8Array): SenderJob {
    return async (accepted) => {
      const hash = hex(keccak256(raw));
      const outcome = this.tracker.watch(hash, performance.now());
      try {
        await this.rpc.call('eth_sendRawTransaction', [hex(raw)]);
      } catch (err) {
        this.tracker.unwatch(hash);
        return { ok: false, at: performance.now(), reason: sendFailure(err) };
      }
      accepted();
      return outcome;
    };
  }

  private readJob(rand: (n: number) => number): Job {
    const owner = unhex(this.addresses[Math.floor(rand(this.addresses.length))]!);
    const call = { to: this.token, data: hex(abiCall(SELECTORS.balanceOf, [owner])) };
    return {
      run: async (): Promise<Outcome> => {
        try {
          await this.rpc.call('eth_call', [call, 'latest']);
          return { ok: true, at: performance.now() };
        } catch (err) {
          return { ok: false, at: performance.now(), reason: `eth_call: ${sendFailure(err)}` };
        }
      },
    };
  }

  async afterRound(): Promise<void> {
    // Refused or lost txs leave the local nonces ahead or behind: ask the target.
    for (let i = 0; i < this.addresses.length; i += 100) {
      const slice = this.addresses.slice(i, i + 100);
      const counts = await this.rpc.batch(slice.map((a) => ({ method: 'eth_getTransactionCount', params: [a, 'pending'] })));
      counts.forEach((c, j) => {
        if (typeof c === 'string') this.nonces[i + j] = Number(BigInt(c));
      });
    }
  }

  calibrationJob(sinkUrl: string): () => Job {
    this.sink ??= new RpcClient(sinkUrl);
    const sink = this.sink;
    const fields: EvmTxFields = { nonce: 0, to: unhex(this.token ?? this.addresses[0] ?? `0x${'11'.repeat(20)}`), value: 0n, data: abiCall(SELECTORS.transfer, [new Uint8Array(20), 1]), gasLimit: 60_000n };
    const raw = hex(signEvmTx(this.chain, this.fee, fields, this.keys[0] ?? unhex(this.spec.funder.key)).raw);
    return () => ({
      run: async () => {
        await sink.call('eth_sendRawTransaction', [raw]);
        return { ok: true, at: performance.now() };
      },
    });
  }

  async close(): Promise<void> {
    this.tracker.stop();
    this.rpc.close();
    this.pollRpc.close();
    this.sink?.close();
  }
}
