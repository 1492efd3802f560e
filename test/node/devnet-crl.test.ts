import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initDevnet, renewDevnetCrls } from '../../src/network/devnet.js';
import { parseCrlPem } from '../../src/pki/index.js';

test('H6: bsn up renews the CRLs of every CA of an existing local network', async (t) => {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'bsn-devnet-crl-')), 'net');
  t.after(() => rmSync(path.dirname(dir), { recursive: true, force: true }));
  const layout = await initDevnet(dir, 29_000, () => undefined);
  const read = () => ['root', 'op1', 'op2'].map((ca) => parseCrlPem(readFileSync(path.join(dir, 'pki', ca, 'crl.pem'), 'utf8')));
  const before = read();
  await renewDevnetCrls(layout, 30);
  const after = read();
  for (const [i, crl] of after.entries()) {
    assert.equal(crl.crlNumber, before[i]!.crlNumber! + 1, `${crl.issuerText}: a new CRL number`);
    assert.ok(crl.thisUpdate >= before[i]!.thisUpdate);
    const days = (crl.nextUpdate!.getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 29 && days <= 30.01, `${crl.issuerText}: valid for the days asked (${days})`);
  }
});
