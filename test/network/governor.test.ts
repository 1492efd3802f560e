import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCertificatePem } from '../../src/pki/index.js';
import { PeerRevokedError } from '../../src/p2p/index.js';
import { admissionPolicy, gatewayView, PeerNotAdmittedError } from '../../src/network/governor.js';
import type { GovRegistry, NodeRecord, OperatorRecord } from '../../src/execution/gov/types.js';
import { makeTestPki } from '../support/network-pki.js';

/* The registry's admission policy, with real certificates: who may be a peer, and why not. */

test('admission by the registry: revoked, not admitted, suspended operator, suspended node are refused with their reasons; a follower of an admitted operator is admitted', async (t) => {
  const pki = await makeTestPki();
  t.after(() => pki.cleanup());
  const node1 = await pki.issue('node1');
  const node5 = await pki.issue('node5');
  const op = parseCertificatePem(pki.operatorPem);
  const operatorDer = op.der;
  const peer = (certPem: string) => {
    const certificate = parseCertificatePem(certPem);
    return { name: certificate.subjectText.replace(/.*CN=([^,]+).*/, '$1'), fingerprint: certificate.fingerprint, operator: certificate.issuerText, certificate };
  };
  const operator = (status: OperatorRecord['status']): OperatorRecord => ({ name: 'op1', caCertPem: pki.operatorPem, caFingerprint: op.fingerprint, subject: op.subjectText, admins: [], status, since: 0 });
  const nodeRecord = (status: NodeRecord['status']): NodeRecord => ({ name: 'node1', operator: 'op1', certPem: node1.certPem, fingerprint: parseCertificatePem(node1.certPem).fingerprint, publicKey: '', region: 'Beijing', power: 1, status, since: 0 });
  const registry = (over: Partial<GovRegistry>): GovRegistry => ({
    height: 1,
    rootCertPem: pki.rootPem,
    rootFingerprint: parseCertificatePem(pki.rootPem).fingerprint,
    minValidators: 1,
    authority: { name: 'authority', certPem: '', fingerprint: '' },
    operators: [operator('active')],
    nodes: [nodeRecord('active')],
    orgs: [],
    revocations: [],
    plans: [],
    rules: [],
    apps: [],
    ...over,
  });
  const chain = [operatorDer];

  assert.equal(admissionPolicy(registry({}))(peer(node1.certPem), chain), undefined);
  // node5 is in no record, but its operator is admitted: a follower.
  assert.equal(admissionPolicy(registry({}))(peer(node5.certPem), chain), undefined);

  const revocation = { issuer: op.subjectText, issuerFingerprint: op.fingerprint, serial: parseCertificatePem(node1.certPem).serial, fingerprint: parseCertificatePem(node1.certPem).fingerprint, subject: 'node1', reason: 'keyCompromise' as const, time: 0, height: 9, proposal: 'ab' };
  const revoked = admissionPolicy(registry({ revocations: [revocation] }))(peer(node1.certPem), chain);
  assert.ok(revoked instanceof PeerRevokedError && /height 9.*keyCompromise/.test(revoked.message), String(revoked));

  const caRevoked = admissionPolicy(registry({ revocations: [{ ...revocation, fingerprint: op.fingerprint }] }))(peer(node5.certPem), chain);
  assert.ok(caRevoked instanceof PeerRevokedError, String(caRevoked));

  const unknownOperator = admissionPolicy(registry({ operators: [] }))(peer(node1.certPem), chain);
  assert.ok(unknownOperator instanceof PeerNotAdmittedError && /not admitted/.test(unknownOperator.message), String(unknownOperator));
  assert.equal(unknownOperator.code, 'GOV_PEER_NOT_ADMITTED');

  const suspendedOperator = admissionPolicy(registry({ operators: [operator('suspended')] }))(peer(node5.certPem), chain);
  assert.ok(suspendedOperator instanceof PeerNotAdmittedError && /suspended/.test(suspendedOperator.message));

  const suspendedNode = admissionPolicy(registry({ nodes: [nodeRecord('removed')] }))(peer(node1.certPem), chain);
  assert.ok(suspendedNode instanceof PeerNotAdmittedError && /removed/.test(suspendedNode.message));
  assert.equal(admissionPolicy(registry({ nodes: [nodeRecord('removed')] }))(peer(node5.certPem), chain), undefined, 'only that node');

  // No issuer chain at all (a peer that sent only its leaf): not admitted.
  assert.ok(admissionPolicy(registry({}))(peer(node1.certPem), []) instanceof PeerNotAdmittedError);

  const view = gatewayView(registry({ revocations: [revocation], operators: [operator('suspended')] }));
  assert.deepEqual(view.operatorCaPems, []);
  assert.match(view.refusals.get(revocation.fingerprint)!, /revoked on the governance chain at height 9/);
  assert.match(view.refusals.get(op.fingerprint)!, /operator op1, which is suspended/);
});
