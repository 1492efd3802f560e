import { BsnError } from '../errors.js';

/**
 * Every failure of the codec layer. Callers that only need "the bytes are not a valid BSN
 * encoding" catch this; the subclasses exist so that peers can be scored and tests can tell
 * the reasons apart.
 */
export abstract class CodecError extends BsnError {}

/** A value outside the BSN data model was handed to `encode`. `path` locates it, e.g. `$.votes[3].height`. */
export abstract class EncodeError extends CodecError {
  readonly path: string;

  constructor(message: string, path: string) {
    super(`${message} at ${path}`);
    this.path = path;
  }
}

/** undefined, a function, a symbol, a Map, a Date, a class instance, a typed array other than Uint8Array, … */
export class UnsupportedValueError extends EncodeError {
  readonly code = 'CODEC_UNSUPPORTED_VALUE';
}

/** A `number` that is not a safe integer (a fraction, NaN, ±Infinity, -0, or beyond 2^53 - 1). */
export class NotSafeIntegerError extends EncodeError {
  readonly code = 'CODEC_NOT_SAFE_INTEGER';
}

/** A `bigint` outside CBOR's integer range −2^64 ≤ v < 2^64. */
export class IntegerRangeError extends EncodeError {
  readonly code = 'CODEC_INTEGER_RANGE';
}

/** A string with a lone surrogate: it has no UTF-8 encoding, and replacing it would make two strings encode alike. */
export class InvalidStringError extends EncodeError {
  readonly code = 'CODEC_INVALID_STRING';
}

/** Nesting deeper than the default decoder accepts, or a cycle; refused so that whatever encodes also decodes. */
export class EncodeDepthError extends EncodeError {
  readonly code = 'CODEC_ENCODE_TOO_DEEP';
}

/** Input that is not the one canonical encoding of a BSN value. `offset` is where the decoder stopped. */
export abstract class DecodeError extends CodecError {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`${message} (at byte ${offset})`);
    this.offset = offset;
  }
}

/** The input ends inside a value, or declares a length longer than what remains. */
export class TruncatedInputError extends DecodeError {
  readonly code = 'CODEC_TRUNCATED';
}

/** Bytes follow a complete top-level value. */
export class TrailingBytesError extends DecodeError {
  readonly code = 'CODEC_TRAILING_BYTES';
}

/** An integer or length written in more bytes than needed (RFC 8949 §4.2.1 preferred serialization). */
export class NonShortestEncodingError extends DecodeError {
  readonly code = 'CODEC_NOT_SHORTEST';
}

/** An indefinite-length string, array or map, or a stray "break" byte (0xff). */
export class IndefiniteLengthError extends DecodeError {
  readonly code = 'CODEC_INDEFINITE_LENGTH';
}

/** Additional-information values 28–30, reserved by RFC 8949 and malformed in any major type. */
export class ReservedEncodingError extends DecodeError {
  readonly code = 'CODEC_RESERVED';
}

/** Map keys not in the bytewise order of their encodings. */
export class UnsortedMapKeysError extends DecodeError {
  readonly code = 'CODEC_UNSORTED_MAP_KEYS';
}

/** The same key twice in one map. */
export class DuplicateMapKeyError extends DecodeError {
  readonly code = 'CODEC_DUPLICATE_MAP_KEY';
}

/** A map key that is not a text string. */
export class NonTextMapKeyError extends DecodeError {
  readonly code = 'CODEC_NON_TEXT_MAP_KEY';
}

/** A tag (major type 6); BSN uses none. */
export class TagNotAllowedError extends DecodeError {
  readonly code = 'CODEC_TAG';
}

/** A half, single or double float; BSN hashes integers only. */
export class FloatNotAllowedError extends DecodeError {
  readonly code = 'CODEC_FLOAT';
}

/** undefined or any simple value other than false, true and null. */
export class SimpleValueNotAllowedError extends DecodeError {
  readonly code = 'CODEC_SIMPLE_VALUE';
}

/** A text string that is not well-formed UTF-8 (invalid bytes, overlong forms, surrogates). */
export class InvalidUtf8Error extends DecodeError {
  readonly code = 'CODEC_INVALID_UTF8';
}

/** The input is longer than `maxBytes`; checked before any decoding. */
export class InputTooLargeError extends DecodeError {
  readonly code = 'CODEC_INPUT_TOO_LARGE';
}

/** Arrays and maps nested deeper than `maxDepth`. */
export class DepthLimitError extends DecodeError {
  readonly code = 'CODEC_TOO_DEEP';
}

/** An array or map declaring more than `maxItems` entries. */
export class ItemLimitError extends DecodeError {
  readonly code = 'CODEC_TOO_MANY_ITEMS';
}

/** A byte or text string longer than `maxStringBytes`. */
export class StringLimitError extends DecodeError {
  readonly code = 'CODEC_STRING_TOO_LONG';
}

/** `DecodeLimits` that are not positive integers, or a `maxDepth` beyond what the decoder's stack allows. */
export class InvalidLimitsError extends CodecError {
  readonly code = 'CODEC_INVALID_LIMITS';
}

/** A decoded value that does not have the shape a higher layer expects. `path` locates it. */
export class SchemaError extends CodecError {
  readonly code = 'CODEC_SCHEMA';
  readonly path: string;

  constructor(message: string, path: string) {
    super(`${path}: ${message}`);
    this.path = path;
  }
}
