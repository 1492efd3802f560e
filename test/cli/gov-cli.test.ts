import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, after, test } from 'node:test';
import { decode, encode, expectArray, expectBytes, expectString } from '../../src/codec/index.js';
import { getSuite } from '../../src/crypto/index.js';
import fc from 'fast-check';
import type { ProposalRecord, RevocationRecord } from '../../src/execution/gov/types.js';
import { proposalLine, proposalStatus } from '../../src/cli/gov/format.js';
import { ChainCrlIssuerError, signChainCrls } from '../../src/cli/gov/crl.js';
import { actionArgs, parseExpiry } from '../../src/cli/gov/actions.js';
import { resolveSigner } from '../../src/cli/gov/connect.js';
import { proposalIdOf, proposeTx, voteTx } from '../../src/cli/gov/sign.js';
import { loadCa, parseCertificatePem, parseCrlPem } from '../../src/pki/index.js';
import { startGovNode, type GovNode } from '../support/gov-node.js';
import { buildProgram } from '../../src/cli/program.js';
import { bsn, makeNetwork, oneLineError, openssl, PASSPHRASE, workspace } from './helpers.js';

/**
 * `bsn gov` and `bsn ca crl --from-chain`: argument validation (before any key is unlocked or
 * gateway asked), the resolution of --as, the signed tx format, and the CRLs signed from the
 * chain's revocations, read back by the real openssl.
 */

let dir = '';
let cleanup = (): void => undefined;
after(() => cleanup());
before(async () => {
  dir = workspace({ after: (fn) => (cleanup = fn) });
  await makeNetwork(dir);
  // A `bsn up` layout's identities and passphrase, made from the same PKI.
  mkdirSync(path.join(dir, 'net', 'identities'), { recursive: true });
  cpSync(path.join(dir, 'node1'), path.join(dir, 'net', 'identities', 'authority'), { recursive: true });
  mkdirSync(path.join(dir, 'net', 'pki'));
  writeFileSync(path.join(dir, 'net', 'pki', 'passphrase.txt'), `${PASSPHRASE}\n`);
});

const NO_GATEWAY = 'http://127.0.0.1:9';

/** Runs `bsn ARGS` in this process (the same command tree main() runs) and returns what it threw. */
async function failure(...args: string[]): Promise<{ code?: string; message: string }> {
  try {
    await buildProgram().parseAsync(['node', 'bsn', ...args]);
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error(`bsn ${args.join(' ')} did not fail`);
}

test('bsn gov refuses bad arguments with CLI_USAGE, before asking any gateway', async () => {
  const id = 'ab'.repeat(32);
  const as = ['--node', NO_GATEWAY, '--as', path.join(dir, 'node1')];
  const cert = path.join(dir, 'node1', 'cert.pem');
  const cases: [string[], RegExp][] = [
    [['gov', 'propose', 'frobnicate', ...as], /unknown action 'frobnicate'/],
    [['gov', 'propose', 'admit-operator', '--name', 'op3', ...as], /admit-operator needs --cert FILE/],
    [['gov', 'propose', 'revoke', '--cert', cert, '--expires', '3 weeks', ...as], /--expires must be a duration/],
    [['gov', 'propose', 'register-org', '--cert', cert, '--name', 'o', '--roles', 'admin', '--trust-code', 'x', ...as], /--roles takes developer, member, regulator/],
    [['gov', 'propose', 'add-node', '--cert', cert, '--region', 'x', '--bogus', ...as], /unknown option '--bogus'/],
    [['gov', 'vote', 'not-an-id', 'yes', ...as], /64 hex digits/],
    [['gov', 'vote', id, 'maybe', ...as], /vote yes or no/],
    [['gov', 'vote', id], /missing required argument|say who signs|give --dir/],
    [['gov', 'show', 'frobs', '--node', NO_GATEWAY], /bsn gov show takes operators/],
    [['gov', 'show', 'proposal', 'xyz', '--node', NO_GATEWAY], /takes a proposal id/],
    [['gov', 'show', 'nodes'], /'.bsn' is not a network made by bsn up/],
    [['gov', 'show', 'nodes', '--dir', dir], /not a network made by bsn up/],
    [['gov', 'propose', 'revoke', '--cert', cert, '--node', NO_GATEWAY, '--as', 'nobody'], /no identity 'nobody'/],
  ];
  for (const [args, message] of cases) {
    const err = await failure(...args);
    assert.equal(err.code, 'CLI_USAGE', `${args.join(' ')}: ${err.message}`);
    assert.match(err.message, message, args.join(' '));
  }
  // A --cert that is not a certificate is the PKI's typed error.
  assert.match((await failure('gov', 'propose', 'revoke', '--cert', path.join(dir, 'pass.txt'), ...as)).code ?? '', /^PKI_/);
  // The real CLI prints one line and exits 2.
  const printed = await bsn(dir, 'gov', 'propose', 'frobnicate', '--node', NO_GATEWAY, '--as', 'node1');
  assert.equal(printed.code, 2);
  assert.ok(oneLineError(printed, 'CLI_USAGE'), printed.stderr);
});

test('a gateway nobody answers is a typed SDK_GOV_UNREACHABLE error, also with --json', async () => {
  const human = await bsn(dir, 'gov', 'show', 'nodes', '--node', NO_GATEWAY);
  assert.equal(human.code, 1);
  assert.ok(oneLineError(human, 'SDK_GOV_UNREACHABLE'), human.stderr);
  const json = await bsn(dir, 'gov', 'show', 'operators', '--node', NO_GATEWAY, '--json');
  assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'SDK_GOV_UNREACHABLE');
});

test('--expires takes s, m, h and d, 24 h by default, and nothing else', () => {
  assert.equal(parseExpiry(undefined), 86_400_000);
  assert.equal(parseExpiry('90s'), 90_000);
  assert.equal(parseExpiry('30m'), 1_800_000);
  assert.equal(parseExpiry('7d'), 7 * 86_400_000);
  for (const bad of ['0h', '-1h', '1w', '24', 'h', '400d', '1.5h']) assert.throws(() => parseExpiry(bad), { code: 'CLI_USAGE' }, bad);
});

test('action flags become the action arguments; what is missing is named', () => {
  const certPem = readFileSync(path.join(dir, 'node1', 'cert.pem'), 'utf8');
  const cert = path.join(dir, 'node1', 'cert.pem');
  assert.deepEqual(actionArgs('add-node', { cert, region: 'Shanghai', power: '2', p2p: '127.0.0.1:27040' }), { cert: certPem.trim() + '\n', region: 'Shanghai', p2p: '127.0.0.1:27040', power: 2 });
  assert.deepEqual(actionArgs('revoke', { cert, reason: 'keyCompromise' }).reason, 'keyCompromise');
  assert.deepEqual(actionArgs('register-org', { cert, name: 'acme', roles: 'developer,member', trustCode: '91350100M000100Y43' }).roles, ['developer', 'member']);
  // Without --name, an org is named by its certificate's CN (issue 13's acceptance registers acme so).
  assert.equal(actionArgs('register-org', { cert, roles: 'developer', trustCode: '91350100M000100Y43' }).name, 'node1');
  assert.throws(() => actionArgs('add-node', { cert }), /add-node needs --region R/);
  assert.throws(() => actionArgs('revoke', { cert, reason: 'bored' }), /--reason must be one of/);
  assert.throws(() => actionArgs('add-node', { cert, region: 'x', power: '0' }), /--power must be a positive integer/);
  assert.throws(() => actionArgs('suspend-node', {}), /suspend-node needs --name N/);
  const plan = { name: 'basic', requestsPerSecond: 10, txPerDay: 1000, storageMiB: 64, pricePerNodeMonth: 9900, currency: 'CNY' };
  writeFileSync(path.join(dir, 'plan.json'), JSON.stringify(plan));
  assert.deepEqual(actionArgs('set-plan', { planFile: path.join(dir, 'plan.json') }), { plan });
  writeFileSync(path.join(dir, 'plan.json'), JSON.stringify({ plan }));
  assert.deepEqual(actionArgs('set-plan', { planFile: path.join(dir, 'plan.json') }), { plan });
  writeFileSync(path.join(dir, 'rule.json'), '[1]');
  assert.throws(() => actionArgs('set-rule', { ruleFile: path.join(dir, 'rule.json') }), /must hold a JSON object/);
});

test('--as finds DIR/identities/NAME, a leaf directory, or an operator CA directory', async () => {
  const node1 = parseCertificatePem(readFileSync(path.join(dir, 'node1', 'cert.pem'), 'utf8'));
  const op1 = loadCa(path.join(dir, 'op1')).cert;
  const net = path.join(dir, 'net');
  const viaIdentity = await resolveSigner({ dir: net, as: 'authority' });
  assert.equal(viaIdentity.label, 'authority');
  assert.equal(viaIdentity.cert.fingerprint, node1.fingerprint);
  const viaLeafDir = await resolveSigner({ as: path.join(dir, 'node1') });
  assert.equal(viaLeafDir.cert.fingerprint, node1.fingerprint);
  const viaCa = await resolveSigner({ as: path.join(dir, 'op1'), passphraseFile: path.join(dir, 'pass.txt') });
  assert.equal(viaCa.cert.fingerprint, op1.fingerprint);
  assert.deepEqual(viaCa.privateKey.publicKey.bytes, op1.publicKey.bytes);
  // A CA directory is unlocked with the network's passphrase when no file is given.
  const viaNetPass = await resolveSigner({ dir: net, as: path.join(dir, 'op1') });
  assert.equal(viaNetPass.cert.fingerprint, op1.fingerprint);
  await assert.rejects(resolveSigner({ as: path.join(dir, 'op1') }), { code: 'CLI_USAGE', message: /give --passphrase-file/ });
  await assert.rejects(resolveSigner({ as: path.join(dir, 'op1'), passphraseFile: path.join(dir, 'wrong.txt') }), { code: 'PKI_WRONG_PASSPHRASE' });
  await assert.rejects(resolveSigner({ dir: net, as: 'op9' }), { code: 'CLI_USAGE', message: /no identity 'op9'.*identities/ });
  await assert.rejects(resolveSigner({ dir: net }), { code: 'CLI_USAGE', message: /say who signs/ });
  // By files: a key that is not the certificate's is refused.
  await assert.rejects(resolveSigner({ signerCert: path.join(dir, 'node1', 'cert.pem'), keyFile: path.join(dir, 'op1', 'ca.key'), passphraseFile: path.join(dir, 'pass.txt') }), { code: 'CLI_USAGE', message: /does not belong/ });
});

test('proposals and votes are signed over the documented encoding with the certificate key', async () => {
  const signer = await resolveSigner({ as: path.join(dir, 'node1') });
  const tx = proposeTx(signer, 3, 'suspend-node', { name: 'node2' }, 1_900_000_000_000);
  const [version, chainId, nonce, kind, payload, certDer, signature] = expectArray(decode(tx), '$', 7);
  assert.deepEqual([version, chainId, nonce, kind], [1, 'gov', 3, 'propose']);
  assert.deepEqual(payload, ['suspend-node', '{"name":"node2"}', 1_900_000_000_000]);
  assert.deepEqual(expectBytes(certDer), signer.cert.der);
  const signed = encode(['bsn/gov-tx/v1', 'gov', 3, 'propose', payload!, certDer!]);
  assert.ok(getSuite(signer.cert.suite).verify(signer.cert.publicKey, signed, expectBytes(signature)));
  const id = proposalIdOf(tx);
  assert.equal(id, Buffer.from(getSuite('ecdsa-p256').hash(tx)).toString('hex'));
  const vote = expectArray(decode(voteTx(signer, 4, id, false)), '$', 7);
  assert.equal(expectString(vote[3]), 'vote');
  assert.deepEqual(expectArray(vote[4]), [new Uint8Array(Buffer.from(id, 'hex')), false]);
});

function revocationOf(certFile: string, issuerFingerprint: string, reason: RevocationRecord['reason'], time: number): RevocationRecord {
  const cert = parseCertificatePem(readFileSync(certFile, 'utf8'));
  return { issuer: cert.issuerText, issuerFingerprint, serial: cert.serial, fingerprint: cert.fingerprint, subject: cert.subjectText, reason, time, height: 7, proposal: 'aa'.repeat(32) };
}

test("the chain's revocations become one standard CRL per issuer, signed by its CA, that openssl reads", async () => {
  const root = loadCa(path.join(dir, 'root'));
  const op1 = loadCa(path.join(dir, 'op1'));
  const revocations = [revocationOf(path.join(dir, 'node1', 'cert.pem'), op1.cert.fingerprint, 'keyCompromise', Date.parse('2026-12-01T10:00:00Z')), revocationOf(path.join(dir, 'op1', 'ca.pem'), root.cert.fingerprint, 'cessationOfOperation', Date.parse('2026-12-02T10:00:00Z'))];
  const { pem, crls } = await signChainCrls({ revocations, height: 12, cas: [root, op1], secret: () => ({ passphrase: PASSPHRASE }), now: new Date('2026-12-03T00:00:00Z') });
  assert.equal(crls.length, 2);
  const blocks = pem.match(/-----BEGIN X509 CRL-----[\s\S]+?-----END X509 CRL-----\n/g)!;
  assert.equal(blocks.length, 2);
  for (const [i, [block, issuerDir, revoked]] of ([[blocks[0]!, 'op1', revocations[0]!], [blocks[1]!, 'root', revocations[1]!]] as const).entries()) {
    const file = path.join(dir, `chain-crl-${i}.pem`);
    writeFileSync(file, block);
    assert.equal(parseCrlPem(block).crlNumber, 12);
    const text = await openssl(dir, 'crl', '-in', file, '-noout', '-text');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`Serial Number: ${revoked.serial.toUpperCase()}`, 'i'));
    assert.match(text.stdout, revoked.reason === 'keyCompromise' ? /Key Compromise/ : /Cessation Of Operation/);
    const verified = await openssl(dir, 'crl', '-in', file, '-noout', '-CAfile', path.join(dir, issuerDir, 'ca.pem'));
    assert.match(verified.stdout + verified.stderr, /verify OK/);
  }
  // The whole concatenated file: openssl reads its first CRL.
  writeFileSync(path.join(dir, 'chain-crl.pem'), pem);
  const whole = await openssl(dir, 'crl', '-in', 'chain-crl.pem', '-noout', '-text');
  assert.match(whole.stdout, new RegExp(revocations[0]!.serial, 'i'));
});

test('an issuer whose CA is not at hand is an error naming it, and no key is unlocked', async () => {
  const op1 = loadCa(path.join(dir, 'op1'));
  const revocations = [revocationOf(path.join(dir, 'node1', 'cert.pem'), op1.cert.fingerprint, 'superseded', Date.now())];
  let asked = false;
  await assert.rejects(
    signChainCrls({ revocations, height: 3, cas: [loadCa(path.join(dir, 'root'))], secret: () => ((asked = true), { passphrase: PASSPHRASE }), now: new Date() }),
    (err: unknown) => err instanceof ChainCrlIssuerError && err.code === 'CLI_CRL_NO_CA_KEY' && err.message.includes(op1.cert.subjectText),
  );
  assert.equal(asked, false);
  const empty = await signChainCrls({ revocations: [], height: 3, cas: [], secret: () => ((asked = true), { passphrase: PASSPHRASE }), now: new Date() });
  assert.deepEqual(empty, { pem: '', crls: [] });
  assert.equal(asked, false);
});

test('bsn ca crl still needs one --ca and a passphrase file without --from-chain', async () => {
  const [noCa, noPass, ok] = await Promise.all([
    bsn(dir, 'ca', 'crl', '--out', 'x.pem', '--passphrase-file', 'pass.txt'),
    bsn(dir, 'ca', 'crl', '--ca', 'op1', '--out', 'x.pem'),
    bsn(dir, 'ca', 'crl', '--ca', 'root', '--out', 'root-crl.pem', '--passphrase-file', 'pass.txt'),
  ]);
  assert.ok(oneLineError(noCa, 'CLI_USAGE'), noCa.stderr);
  assert.ok(oneLineError(noPass, 'CLI_USAGE'), noPass.stderr);
  assert.equal(ok.code, 0, ok.stderr);
  const fromChain = await bsn(dir, 'ca', 'crl', '--from-chain', '--node', NO_GATEWAY, '--out', 'chain.pem');
  assert.ok(oneLineError(fromChain, 'SDK_GOV_UNREACHABLE'), fromChain.stderr);
});

// One real node for the next four tests (each CLI call spawns the CLI: split so that each test stays well under 60 s).
let real: { gov: GovNode; work: string; acme: { certPem: string }; id: string } | undefined;
// Made here, at the top level, so that it lives until the file is done (a hook registered inside a test goes with that test).
const realWork = workspace({ after });
after(async () => {
  await real?.gov.stop();
});
async function realNode(): Promise<NonNullable<typeof real>> {
  if (real) return real;
  const gov = await startGovNode();
  const work = realWork;
  // A `bsn up`-like directory: a dead gateway first (the next one must be used), identities.
  const net = path.join(work, 'net');
  const port = Number(gov.gateway.address.split(':').pop());
  mkdirSync(path.join(net, 'identities'), { recursive: true });
  const node = (name: string, gatewayPort: number) => ({ name, operator: 'op1', p2pPort: 1, httpPort: 1, gatewayPort, config: 'x', log: 'x' });
  writeFileSync(path.join(net, 'devnet.json'), JSON.stringify({ version: 1, dir: net, chainId: 'kv', rootFingerprint: '', nodes: [node('dead', 9), node('node1', port)] }));
  cpSync(gov.admin.dir, path.join(net, 'identities', 'op1'), { recursive: true });
  cpSync(gov.authority.dir, path.join(net, 'identities', 'authority'), { recursive: true });
  const acme = await gov.pki.issue('acme', 'org');
  writeFileSync(path.join(work, 'acme.pem'), acme.certPem);
  real = { gov, work, acme, id: '' };
  return real;
}

test('bsn gov against a real node: the --dir layout skips a dead gateway; show nodes and operators', { timeout: 60_000 }, async () => {
  const { work } = await realNode();
  const nodes = await bsn(work, 'gov', 'show', 'nodes', '--dir', 'net', '--json');
  assert.equal(nodes.code, 0, nodes.stderr);
  const shown = JSON.parse(nodes.stdout) as { name: string; operator: string; status: string; validator: boolean }[];
  assert.deepEqual(shown.map((n) => [n.name, n.operator, n.status, n.validator]), [['node1', 'op1', 'active', true]]);
  const human = await bsn(work, 'gov', 'show', 'operators', '--dir', 'net');
  assert.match(human.stdout, /^op1 {2}active/m);
});

test('bsn gov against a real node: propose --as op1 executes; show proposal by id, with or without 0x', { timeout: 60_000 }, async () => {
  const r = await realNode();
  const { work, gov } = r;
  const proposed = await bsn(work, 'gov', 'propose', 'register-org', '--dir', 'net', '--as', 'op1', '--cert', 'acme.pem', '--name', 'acme', '--roles', 'developer,member', '--trust-code', '91350100M000100Y43', '--json');
  assert.equal(proposed.code, 0, proposed.stderr);
  const { id, status } = JSON.parse(proposed.stdout) as { id: string; status: string };
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.equal(status, 'executed');
  r.id = id;
  const one = await bsn(work, 'gov', 'show', 'proposal', id, '--node', gov.url);
  assert.match(one.stdout, new RegExp(`proposal ${id} \\(register-org by op1.*\\) executed at height \\d+`));
  const oneJson = await bsn(work, 'gov', 'show', 'proposal', `0x${id}`, '--node', gov.url, '--json');
  assert.deepEqual(((p: { id: string; status: string }) => [p.id, p.status])(JSON.parse(oneJson.stdout) as { id: string; status: string }), [id, 'executed']);
});

test("bsn gov against a real node: the chain's refusals are one line with their GOV code", { timeout: 60_000 }, async () => {
  const { work, id } = await realNode();
  assert.ok(id, 'the proposal step ran');
  // A wrong check character is the state machine's typed refusal, named in one line.
  const bad = await bsn(work, 'gov', 'propose', 'register-org', '--dir', 'net', '--as', 'op1', '--cert', 'acme.pem', '--name', 'acme2', '--roles', 'developer', '--trust-code', '91350100M000100Y44');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /GOV_[A-Z_]+/);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  // The authority is no voter on an org's registration: refused with the gov reason.
  const vote = await bsn(work, 'gov', 'vote', id, 'yes', '--dir', 'net', '--as', 'authority');
  assert.equal(vote.code, 1);
  assert.match(vote.stderr, /GOV_(NOT_VOTER|PROPOSAL_CLOSED)/);
});

test('bsn gov against a real node: revoke with --node and --signer-cert; crl --from-chain, read by openssl', { timeout: 60_000 }, async () => {
  const { work, gov, acme } = await realNode();
  // Revoke acme, then its CRL from the chain, signed by op1, read by openssl.
  const revoked = await bsn(work, 'gov', 'propose', 'revoke', '--node', gov.url, '--signer-cert', path.join(gov.admin.dir, 'cert.pem'), '--key-file', path.join(gov.admin.dir, 'key.pem'), '--cert', 'acme.pem', '--reason', 'keyCompromise', '--json');
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.equal((JSON.parse(revoked.stdout) as { status: string }).status, 'executed');
  const noCa = await bsn(work, 'ca', 'crl', '--from-chain', '--node', gov.url, '--ca', path.join(gov.pki.dir, 'root'), '--passphrase-file', 'pass.txt', '--out', 'chain-crl.pem');
  assert.ok(oneLineError(noCa, 'CLI_CRL_NO_CA_KEY'), noCa.stderr);
  const crl = await bsn(work, 'ca', 'crl', '--from-chain', '--node', gov.url, '--ca', gov.operatorDir, '--ca', path.join(gov.pki.dir, 'root'), '--passphrase-file', 'pass.txt', '--out', 'chain-crl.pem');
  assert.equal(crl.code, 0, crl.stderr);
  const text = await openssl(work, 'crl', '-in', 'chain-crl.pem', '-noout', '-text');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(parseCertificatePem(acme.certPem).serial, 'i'));
});

test('--expires accepts exactly a positive count of s, m, h or d up to 366 days (fast-check)', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 8 }), fc.tuple(fc.integer({ min: 0, max: 10_000_000 }), fc.constantFrom('s', 'm', 'h', 'd', 'w', '')).map(([n, u]) => `${n}${u}`)), (text) => {
      const m = /^(\d+)(s|m|h|d)$/.exec(text.trim());
      const ms = m ? Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's'] : NaN;
      if (ms > 0 && ms <= 366 * 86_400_000) assert.equal(parseExpiry(text), ms);
      else assert.throws(() => parseExpiry(text), { code: 'CLI_USAGE' });
    }),
    { numRuns: 500 },
  );
});

test('a proposal status names the decision, or the yes weight of each clause while open', () => {
  const base: ProposalRecord = {
    id: 'ab'.repeat(32),
    action: 'admit-operator',
    args: {},
    proposer: 'authority',
    proposerFingerprint: 'AB',
    height: 3,
    createdAt: 0,
    expiresAt: Date.parse('2026-12-04T00:00:00Z'),
    clauses: [
      { voters: [{ name: 'authority', weight: 1 }], threshold: 'ALL' },
      { voters: [{ name: 'op1', weight: 1 }, { name: 'op2', weight: 2 }], threshold: 'MAJORITY' },
    ],
    votes: [
      { voter: 'authority', fingerprint: 'AB', yes: true, height: 3, tx: 'aa' },
      { voter: 'op2', fingerprint: 'CD', yes: false, height: 4, tx: 'bb' },
    ],
    status: 'open',
  };
  assert.equal(proposalStatus(base), 'open: yes 1 of 1 (ALL: authority); yes 0 of 3 (MAJORITY: op1, op2), expires 2026-12-04T00:00:00.000Z');
  assert.equal(proposalStatus({ ...base, status: 'executed', decidedHeight: 12 }), 'executed at height 12');
  assert.equal(proposalStatus({ ...base, status: 'failed', decidedHeight: 9, error: 'GOV_VALIDATOR_BOUND: …' }), 'failed at height 9: GOV_VALIDATOR_BOUND: …');
  assert.equal(proposalLine({ ...base, status: 'rejected' }), `proposal ${'ab'.repeat(32)} (admit-operator by authority) rejected`);
});
