import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';

// Native addons load from prebuilt binaries shipped in their npm packages (their install scripts
// are not approved); these tests make CI fail if a fresh machine cannot load one.

test('classic-level loads its native LevelDB binding and round-trips a write', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-level-'));
  const db = new ClassicLevel<string, string>(dir);
  await db.put('height', '42');
  assert.equal(await db.get('height'), '42');
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

test('secp256k1 loads its native binding, not the pure-JS fallback', () => {
  const require = createRequire(import.meta.url);
  const native = require('secp256k1/bindings') as { ecdsaSign: unknown };
  assert.equal(typeof native.ecdsaSign, 'function');
});
