import type { Command } from 'commander';
import { generateCrl, parseCertificatePem, parseReason, REVOCATION_REASONS, revokeCertificate } from '../../pki/index.js';
import { runChainCrl } from '../gov/crl.js';
import { CliUsageError, makeOutput } from '../output.js';
import { collect, optionalInt, readInputFile, readSecret, withSecretOptions, type SecretOptions } from './common.js';

interface RevokeFlags extends SecretOptions {
  ca: string;
  cert: string;
  reason?: string;
  json?: boolean;
}

interface CrlFlags {
  ca?: string[];
  out: string;
  passphraseFile?: string;
  share?: string[];
  days?: string;
  fromChain?: boolean;
  dir?: string;
  node?: string;
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

  ca.command('crl')
    .description("sign a new X.509 v2 CRL of everything this CA has revoked (or, with --from-chain, of the governance chain's revocations)")
    .option('--ca <dir>', 'CA directory; with --from-chain one per issuer (repeatable; default: every CA under DIR/pki)', collect)
    .requiredOption('--out <file>', 'where to write the CRL (PEM); replaced if it exists')
    .option('--passphrase-file <file>', 'file whose first line is the CA key passphrase (with --from-chain and --dir: DIR/pki/passphrase.txt by default)')
    .option('--share <file>', 'key share file, for a key under k-of-n custody (repeat k times)', collect)
    .option('--days <days>', 'days until nextUpdate (default 7)')
    .option('--from-chain', "the revocations recorded on the governance chain: one CRL per issuer, concatenated (docs/governance.md)")
    .option('--dir <dir>', 'with --from-chain: a network made by bsn up (its gateways, CAs and passphrase); .bsn unless --node is given')
    .option('--node <url>', 'with --from-chain: a gateway of any network')
    .option('--json', 'print the result as JSON')
    .action(async (flags: CrlFlags) => {
      const days = optionalInt(flags.days, '--days');
      if (flags.fromChain) {
        const { days: _days, ...rest } = flags;
        return runChainCrl({ ...rest, ...(rest.dir === undefined && rest.node === undefined && { dir: '.bsn' }), ...(days !== undefined && { days }) });
      }
      if (flags.ca?.length !== 1) throw new CliUsageError("give one --ca <dir> (several only with --from-chain)");
      if (flags.passphraseFile === undefined) throw new CliUsageError("required option '--passphrase-file <file>' not specified");
      const crl = await generateCrl({ caDir: flags.ca[0]!, out: flags.out, secret: readSecret({ ...flags, passphraseFile: flags.passphraseFile }), ...(days !== undefined && { days }) });
      makeOutput(flags.json ?? false).result(
        { ok: true, issuer: crl.issuerText, crlNumber: crl.crlNumber, revoked: crl.revoked.map((r) => r.serial), thisUpdate: crl.thisUpdate.toISOString(), nextUpdate: crl.nextUpdate?.toISOString(), file: flags.out },
        [`CRL #${crl.crlNumber} of '${crl.issuerText}' with ${crl.revoked.length} revoked certificate(s), next update ${crl.nextUpdate?.toISOString()}, written to ${flags.out}`],
      );
    });
}
