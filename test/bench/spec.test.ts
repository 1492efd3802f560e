import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { BenchFileError, BenchResultFileError } from '../../src/bench/errors.js';
import { parseBenchResult } from '../../src/bench/result-file.js';
import { DEV_FUNDER_KEY, loadBenchFile, overrideTarget, parseBenchSpec } from '../../src/bench/spec.js';
import { roundTxBudget, roundWrites } from '../../src/bench/target.js';
import { WORKLOADS_DIR } from './support.js';

const round = { label: 'r', workload: 'transfer', rate: { type: 'fixed-rate', tps: 10 }, duration: 1 };
const valid = { name: 'x', target: { type: 'jsonrpc', url: 'http://127.0.0.1:8545' }, rounds: [round] };

function issuesOf(doc: unknown): readonly string[] {
  try {
    parseBenchSpec(doc);
  } catch (err) {
    assert.ok(err instanceof BenchFileError, String(err));
    assert.equal(err.code, 'BENCH_FILE_INVALID');
    return err.issues;
  }
  assert.fail('expected a BenchFileError');
}

test('every shipped bench file loads, with its defaults filled in', () => {
  const dir = WORKLOADS_DIR;
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  assert.deepEqual(files.sort(), ['deploy.yaml', 'erc20.yaml', 'kv.yaml', 'mixed.yaml', 'smallbank.yaml', 'transfer.yaml']);
  for (const f of files) {
    const spec = loadBenchFile(path.join(dir, f));
    assert.ok(spec.rounds.length >= 1, f);
    assert.equal(spec.funder.key, DEV_FUNDER_KEY);
    if (spec.target.type === 'bsn-rest') assert.ok(path.isAbsolute(spec.target.cert), 'cert resolved against the file');
  }
});

test('defaults: accounts, funder, timeouts, per-round options', () => {
  const spec = parseBenchSpec(valid);
  assert.equal(spec.accounts, 50);
  assert.deepEqual(spec.funder, { key: DEV_FUNDER_KEY, amountEth: 10 });
  assert.equal(spec.timeoutSec, 30);
  assert.equal(spec.rounds[0]!.readRatio, 0.5);
});

test('errors name their path', () => {
  assert.deepEqual(issuesOf({ ...valid, rounds: [{ ...round, rate: { type: 'fixed-rate', tps: -1 } }] }).map((i) => i.split(':')[0]), ['rounds[0].rate.tps']);
  assert.match(issuesOf({ ...valid, rounds: [{ ...round, duration: undefined }] })[0]!, /^rounds\[0\]\.duration: give exactly one of duration/);
  assert.match(issuesOf({ ...valid, rounds: [{ ...round, txCount: 5 }] })[0]!, /^rounds\[0\]\.duration:/);
  assert.match(issuesOf({ ...valid, target: { type: 'jsonrpc', url: 'ftp://x' } })[0]!, /^target\.url:/);
  assert.match(issuesOf({ ...valid, rounds: [{ ...round, rate: { type: 'linear-ramp', fromTps: 1, toTps: 2 }, duration: undefined, txCount: 3 }] }).join(), /rounds\[0\]\.rate: a linear ramp needs a duration/);
  assert.match(issuesOf({ ...valid, extra: 1 })[0]!, /^\(root\):.*extra/);
  assert.match(issuesOf({ ...valid, rounds: [{ ...round, workload: 'kv-write' }] })[0]!, /^rounds\[0\]\.workload: 'kv-write' does not run on a jsonrpc target/);
  assert.match(issuesOf({ ...valid, funder: { key: '0x12' } })[0]!, /^funder\.key:/);
  // Every problem is reported, not just the first.
  assert.equal(issuesOf({ name: '', target: valid.target, rounds: [{ ...round, label: '' }] }).length, 2);
});

test('random documents never crash the loader: a spec or a BenchFileError', () => {
  const json = fc.jsonValue({ maxDepth: 4 });
  const nearValid = fc.record({
    name: fc.oneof(fc.string(), json),
    target: fc.oneof(fc.constant(valid.target), fc.record({ type: fc.constantFrom('jsonrpc', 'bsn-rest', 'x'), url: fc.oneof(fc.webUrl(), fc.string()) }), json),
    rounds: fc.array(fc.oneof(fc.record({ label: fc.string(), workload: fc.constantFrom('transfer', 'erc20', 'kv-read', 'nope'), rate: fc.oneof(json, fc.record({ type: fc.constantFrom('fixed-rate', 'fixed-load', 'linear-ramp'), tps: fc.double(), inFlight: fc.integer(), fromTps: fc.double(), toTps: fc.double() })), duration: fc.oneof(fc.double(), json), txCount: fc.oneof(fc.integer(), json) }, { requiredKeys: [] }), json), { maxLength: 3 }),
  }, { requiredKeys: [] });
  fc.assert(
    fc.property(fc.oneof(json, nearValid), (doc) => {
      try {
        parseBenchSpec(doc);
      } catch (err) {
        assert.ok(err instanceof BenchFileError, `not a BenchFileError: ${String(err)}`);
        assert.ok(err.issues.length > 0);
        for (const issue of err.issues) assert.match(issue, /^[^:]+: /, 'each issue starts with its path');
      }
    }),
    { numRuns: 500 },
  );
});

test('YAML and JSON files; unreadable and malformed files are BenchFileErrors', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-bench-spec-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'a.yaml'), stringify(valid));
  writeFileSync(path.join(dir, 'a.json'), JSON.stringify(valid));
  writeFileSync(path.join(dir, 'bad.yaml'), 'name: [unclosed\n');
  writeFileSync(path.join(dir, 'bad.json'), '{"name": ');
  assert.equal(loadBenchFile(path.join(dir, 'a.yaml')).name, 'x');
  assert.equal(loadBenchFile(path.join(dir, 'a.json')).name, 'x');
  for (const f of ['bad.yaml', 'bad.json', 'missing.yaml']) assert.throws(() => loadBenchFile(path.join(dir, f)), (e: unknown) => e instanceof BenchFileError && e.message.includes(f));
  // Random bytes as a file never crash either.
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (text) => {
      writeFileSync(path.join(dir, 'r.yaml'), text);
      try {
        loadBenchFile(path.join(dir, 'r.yaml'));
      } catch (err) {
        assert.ok(err instanceof BenchFileError, String(err));
      }
    }),
    { numRuns: 200 },
  );
});

test('--target: /rpc means JSON-RPC, otherwise the file keeps its kind', () => {
  const rest = parseBenchSpec({ ...valid, target: { type: 'bsn-rest', url: 'http://h:1', app: 'demo', cert: 'c.pem', key: 'k.pem' }, rounds: [{ ...round, workload: 'mixed' }] });
  assert.deepEqual(overrideTarget(rest, 'http://other:2').target, { type: 'bsn-rest', url: 'http://other:2', app: 'demo', cert: 'c.pem', key: 'k.pem' });
  assert.deepEqual(overrideTarget(rest, 'http://127.0.0.1:9/apps/evm/rpc').target, { type: 'jsonrpc', url: 'http://127.0.0.1:9/apps/evm/rpc' });
  assert.deepEqual(overrideTarget(parseBenchSpec(valid), 'http://127.0.0.1:8545').target, { type: 'jsonrpc', url: 'http://127.0.0.1:8545' });
  const kv = parseBenchSpec({ ...rest, rounds: [{ ...round, workload: 'kv-write' }] });
  assert.throws(() => overrideTarget(kv, 'http://127.0.0.1:9/apps/evm/rpc'), BenchFileError, 'kv on a JSON-RPC target');
  assert.throws(() => overrideTarget(kv, 'not a url'), BenchFileError);
});

test('pre-signing budgets cover the round', () => {
  const spec = (r: Record<string, unknown>) => parseBenchSpec({ ...valid, rounds: [{ ...round, duration: undefined, ...r }] }).rounds[0]!;
  assert.equal(roundTxBudget(spec({ rate: { type: 'fixed-rate', tps: 100 }, duration: 2, warmup: 1 })), 301);
  assert.equal(roundTxBudget(spec({ rate: { type: 'fixed-rate', tps: 100 }, txCount: 50, warmupTx: 10 })), 60);
  assert.equal(roundTxBudget(spec({ rate: { type: 'linear-ramp', fromTps: 10, toTps: 30 }, duration: 10 })), 201);
  assert.equal(roundTxBudget(spec({ rate: { type: 'fixed-load', inFlight: 4 }, duration: 1, maxTx: 77 })), 77);
  assert.equal(roundWrites(spec({ workload: 'mixed', readRatio: 1, rate: { type: 'fixed-rate', tps: 100 }, duration: 1 })), 20);
});

test('bench report refuses result files of another version or shape', () => {
  assert.throws(() => parseBenchResult({ version: 2 }), (e: unknown) => e instanceof BenchResultFileError && /version 1 \(version: 2\)/.test(e.message));
  assert.throws(() => parseBenchResult(null), BenchResultFileError);
  assert.throws(() => parseBenchResult({ version: 1, name: 'x' }), (e: unknown) => e instanceof BenchResultFileError && /tool/.test(e.message));
  fc.assert(
    fc.property(fc.jsonValue(), (doc) => {
      assert.throws(() => parseBenchResult(doc), BenchResultFileError);
    }),
  );
});
