import type { Command } from 'commander';
import { initOperator, initRoot } from '../../pki/index.js';
import { CliUsageError, makeOutput } from '../output.js';
import { optionalInt, parsePositiveInt, readPassphraseFile } from './common.js';

interface InitRootFlags {
  dir: string;
  name: string;
  suite: string;
  passphraseFile: string;
  shares?: string;
  threshold?: string;
  shareDir?: string;
  days?: string;
  force?: boolean;
  json?: boolean;
}

function shareOptions(flags: InitRootFlags): { total: number; threshold: number; dir: string } | undefined {
  const given = [flags.shares, flags.threshold, flags.shareDir].filter((v) => v !== undefined).length;
  if (given === 0) return undefined;
  if (given !== 3) throw new CliUsageError('--shares, --threshold and --share-dir go together');
  return { total: parsePositiveInt(flags.shares ?? '', '--shares'), threshold: parsePositiveInt(flags.threshold ?? '', '--threshold'), dir: flags.shareDir ?? '' };
}

export function registerInitCommands(ca: Command): void {
  ca.command('init-root')
    .description('root ceremony: make the network root CA (self-signed) with an encrypted key')
    .requiredOption('--dir <dir>', 'CA directory to create (ca.pem, ca.key)')
    .requiredOption('--name <name>', 'common name of the root CA')
    .option('--suite <suite>', 'ecdsa-p256, sm2 or ed25519', 'ecdsa-p256')
    .requiredOption('--passphrase-file <file>', 'file whose first line is the key passphrase')
    .option('--shares <n>', 'split the key-encryption key into n custodian shares')
    .option('--threshold <k>', 'shares needed to use the key')
    .option('--share-dir <dir>', 'directory for the share files (hand them to the custodians)')
    .option('--days <days>', 'validity in days (default 7300)')
    .option('--force', 'replace what the directories already hold')
    .option('--json', 'print the result as JSON')
    .action(async (flags: InitRootFlags) => {
      const shares = shareOptions(flags);
      const days = optionalInt(flags.days, '--days');
      const result = await initRoot({
        dir: flags.dir,
        name: flags.name,
        suite: flags.suite,
        passphrase: readPassphraseFile(flags.passphraseFile),
        force: flags.force ?? false,
        ...(days !== undefined && { days }),
        ...(shares && { shares }),
      });
      const cert = result.certificate;
      makeOutput(flags.json ?? false).result(
        { ok: true, subject: cert.subjectText, suite: cert.suite, fingerprint: result.fingerprint, notAfter: cert.notAfter.toISOString(), files: result.files, shareFiles: result.shareFiles },
        [
          `root CA '${cert.subjectText}' (${cert.suite}) created in ${flags.dir}, valid until ${cert.notAfter.toISOString()}`,
          ...(shares ? [`key under ${shares.threshold}-of-${shares.total} custody; share files: ${result.shareFiles.join(' ')}`] : []),
          `sha256 Fingerprint=${result.fingerprint}`,
        ],
      );
    });

  ca.command('init-operator')
    .description('make an operator CA key (encrypted) and its certificate request for the root to sign')
    .requiredOption('--dir <dir>', 'CA directory to create (ca.key, ca.csr)')
    .requiredOption('--name <name>', 'common name of the operator CA')
    .option('--suite <suite>', 'ecdsa-p256, sm2 or ed25519', 'ecdsa-p256')
    .requiredOption('--passphrase-file <file>', 'file whose first line is the key passphrase')
    .option('--force', 'replace what the directory already holds')
    .option('--json', 'print the result as JSON')
    .action((flags: { dir: string; name: string; suite: string; passphraseFile: string; force?: boolean; json?: boolean }) => {
      const result = initOperator({ dir: flags.dir, name: flags.name, suite: flags.suite, passphrase: readPassphraseFile(flags.passphraseFile), force: flags.force ?? false });
      makeOutput(flags.json ?? false).result({ ok: true, files: result.files }, [
        `operator key and request written to ${flags.dir}; have the root sign ${result.files[1]}`,
      ]);
    });
}
