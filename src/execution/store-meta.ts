import { CodecError, decode, encode, expectArray, expectBytes, expectUint } from '../codec/index.js';
import { StateCorruptError } from './errors.js';

/*
 * What the kv and EVM stores keep under their `meta` key: the last committed height and the
 * state root after it, written in the same batch as the state of that height (so `info()` after a
 * crash says exactly which height the store holds).
 */

export const META_KEY = 'meta';
const META_VERSION = 1;

export interface StoreMeta {
  readonly height: number;
  readonly stateRoot: Uint8Array;
}

export function encodeStoreMeta(meta: StoreMeta): Uint8Array {
  return encode([META_VERSION, meta.height, meta.stateRoot]);
}

/** `app` names the store in errors ('kv', 'evm'). */
export function decodeStoreMeta(bytes: Uint8Array, app: string): StoreMeta {
  return corruptIfCodec(`${app} meta`, () => {
    const [version, height, root] = expectArray(decode(bytes), 'meta', 3);
    if (expectUint(version, 'meta.version') !== META_VERSION) throw new StateCorruptError(`unknown ${app} meta version`);
    return { height: expectUint(height, 'meta.height'), stateRoot: expectBytes(root, 'meta.stateRoot') };
  });
}

/** Runs a decoder of stored bytes; a codec failure there means a damaged or foreign store. */
export function corruptIfCodec<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof CodecError) throw new StateCorruptError(`${what}: ${cause.message}`, { cause });
    throw cause;
  }
}
