import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { WriteAheadLog } from './wal.js';
import { WalRecordTooLargeError, WalStateError } from './errors.js';

function tempFile(): { file: string; done: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsn-wal-'));
  return { file: path.join(dir, 'wal'), done: () => rmSync(dir, { recursive: true, force: true }) };
}

const bytes = (s: string) => new TextEncoder().encode(s);

test('records appended before a close are all there on reopen, in order', () => {
  const { file, done } = tempFile();
  const { wal, recovery } = WriteAheadLog.open(file);
  assert.equal(recovery.records.length, 0);
  wal.append(bytes('vote h=1 r=0'));
  wal.appendMany([bytes('vote h=1 r=1'), new Uint8Array(0), bytes('precommit')]);
  wal.close();
  const again = WriteAheadLog.open(file);
  assert.deepEqual(again.recovery.records.map((r) => new TextDecoder().decode(r)), ['vote h=1 r=0', 'vote h=1 r=1', '', 'precommit']);
  assert.equal(again.recovery.truncatedBytes, 0);
  again.wal.close();
  done();
});

test('a torn or corrupted tail is cut back to the last intact record, and appends continue after it', () => {
  const { file, done } = tempFile();
  const records = Array.from({ length: 20 }, (_, i) => bytes(`record-${i}`.repeat(i + 1)));
  fc.assert(
    fc.property(fc.nat(), fc.boolean(), fc.nat(), (cut, corrupt, where) => {
      rmSync(file, { force: true });
      const { wal } = WriteAheadLog.open(file);
      wal.appendMany(records);
      wal.close();
      const full = readFileSync(file);
      if (corrupt) {
        const damaged = Buffer.from(full);
        damaged[where % damaged.length]! ^= 0x5a;
        writeFileSync(file, damaged);
      } else {
        truncateSync(file, cut % full.length);
      }
      const { wal: reopened, recovery } = WriteAheadLog.open(file);
      // What survives is always an exact prefix of what was written.
      assert.ok(recovery.records.length <= records.length);
      recovery.records.forEach((r, i) => assert.deepEqual(r, records[i]));
      assert.equal(statSync(file).size + recovery.truncatedBytes, corrupt ? full.length : cut % full.length);
      reopened.append(bytes('after-repair'));
      reopened.close();
      const last = WriteAheadLog.open(file);
      assert.equal(last.recovery.records.length, recovery.records.length + 1);
      assert.deepEqual(last.recovery.records.at(-1), bytes('after-repair'));
      last.wal.close();
    }),
    { numRuns: 200 },
  );
  done();
});

test('reset replaces the log atomically; oversized records and use after close are typed errors', () => {
  const { file, done } = tempFile();
  const { wal } = WriteAheadLog.open(file);
  wal.appendMany([bytes('a'), bytes('b')]);
  wal.reset([bytes('height 2 starts')]);
  wal.append(bytes('c'));
  assert.throws(() => wal.append(new Uint8Array(64 * 1024 * 1024 + 1)), WalRecordTooLargeError);
  wal.close();
  assert.throws(() => wal.append(bytes('x')), WalStateError);
  const { wal: again, recovery } = WriteAheadLog.open(file);
  assert.deepEqual(recovery.records.map((r) => new TextDecoder().decode(r)), ['height 2 starts', 'c']);
  again.close();
  done();
});

test('discard forgets every record; the next appends start the log afresh', () => {
  const { file, done } = tempFile();
  const { wal } = WriteAheadLog.open(file);
  wal.appendMany([bytes('height 1, prevote'), bytes('height 1, precommit')]);
  wal.discard();
  wal.append(bytes('height 2, prevote'));
  wal.close();
  const { wal: again, recovery } = WriteAheadLog.open(file);
  assert.deepEqual(recovery.records.map((r) => new TextDecoder().decode(r)), ['height 2, prevote']);
  assert.equal(recovery.truncatedBytes, 0);
  again.discard();
  again.close();
  const { wal: empty, recovery: none } = WriteAheadLog.open(file);
  assert.deepEqual(none.records, []);
  empty.close();
  done();
});
