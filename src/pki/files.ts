import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { CaDirectoryError } from './errors.js';

/**
 * Atomic file output. A reader (or a crash) sees either the old file or the complete new one,
 * never a prefix: data goes to a temporary file in the same directory, is fsynced, then renamed.
 */

export interface OutputFile {
  readonly name: string;
  readonly data: string | Uint8Array;
  /** 0o600 for secrets (keys, shares); 0o644 otherwise. */
  readonly secret?: boolean;
}

function fsyncDir(dir: string): void {
  // Makes the rename durable; some platforms cannot open directories, which is then harmless.
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* best effort */
  }
}

function writeTemp(dir: string, file: OutputFile): string {
  const temp = path.join(dir, `.${file.name}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', file.secret ? 0o600 : 0o644);
  try {
    const data = typeof file.data === 'string' ? Buffer.from(file.data, 'utf8') : file.data;
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return temp;
}

/** File system failures (permissions, a full disk) as a typed error naming the file. */
function wrapIo<T>(target: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!code) throw err;
    throw new CaDirectoryError(`cannot write '${target}': ${code}`, { cause: err });
  }
}

/** Refuses an output file whose directory is missing, that is a directory, or that exists (unless `overwrite`). */
export function checkOutputFile(target: string, overwrite: boolean): void {
  if (!isDirectory(path.dirname(path.resolve(target)))) throw new CaDirectoryError(`the directory of '${target}' does not exist`);
  if (isDirectory(target)) throw new CaDirectoryError(`'${target}' is a directory`);
  if (!overwrite && existsSync(target)) throw new CaDirectoryError(`'${target}' already exists (use --force to replace it)`);
}

export function writeFileAtomic(target: string, data: string | Uint8Array, secret = false): void {
  wrapIo(target, () => writeFileAtomicUnwrapped(target, data, secret));
}

function writeFileAtomicUnwrapped(target: string, data: string | Uint8Array, secret: boolean): void {
  const dir = path.dirname(target);
  const temp = writeTemp(dir, { name: path.basename(target), data, secret });
  try {
    renameSync(temp, target);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  fsyncDir(dir);
}

/**
 * Writes several files into `dir`. When `dir` does not exist yet, they are staged in a sibling
 * directory that is renamed into place, so the directory appears complete or not at all.
 */
export function writeFilesAtomic(dir: string, files: readonly OutputFile[]): void {
  wrapIo(dir, () => writeFilesAtomicUnwrapped(dir, files));
}

function writeFilesAtomicUnwrapped(dir: string, files: readonly OutputFile[]): void {
  if (!existsSync(dir)) {
    const parent = path.dirname(path.resolve(dir));
    mkdirSync(parent, { recursive: true });
    const staging = path.join(parent, `.${path.basename(dir)}.${randomBytes(6).toString('hex')}.tmp`);
    mkdirSync(staging, { mode: 0o700 });
    try {
      for (const file of files) renameSync(writeTemp(staging, file), path.join(staging, file.name));
      renameSync(staging, dir);
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      throw err;
    }
    fsyncDir(parent);
    return;
  }
  for (const file of files) writeFileAtomicUnwrapped(path.join(dir, file.name), file.data, file.secret ?? false);
}

export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
