import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, existsSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { WalRecordTooLargeError, WalStateError } from './errors.js';

/** Frame: length (u32 BE) | crc32 of payload (u32 BE) | payload. */
const HEADER = 8;
export const WAL_MAX_RECORD = 64 * 1024 * 1024;

export interface WalRecovery {
  /** The records that survived, oldest first. */
  readonly records: Uint8Array[];
  /** Bytes cut from the end because they did not form a whole, intact record. */
  readonly truncatedBytes: number;
}

/** Reads every intact record from the start of `buf`; stops at the first torn or corrupt one. */
export function scanRecords(buf: Uint8Array): { records: Uint8Array[]; goodLength: number } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const records: Uint8Array[] = [];
  let offset = 0;
  while (offset + HEADER <= buf.length) {
    const length = view.getUint32(offset);
    const checksum = view.getUint32(offset + 4);
    const end = offset + HEADER + length;
    if (length > WAL_MAX_RECORD || end > buf.length) break;
    const payload = buf.subarray(offset + HEADER, end);
    if (crc32(payload) !== checksum) break;
    records.push(Uint8Array.from(payload));
    offset = end;
  }
  return { records, goodLength: offset };
}

/**
 * An append-only log whose every append is on disk (fsync) before `append` returns: this is what
 * the consensus crash-recovery contract needs before a signed message leaves the node. A torn or
 * corrupt tail (a crash mid-write, a bad sector) is cut back to the last intact record on open,
 * so a restarted node replays exactly the records whose appends had returned.
 */
export class WriteAheadLog {
  private fd: number | undefined;

  private constructor(
    readonly file: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** Opens (creating if needed) the log at `file`, repairs its tail and returns what survived. */
  static open(file: string): { wal: WriteAheadLog; recovery: WalRecovery } {
    mkdirSync(path.dirname(file), { recursive: true });
    const data = existsSync(file) ? readFileSync(file) : new Uint8Array(0);
    const { records, goodLength } = scanRecords(data);
    const fd = openSync(file, existsSync(file) ? 'r+' : 'w+');
    if (goodLength < data.length) {
      ftruncateSync(fd, goodLength);
      fsyncSync(fd);
    }
    syncDirectory(path.dirname(file));
    closeSync(fd);
    const appendFd = openSync(file, 'a');
    return { wal: new WriteAheadLog(file, appendFd), recovery: { records, truncatedBytes: data.length - goodLength } };
  }

  /** Appends one record and fsyncs; when it returns, the record survives a crash. */
  append(record: Uint8Array): void {
    this.appendMany([record]);
  }

  /** Appends several records with one fsync (group commit). */
  appendMany(records: readonly Uint8Array[]): void {
    const fd = this.requireOpen();
    writeAll(fd, frame(records));
    fsyncSync(fd);
  }

  /**
   * Forgets every record without waiting for the disk. Only for records the reader ignores once
   * they are stale (the consensus snapshots of a height that is committed, and stored durably,
   * before this is called): a crash before the next append's fsync leaves either those old
   * records or none, which read the same; that fsync makes the truncation durable together with
   * the new record. Saves the two fsyncs and the rename of `reset` on every height.
   */
  discard(): void {
    ftruncateSync(this.requireOpen(), 0);
  }

  /**
   * Replaces the whole log with `records` atomically (write a new file, fsync, rename): used when
   * a height is committed and the records of older heights are no longer needed.
   */
  reset(records: readonly Uint8Array[] = []): void {
    const fd = this.requireOpen();
    const next = `${this.file}.next`;
    if (existsSync(next)) unlinkSync(next);
    const tmp = openSync(next, 'w');
    writeAll(tmp, frame(records));
    fsyncSync(tmp);
    closeSync(tmp);
    closeSync(fd);
    renameSync(next, this.file);
    syncDirectory(path.dirname(this.file));
    this.fd = openSync(this.file, 'a');
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  private requireOpen(): number {
    if (this.fd === undefined) throw new WalStateError(`write-ahead log ${this.file} is closed`);
    return this.fd;
  }
}

function frame(records: readonly Uint8Array[]): Buffer {
  const parts: Uint8Array[] = [];
  for (const record of records) {
    if (record.length > WAL_MAX_RECORD) {
      throw new WalRecordTooLargeError(`a WAL record is at most ${WAL_MAX_RECORD} bytes, got ${record.length}`);
    }
    const header = Buffer.alloc(HEADER);
    header.writeUInt32BE(record.length, 0);
    header.writeUInt32BE(crc32(record), 4);
    parts.push(header, record);
  }
  return Buffer.concat(parts);
}

function writeAll(fd: number, buf: Buffer): void {
  let written = 0;
  while (written < buf.length) written += writeSync(fd, buf, written);
}

/** A rename or truncate is durable only once the directory entry is synced too. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
