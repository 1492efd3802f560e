import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { CodecValue } from '../../codec/index.js';
import { parseCertificatePem } from '../../pki/index.js';
import { GovChain, genesisOf, makeGovPki } from './gov.fixture.js';

/*
 * Admission judges a certificate at about the next block's time, not at the last block's: on an
 * idle chain (a fresh `bsn up`, hours without a proposal) the last block is old, and a CA or node
 * certificate issued since would be refused as "not valid before" although the block that would
 * carry it is new. Found by trying issue 12's acceptance by hand.
 */
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('a certificate issued after the last gov block is admitted (checkTx judges at about now)', async (t) => {
  const pki = await makeGovPki(['op1', 'op2']);
  t.after(() => pki.cleanup());
  const nodes = await Promise.all([1, 2, 3, 4].map((i) => pki.issue(i <= 2 ? 'op1' : 'op2', 'node', `node${i}`)));
  const state = genesisOf(pki, ['op1', 'op2'], nodes.map((node, i) => ({ node, operator: i < 2 ? 'op1' : 'op2' })));
  // The chain's last block is its genesis, at the moment its last certificate became valid
  // (certificates are backdated a minute); op3's CA, issued two seconds later, is valid after it.
  const pems = [pki.rootPem, pki.authority.certPem, ...nodes.map((n) => n.certPem), ...[...pki.operators.values()].flatMap((o) => [o.ca.certPem, o.admin.certPem])];
  const genesisTime = Math.max(...pems.map((pem) => parseCertificatePem(pem).notBefore.getTime()));
  const chain = await GovChain.start({ chainId: 'gov', time: genesisTime, appState: state as unknown as CodecValue }, dirs);
  await new Promise((r) => setTimeout(r, 2000));
  const op3 = await pki.addOperator('op3');
  chain.time = Date.now();
  const tx = chain.propose(pki.authority, 'admit-operator', { cert: op3.ca.certPem, name: 'op3' });
  const verdict = await chain.app.checkTx(tx, 'new');
  assert.equal(verdict.ok, true, JSON.stringify(verdict));
});
