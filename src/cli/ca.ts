import type { Command } from 'commander';
import { usageErrorsAsTyped } from './ca/common.js';
import { registerInitCommands } from './ca/init.js';
import { registerIssueCommands } from './ca/issue.js';
import { registerRevocationCommands } from './ca/revoke.js';
import { registerVerifyCommand } from './ca/verify.js';

/** `bsn ca …`: the root ceremony, operator CAs, leaf certificates, revocation and validation. */
export function registerCaCommands(program: Command): void {
  const ca = usageErrorsAsTyped(program.command('ca').description('root of trust: CAs, certificates, CRLs and chain validation'));
  registerInitCommands(ca);
  registerIssueCommands(ca);
  registerRevocationCommands(ca);
  registerVerifyCommand(ca);
}
