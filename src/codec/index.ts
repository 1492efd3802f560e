// The canonical encoding of everything BSN hashes or signs: deterministic CBOR (RFC 8949 §4.2.1)
// over a restricted data model. See docs/codec.md.
export { encode } from './encode.js';
export { decode } from './decode.js';
export { DEFAULT_DECODE_LIMITS, MAX_DEPTH_LIMIT, type CodecMap, type CodecValue, type DecodeLimits } from './types.js';
export {
  expectArray,
  expectBigUint,
  expectBool,
  expectBytes,
  expectInt,
  expectMap,
  expectNullable,
  expectString,
  expectUint,
} from './schema.js';
export {
  CodecError,
  DecodeError,
  DepthLimitError,
  DuplicateMapKeyError,
  EncodeDepthError,
  EncodeError,
  FloatNotAllowedError,
  IndefiniteLengthError,
  InputTooLargeError,
  IntegerRangeError,
  InvalidLimitsError,
  InvalidStringError,
  InvalidUtf8Error,
  ItemLimitError,
  NonShortestEncodingError,
  NonTextMapKeyError,
  NotSafeIntegerError,
  ReservedEncodingError,
  SchemaError,
  SimpleValueNotAllowedError,
  StringLimitError,
  TagNotAllowedError,
  TrailingBytesError,
  TruncatedInputError,
  UnsortedMapKeysError,
  UnsupportedValueError,
} from './errors.js';
