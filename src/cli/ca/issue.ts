import type { Command } from 'commander';
import { issueLeaf, LEAF_KINDS, signOperatorCsr, type LeafKind } from '../../pki/index.js';
import { CliUsageError, makeOutput } from '../output.js';
import { collect, optionalInt, readInputFile, readPassphraseFile, readSecret, withSecretOptions, type SecretOptions } from './common.js';

interface SignFlags extends SecretOptions {
  ca: string;
  csr: string;
  out: string;
  days?: string;
  force?: boolean;
  json?: boolean;
}

interface IssueFlags extends SecretOptions {
  ca: string;
  kind: string;
  name: string;
  san?: string[];
  org?: string;
  app?: string;
  out: string;
  suite?: string;
  days?: string;
  keyPassphraseFile?: string;
  force?: boolean;
  json?: boolean;
}

function parseKind(kind: string): LeafKind {
  if (!(LEAF_KINDS as readonly string[]).includes(kind)) throw new CliUsageError(`--kind must be one of ${LEAF_KINDS.join(', ')}, got '${kind}'`);
  return kind as LeafKind;
}

export function registerIssueCommands(ca: Command): void {
  withSecretOptions(
    ca
      .command('sign')
      .description("sign an operator CA's certificate request with the root (CA:TRUE, pathLen 0)")
      .requiredOption('--ca <dir>', 'directory of the signing CA (the root)')
      .requiredOption('--csr <file>', "the operator's ca.csr")
      .requiredOption('--out <file>', "where to write the operator's certificate (its ca.pem)"),
  )
    .option('--days <days>', 'validity in days (default 3650, at most the root\'s)')
    .option('--force', 'replace --out if it exists')
    .option('--json', 'print the result as JSON')
    .action(async (flags: SignFlags) => {
      const csrPem = readInputFile(flags.csr, 'certificate request');
      const days = optionalInt(flags.days, '--days');
      const cert = await signOperatorCsr({ caDir: flags.ca, csrPem, out: flags.out, secret: readSecret(flags), force: flags.force ?? false, ...(days !== undefined && { days }) });
      makeOutput(flags.json ?? false).result(
        { ok: true, subject: cert.subjectText, issuer: cert.issuerText, serial: cert.serial, notAfter: cert.notAfter.toISOString(), fingerprint: cert.fingerprint, file: flags.out },
        [`operator CA '${cert.subjectText}' signed by '${cert.issuerText}' (serial ${cert.serial}), written to ${flags.out}`],
      );
    });

  withSecretOptions(
    ca
      .command('issue')
      .description('issue a node, org or user certificate with a new key pair (cert.pem, key.pem)')
      .requiredOption('--ca <dir>', 'directory of the issuing operator CA')
      .requiredOption('--kind <kind>', 'node, org or user')
      .requiredOption('--name <name>', 'common name')
      .option('--san <name>', 'subject alternative name: IP address or DNS name (repeatable)', collect)
      .option('--org <id>', 'organisation identifier (subject O and BSN extension)')
      .option('--app <id>', 'application identifier (subject OU=app:<id> and BSN extension)')
      .requiredOption('--out <dir>', 'leaf directory to create'),
  )
    .option('--suite <suite>', "the leaf key's suite (default: the CA's)")
    .option('--days <days>', "validity in days (default 365, at most the CA's)")
    .option('--key-passphrase-file <file>', 'encrypt key.pem with this passphrase (default: plain PKCS#8, mode 0600)')
    .option('--force', 'replace what --out already holds')
    .option('--json', 'print the result as JSON')
    .action(async (flags: IssueFlags) => {
      const kind = parseKind(flags.kind);
      const days = optionalInt(flags.days, '--days');
      const keyPassphrase = flags.keyPassphraseFile === undefined ? undefined : readPassphraseFile(flags.keyPassphraseFile, 'key passphrase file');
      const { certificate: cert, files } = await issueLeaf({
        caDir: flags.ca,
        kind,
        name: flags.name,
        sans: flags.san ?? [],
        out: flags.out,
        secret: readSecret(flags),
        force: flags.force ?? false,
        ...(flags.org !== undefined && { org: flags.org }),
        ...(flags.app !== undefined && { app: flags.app }),
        ...(flags.suite !== undefined && { suite: flags.suite }),
        ...(days !== undefined && { days }),
        ...(keyPassphrase !== undefined && { keyPassphrase }),
      });
      makeOutput(flags.json ?? false).result(
        { ok: true, kind, subject: cert.subjectText, issuer: cert.issuerText, serial: cert.serial, suite: cert.suite, notAfter: cert.notAfter.toISOString(), fingerprint: cert.fingerprint, files },
        [`${kind} certificate '${cert.subjectText}' issued by '${cert.issuerText}' (serial ${cert.serial}), written to ${flags.out}`],
      );
    });
}
