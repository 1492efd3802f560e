import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { parseBenchResult } from '../../src/bench/result-file.js';
import { bsn, tempDir } from '../cli/helpers.js';
import { startBsn } from './support.js';

const round = { label: 'transfer', workload: 'transfer', rate: { type: 'fixed-rate', tps: 50 }, duration: 1, warmup: 0.5 };

test('bsn bench run and report, end to end through the CLI', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t, 'bsn-bench-cli-');
  const node = await startBsn();
  t.after(() => node.stop());
  // The file's URL points nowhere: --target replaces it.
  writeFileSync(path.join(dir, 'bench.yaml'), stringify({ name: 'cli', target: { type: 'jsonrpc', url: 'http://127.0.0.1:43102/rpc' }, accounts: 5, workers: 1, rounds: [round] }));

  await t.test('run --json prints the result; --out and --html write it', async () => {
    const r = await bsn(dir, 'bench', 'run', 'bench.yaml', '--target', node.rpcUrl, '--json', '--out', 'result.json', '--html', 'report.html', '--pids', 'none');
    assert.equal(r.code, 0, r.stderr);
    const result = parseBenchResult(JSON.parse(r.stdout));
    assert.equal(result.target.url, node.rpcUrl);
    assert.equal(result.rounds[0]!.failed, 0);
    assert.ok(result.rounds[0]!.submitted >= 45);
    assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8')), result);
    assert.match(readFileSync(path.join(dir, 'report.html'), 'utf8'), /^<!DOCTYPE html>/i);
    assert.match(r.stderr, /^bsn bench cli .*tx\/s/m, 'the one-line summary goes to stderr with --json');
    assert.match(r.stderr, /transfer .*sent/, 'live progress on stderr');
  });

  await t.test('report reads the result back and renders it', async () => {
    const r = await bsn(dir, 'bench', 'report', 'result.json', '--html', 'again.html');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^bsn bench cli .*tx\/s/m);
    assert.ok(existsSync(path.join(dir, 'again.html')));
    writeFileSync(path.join(dir, 'v2.json'), JSON.stringify({ ...JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8')), version: 2 }));
    const bad = await bsn(dir, 'bench', 'report', 'v2.json');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not a bsn bench result of version 1 .*\[BENCH_RESULT_INVALID\]/);
  });

  await t.test('a malformed bench file, an unreachable target and bad flags fail with their codes', async () => {
    writeFileSync(path.join(dir, 'bad.yaml'), stringify({ name: 'bad', target: { type: 'jsonrpc', url: 'http://x' }, rounds: [{ ...round, rate: { type: 'fixed-rate', tps: 0 } }] }));
    const bad = await bsn(dir, 'bench', 'run', 'bad.yaml', '--json');
    assert.equal(bad.code, 1);
    const error = JSON.parse(bad.stdout) as { ok: boolean; error: { code: string; message: string } };
    assert.equal(error.ok, false);
    assert.equal(error.error.code, 'BENCH_FILE_INVALID');
    assert.match(error.error.message, /rounds\[0\]\.rate\.tps/);

    const unreachable = await bsn(dir, 'bench', 'run', 'bench.yaml', '--quiet');
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /cannot reach the JSON-RPC target http:\/\/127\.0\.0\.1:43102\/rpc: ECONNREFUSED \[BENCH_TARGET_UNREACHABLE\]/);
    assert.equal(unreachable.stdout, '', 'no report of zeros');

    const flags = await bsn(dir, 'bench', 'run', 'bench.yaml', '--pids', 'one,two');
    assert.equal(flags.code, 2);
    assert.match(flags.stderr, /\[CLI_USAGE\]/);
  });
});
