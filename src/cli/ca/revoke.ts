import type { Command } from 'commander';
import { generateCrl, parseCertificatePem, parseReason, REVOCATION_REASONS, revokeCertificate } from '../../pki/index.js';
import { makeOutput } from '../output.js';
import { optionalInt, readInputFile, readSecret, withSecretOptions, type SecretOptions } from './common.js';

interface RevokeFlags extends SecretOptions {
  ca: string;
  cert: string;
  reason?: string;
  json?: boolean;
}

interface CrlFlags extends SecretOptions {
  ca: string;
  out: string;
  days?: string;
  json?: boolean;
}

export function registerRevocationCommands(ca: Command): void {
  withSecretOptions(
    ca
      .command('revoke')
      .description("record a certificate issued by this CA as revoked (in the CA's revoked.json)")
      .requiredOption('--ca <dir>', 'directory of the CA that issued the certificate')
      .requiredOption('--cert <file>', 'the certificate to revoke')
      .option('--reason <reason>', `one of ${REVOCATION_REASONS.join(', ')}`),
  )
    .option('--json', 'print the result as JSON')
    .action(async (flags: RevokeFlags) => {
      const reason = parseReason(flags.reason);
      const cert = parseCertificatePem(readInputFile(flags.cert, 'certificate'));
      const result = await revokeCertificate({ caDir: flags.ca, cert, reason, secret: readSecret(flags) });
      makeOutput(flags.json ?? false).result({ ok: true, serial: result.serial, subject: cert.subjectText, reason, alreadyRevoked: result.alreadyRevoked }, [
        result.alreadyRevoked
          ? `'${cert.subjectText}' (serial ${result.serial}) was already revoked`
          : `revoked '${cert.subjectText}' (serial ${result.serial}, ${reason}); publish a new CRL with 'bsn ca crl'`,
      ]);
    });

  withSecretOptions(
    ca
      .command('crl')
      .description("sign a new X.509 v2 CRL of everything this CA has revoked")
      .requiredOption('--ca <dir>', 'CA directory')
      .requiredOption('--out <file>', 'where to write the CRL (PEM); replaced if it exists'),
  )
    .option('--days <days>', 'days until nextUpdate (default 7)')
    .option('--json', 'print the result as JSON')
    .action(async (flags: CrlFlags) => {
      const days = optionalInt(flags.days, '--days');
      const crl = await generateCrl({ caDir: flags.ca, out: flags.out, secret: readSecret(flags), ...(days !== undefined && { days }) });
      makeOutput(flags.json ?? false).result(
        { ok: true, issuer: crl.issuerText, crlNumber: crl.crlNumber, revoked: crl.revoked.map((r) => r.serial), thisUpdate: crl.thisUpdate.toISOString(), nextUpdate: crl.nextUpdate?.toISOString(), file: flags.out },
        [`CRL #${crl.crlNumber} of '${crl.issuerText}' with ${crl.revoked.length} revoked certificate(s), next update ${crl.nextUpdate?.toISOString()}, written to ${flags.out}`],
      );
    });
}
