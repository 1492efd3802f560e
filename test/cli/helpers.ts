import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initOperator, initRoot, issueLeaf, signOperatorCsr } from '../../src/pki/index.js';
import { DIST_MAIN, distIsFresh } from '../support/dist.js';

/** Runs the real `bsn` CLI and the real openssl in temporary directories. */

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = path.join(REPO, 'src', 'cli', 'main.ts');
// Resolved here so that the child finds tsx even though its cwd is a temp dir outside the repo.
const TSX = import.meta.resolve('tsx');

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], cwd: string): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: { ...process.env, BSN_DEBUG: '' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let cli: string[] | undefined;

/**
 * The real `bsn`: the built dist/cli/main.js when it is newer than every source file (a third of
 * tsx's start-up; `npm test` builds it first when it is stale), else the sources under tsx.
 */
export function bsn(cwd: string, ...args: string[]): Promise<RunResult> {
  cli ??= distIsFresh() ? [DIST_MAIN] : ['--import', TSX, MAIN];
  return run(process.execPath, [...cli, ...args], cwd);
}

export function openssl(cwd: string, ...args: string[]): Promise<RunResult> {
  return run('openssl', args, cwd);
}

export function tempDir(t: { after(fn: () => void): void }, prefix = 'bsn-ca-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A temp dir holding pass.txt (first line is the passphrase, as openssl -passin file: reads it). */
export function workspace(t: { after(fn: () => void): void }): string {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'pass.txt'), `${PASSPHRASE}\n`);
  writeFileSync(path.join(dir, 'wrong.txt'), 'not the passphrase\n');
  return dir;
}

/** Every file under `dir`, relative, sorted: to show that a failed command wrote nothing. */
export function listFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
}

/** One line on stderr, naming the code, and no stack trace. */
export function oneLineError(result: RunResult, code: string): boolean {
  const lines = result.stderr.trim().split('\n');
  return lines.length === 1 && lines[0]!.startsWith('bsn: error: ') && lines[0]!.endsWith(`[${code}]`) && !result.stderr.includes('    at ');
}

export const PASSPHRASE = 'correct horse battery staple';

/**
 * root → operator → node made in-process with the library (the same code the CLI runs), for
 * tests whose subject is not the making of it. Directory names are relative to `dir`.
 */
export async function makeNetwork(dir: string, names = { root: 'root', op: 'op1', node: 'node1' }, suite = 'ecdsa-p256'): Promise<void> {
  const at = (name: string): string => path.join(dir, name);
  const secret = { passphrase: PASSPHRASE };
  await initRoot({ dir: at(names.root), name: 'Example Network Root CA', suite, passphrase: PASSPHRASE });
  const { csrPem } = initOperator({ dir: at(names.op), name: 'Operator One', suite, passphrase: PASSPHRASE });
  await signOperatorCsr({ caDir: at(names.root), csrPem, out: path.join(at(names.op), 'ca.pem'), secret });
  await issueLeaf({ caDir: at(names.op), kind: 'node', name: 'node1', sans: ['127.0.0.1'], out: at(names.node), secret });
}
