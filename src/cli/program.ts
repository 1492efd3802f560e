import { Command } from 'commander';
import { registerAppCommands } from './app.js';
import { registerBenchCommands } from './bench.js';
import { registerCaCommands } from './ca.js';
import { registerGovCommands } from './gov.js';
import { registerNodeCommands } from './node.js';
import { registerKvCommands } from './kv.js';
import { registerNetworkCommands } from './up.js';

/**
 * The `bsn` command tree. Each command group lives in its own file and registers itself here;
 * commands throw typed errors and main() turns them into one-line messages and exit codes.
 */
export function buildProgram(): Command {
  const program = new Command('bsn')
    .description('Blockchain Service Network: root of trust, city nodes and app chains')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerCaCommands(program);
  registerNodeCommands(program);
  registerNetworkCommands(program);
  registerKvCommands(program);
  registerGovCommands(program);
  registerAppCommands(program);
  registerBenchCommands(program);
  return program;
}
