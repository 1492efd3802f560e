#!/usr/bin/env node
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { reportFailure } from './output.js';

async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed help, the version or its own usage message.
      process.exitCode = err.exitCode;
      return;
    }
    reportFailure(err, json);
  }
}

await main(process.argv);
