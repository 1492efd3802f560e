import { CodecError, decode, encode, expectArray, expectBytes, expectString, expectUint, type CodecValue } from '../codec/index.js';
import { MessageDecodeError } from './errors.js';

/**
 * The wire vocabulary of BSN's node-to-node protocol. Every frame payload is deterministic CBOR:
 * control messages directly, everything else inside an envelope `[chainId, body]` so that many app
 * chains share one connection. Bodies are positional arrays with a leading message type.
 * See docs/networking.md.
 */
export const PROTOCOL_VERSION = 1;

export const CHANNEL = Object.freeze({
  /** hello and hosted-chain updates; no envelope. */
  control: 0,
  /** proposals and votes of the consensus engine, opaque to this layer. */
  consensus: 1,
  /** transaction gossip between mempools. */
  transactions: 2,
  /** block sync requests and responses. */
  sync: 3,
});

export type Channel = (typeof CHANNEL)[keyof typeof CHANNEL];
/** The channels that carry a chain's traffic inside an envelope. */
export type ChainChannel = typeof CHANNEL.consensus | typeof CHANNEL.transactions | typeof CHANNEL.sync;

export function channelName(channel: number): string {
  switch (channel) {
    case CHANNEL.control:
      return 'control';
    case CHANNEL.consensus:
      return 'consensus';
    case CHANNEL.transactions:
      return 'transactions';
    case CHANNEL.sync:
      return 'sync';
    default:
      return 'other';
  }
}

export function isChainChannel(channel: number): channel is ChainChannel {
  return channel === CHANNEL.consensus || channel === CHANNEL.transactions || channel === CHANNEL.sync;
}

/** Nesting of the deepest message (hello: message → chain list → entry); anything deeper is garbage. */
const LIMITS = { maxDepth: 4 };

/** Decodes with the codec and turns every codec failure into one typed error the router scores. */
function decodeWith<T>(what: string, bytes: Uint8Array, read: (value: CodecValue) => T): T {
  try {
    return read(decode(bytes, LIMITS));
  } catch (err) {
    if (err instanceof CodecError || err instanceof MessageDecodeError) {
      throw new MessageDecodeError(`undecodable ${what}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

function messageType(fields: readonly CodecValue[], what: string): number {
  return expectUint(fields[0], `${what}[0]`);
}

// ---------------------------------------------------------------------------------------------
// Envelope

export interface Envelope {
  readonly chainId: string;
  readonly body: Uint8Array;
}

export function encodeEnvelope(chainId: string, body: Uint8Array): Uint8Array {
  return encode([chainId, body]);
}

export function decodeEnvelope(bytes: Uint8Array): Envelope {
  return decodeWith('envelope', bytes, (v) => {
    const [chainId, body] = expectArray(v, 'envelope', 2);
    return { chainId: expectString(chainId, 'envelope.chainId'), body: expectBytes(body, 'envelope.body') };
  });
}

// ---------------------------------------------------------------------------------------------
// Control channel

export const CONTROL = Object.freeze({ hello: 0, chains: 1 });

/** A chain a node hosts, with the height of its block store. */
export interface HostedChain {
  readonly chainId: string;
  readonly height: number;
}

export type ControlMessage =
  | { readonly type: 'hello'; readonly version: number; readonly networkId: string; readonly chains: readonly HostedChain[] }
  | { readonly type: 'chains'; readonly chains: readonly HostedChain[] };

function chainsValue(chains: readonly HostedChain[]): CodecValue {
  return chains.map((c) => [c.chainId, c.height]);
}

function chainsFrom(value: CodecValue | undefined, path: string): HostedChain[] {
  return expectArray(value, path).map((entry, i) => {
    const [chainId, height] = expectArray(entry, `${path}[${i}]`, 2);
    return { chainId: expectString(chainId, `${path}[${i}][0]`), height: expectUint(height, `${path}[${i}][1]`) };
  });
}

export function encodeControl(message: ControlMessage): Uint8Array {
  if (message.type === 'hello') return encode([CONTROL.hello, message.version, message.networkId, chainsValue(message.chains)]);
  return encode([CONTROL.chains, chainsValue(message.chains)]);
}

export function decodeControl(bytes: Uint8Array): ControlMessage {
  return decodeWith('control message', bytes, (v) => {
    const fields = expectArray(v, 'control');
    switch (messageType(fields, 'control')) {
      case CONTROL.hello: {
        const [, version, networkId, chains] = expectArray(v, 'hello', 4);
        return { type: 'hello', version: expectUint(version, 'hello.version'), networkId: expectString(networkId, 'hello.networkId'), chains: chainsFrom(chains, 'hello.chains') };
      }
      case CONTROL.chains: {
        const [, chains] = expectArray(v, 'chains', 2);
        return { type: 'chains', chains: chainsFrom(chains, 'chains.chains') };
      }
      default:
        throw new MessageDecodeError(`unknown control message type ${String(fields[0])}`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Block-sync channel (the body inside the envelope)

export const SYNC = Object.freeze({ statusRequest: 0, status: 1, getBlocks: 2, blocks: 3, error: 4 });
/** The most blocks one getBlocks may ask for. */
export const MAX_BLOCKS_PER_REQUEST = 64;

export interface SyncedBlock {
  readonly height: number;
  readonly block: Uint8Array;
  readonly certificate: Uint8Array;
}

export type SyncMessage =
  | { readonly type: 'statusRequest' }
  | { readonly type: 'status'; readonly height: number }
  | { readonly type: 'getBlocks'; readonly requestId: number; readonly from: number; readonly count: number }
  | { readonly type: 'blocks'; readonly requestId: number; readonly blocks: readonly SyncedBlock[] }
  | { readonly type: 'error'; readonly requestId: number; readonly code: string; readonly message: string };

export function encodeSync(m: SyncMessage): Uint8Array {
  switch (m.type) {
    case 'statusRequest':
      return encode([SYNC.statusRequest]);
    case 'status':
      return encode([SYNC.status, m.height]);
    case 'getBlocks':
      return encode([SYNC.getBlocks, m.requestId, m.from, m.count]);
    case 'blocks':
      return encode([SYNC.blocks, m.requestId, m.blocks.map((b) => [b.height, b.block, b.certificate])]);
    case 'error':
      return encode([SYNC.error, m.requestId, m.code, m.message]);
  }
}

export function decodeSync(bytes: Uint8Array): SyncMessage {
  return decodeWith('sync message', bytes, (v) => {
    const fields = expectArray(v, 'sync');
    switch (messageType(fields, 'sync')) {
      case SYNC.statusRequest:
        expectArray(v, 'statusRequest', 1);
        return { type: 'statusRequest' };
      case SYNC.status:
        return { type: 'status', height: expectUint(expectArray(v, 'status', 2)[1], 'status.height') };
      case SYNC.getBlocks: {
        const [, requestId, from, count] = expectArray(v, 'getBlocks', 4);
        return { type: 'getBlocks', requestId: expectUint(requestId, 'getBlocks.requestId'), from: expectUint(from, 'getBlocks.from'), count: expectUint(count, 'getBlocks.count') };
      }
      case SYNC.blocks: {
        const [, requestId, list] = expectArray(v, 'blocks', 3);
        const blocks = expectArray(list, 'blocks.list').map((entry, i) => {
          const [height, block, certificate] = expectArray(entry, `blocks.list[${i}]`, 3);
          return { height: expectUint(height, `blocks.list[${i}][0]`), block: expectBytes(block, `blocks.list[${i}][1]`), certificate: expectBytes(certificate, `blocks.list[${i}][2]`) };
        });
        return { type: 'blocks', requestId: expectUint(requestId, 'blocks.requestId'), blocks };
      }
      case SYNC.error: {
        const [, requestId, code, message] = expectArray(v, 'error', 4);
        return { type: 'error', requestId: expectUint(requestId, 'error.requestId'), code: expectString(code, 'error.code'), message: expectString(message, 'error.message') };
      }
      default:
        throw new MessageDecodeError(`unknown sync message type ${String(fields[0])}`);
    }
  });
}

/**
 * Upper bounds of the CBOR overhead, used to fill a blocks reply up to the frame limit without
 * encoding it twice: a head of an integer, string or array is at most 9 bytes.
 */
export const BLOCKS_REPLY_OVERHEAD = { perBlock: 1 + 9 + 9 + 9, fixed: 1 + 1 + 9 + 9 };
export function envelopeOverhead(chainId: string): number {
  return 1 + 9 + Buffer.byteLength(chainId, 'utf8') + 9;
}
