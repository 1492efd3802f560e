/**
 * The BSN data model: the values that have a canonical encoding. Integers are `number` when safe
 * and `bigint` otherwise; the encoding depends only on the integer's value, never its JS type.
 */
export type CodecValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | readonly CodecValue[]
  | CodecMap;

/** A map with text keys. Only plain objects (prototype `Object.prototype` or `null`) are encoded as maps. */
export type CodecMap = { readonly [key: string]: CodecValue };

/** Bounds on what `decode` accepts from untrusted input; every field is optional and defaults to `DEFAULT_DECODE_LIMITS`. */
export interface DecodeLimits {
  /** Longest accepted input, checked before any decoding. */
  maxBytes?: number;
  /** Deepest nesting of arrays and maps; a top-level array is depth 1. */
  maxDepth?: number;
  /** Most entries in one array or one map. */
  maxItems?: number;
  /** Longest byte or text string, in bytes. */
  maxStringBytes?: number;
}

export const DEFAULT_DECODE_LIMITS: Readonly<Required<DecodeLimits>> = Object.freeze({
  maxBytes: 16 * 1024 * 1024,
  maxDepth: 64,
  maxItems: 1024 * 1024,
  maxStringBytes: 16 * 1024 * 1024,
});

/**
 * `maxDepth` may be raised up to this. The decoder recurses once per level, and Node's default
 * stack holds several thousand frames; the bound keeps a stack overflow (an untyped RangeError)
 * out of reach of any input.
 */
export const MAX_DEPTH_LIMIT = 1000;
