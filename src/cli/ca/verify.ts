import type { Command } from 'commander';
import { parseCertificatePem, parseCertificatesPem, parseCrlPem, PkiError, validateChain, ValidationError, type Purpose } from '../../pki/index.js';
import { CliUsageError, makeOutput } from '../output.js';
import { collect, parseTime, readInputFile } from './common.js';

interface VerifyFlags {
  root: string[];
  chain?: string[];
  crl?: string[];
  at?: string;
  purpose: string;
  requireCrl?: boolean;
  json?: boolean;
}

const PURPOSES: readonly Purpose[] = ['server', 'client', 'any'];

function verify(leafFile: string, flags: VerifyFlags): Record<string, unknown> {
  const at = parseTime(flags.at, '--at');
  if (!(PURPOSES as readonly string[]).includes(flags.purpose)) throw new CliUsageError(`--purpose must be one of ${PURPOSES.join(', ')}`);
  // Read every file first, so that a missing one is a usage error rather than a verdict.
  const texts = {
    roots: flags.root.map((f) => readInputFile(f, 'root certificate')),
    chain: (flags.chain ?? []).map((f) => readInputFile(f, 'chain certificate')),
    crls: (flags.crl ?? []).map((f) => readInputFile(f, 'CRL')),
    leaf: readInputFile(leafFile, 'certificate'),
  };
  const result = validateChain({
    roots: texts.roots.flatMap(parseCertificatesPem),
    intermediates: texts.chain.flatMap(parseCertificatesPem),
    leaf: parseCertificatePem(texts.leaf),
    crls: texts.crls.map(parseCrlPem),
    purpose: flags.purpose as Purpose,
    requireCrls: flags.requireCrl ?? false,
    ...(at && { at }),
  });
  return { ok: true, valid: true, path: result.path.map((c) => ({ subject: c.subjectText, serial: c.serial, fingerprint: c.fingerprint })), identity: result.identity };
}

export function registerVerifyCommand(ca: Command): void {
  ca.command('verify')
    .description('validate a certificate chain up to the root: prints "valid" or "invalid: <reason>"')
    .argument('<cert>', 'the certificate to validate (the leaf)')
    .requiredOption('--root <file>', 'trusted root certificate (repeatable)', collect)
    .option('--chain <file>', 'intermediate certificate(s), in any order (repeatable)', collect)
    .option('--crl <file>', 'CRL to check revocation against (repeatable)', collect)
    .option('--at <time>', 'validate at this ISO 8601 time instead of now')
    .option('--purpose <purpose>', 'server, client or any', 'any')
    .option('--require-crl', "fail unless every certificate's issuer has a CRL given")
    .option('--json', 'print the result as JSON')
    .action((leafFile: string, flags: VerifyFlags) => {
      const out = makeOutput(flags.json ?? false);
      try {
        out.result(verify(leafFile, flags), ['valid']);
      } catch (err) {
        // A verdict, not a failure of the command: anything wrong with the inputs' content is "invalid".
        if (!(err instanceof PkiError)) throw err;
        const certificate = err instanceof ValidationError ? err.certificate : undefined;
        out.result({ ok: false, valid: false, error: { code: err.code, message: err.message, ...(certificate && { certificate }) } }, [`invalid: ${err.message} [${err.code}]`]);
        process.exitCode = 1;
      }
    });
}
