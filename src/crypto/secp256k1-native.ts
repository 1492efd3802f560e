import { createRequire } from 'node:module';
import type * as Secp256k1Api from 'secp256k1';

/*
 * The `secp256k1` package's main entry silently falls back to a pure-JS implementation
 * (elliptic, ~20x slower and not constant-time) when its native addon does not load. Loading
 * `secp256k1/bindings` directly makes a missing or broken prebuilt binary fail at import
 * instead. The package ships prebuilds for linux-x64 (glibc and musl), darwin-arm64 and
 * win32-x64; other platforms need a compiler at install time.
 */
const require = createRequire(import.meta.url);

export const secp256k1Native: typeof Secp256k1Api = require('secp256k1/bindings') as typeof Secp256k1Api;

/** Path of the loaded native addon (a `.node` file), for tests and diagnostics. */
export const secp256k1NativeBinary: string | undefined = Object.keys(require.cache).find((path) =>
  /[\\/]secp256k1[\\/].*\.node$/.test(path),
);
