import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createProgress } from '../bench/progress.js';
import { renderHtmlReport } from '../bench/report-html.js';
import { readBenchResult } from '../bench/result-file.js';
import type { BenchResult } from '../bench/result.js';
import { runBench, type RunOptions } from '../bench/run.js';
import { loadBenchFile, overrideTarget } from '../bench/spec.js';
import { resultTable, summaryLine } from '../bench/summary.js';
import { usageErrorsAsTyped } from './ca/common.js';
import { CliUsageError } from './output.js';

/** `bsn bench run|report`: the load-testing tool (docs/bench.md). */

interface RunFlags {
  target?: string;
  json?: boolean;
  out?: string;
  html?: string;
  pids: string;
  quiet?: boolean;
}

export function parsePids(value: string): RunOptions['pids'] {
  if (value === 'auto' || value === 'none') return value;
  const pids = value.split(',').map((p) => p.trim());
  if (pids.length === 0 || pids.some((p) => !/^[1-9][0-9]*$/.test(p))) throw new CliUsageError(`--pids takes auto, none or a comma-separated list of pids, not '${value}'`);
  return pids.map(Number);
}

function writeOutputs(result: BenchResult, out: string | undefined, html: string | undefined): void {
  try {
    if (out) writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    if (html) writeFileSync(html, renderHtmlReport(result));
  } catch (cause) {
    throw new CliUsageError(`cannot write ${out ?? html}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, { cause });
  }
}

export function registerBenchCommands(program: Command): void {
  const bench = usageErrorsAsTyped(program.command('bench').description('load-test a BSN app chain or any Ethereum JSON-RPC endpoint'));

  usageErrorsAsTyped(bench.command('run').description('run a bench file (YAML or JSON) and report its figures'))
    .argument('<benchfile>', 'the bench file (bench/workloads/*.yaml are examples)')
    .option('--target <url>', "the target's URL, instead of the file's (a path ending in /rpc means JSON-RPC)")
    .option('--json', 'print the result JSON on stdout (the summary goes to stderr)')
    .option('--out <file>', 'write the result JSON to this file')
    .option('--html <file>', 'write a self-contained HTML report to this file')
    .option('--pids <list>', 'processes to sample for CPU and memory: auto (listening on the target port), none, or PID,PID,...', 'auto')
    .option('--quiet', 'no live progress on stderr')
    .action(async (file: string, flags: RunFlags) => {
      const pids = parsePids(flags.pids);
      let spec = loadBenchFile(file);
      if (flags.target !== undefined) spec = overrideTarget(spec, flags.target);
      const progress = flags.quiet ? undefined : createProgress(process.stderr);
      const log = (line: string) => process.stderr.write(`bsn bench: ${line}\n`);
      let result: BenchResult;
      try {
        result = await runBench(spec, { benchFile: file, pids, log, ...(progress && { progress }) });
      } finally {
        progress?.end();
      }
      writeOutputs(result, flags.out, flags.html);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        process.stderr.write(`${summaryLine(result)}\n`);
      } else process.stdout.write(`${resultTable(result)}\n${summaryLine(result)}\n`);
    });

  usageErrorsAsTyped(bench.command('report').description('print (and render as HTML) a result file of bsn bench run'))
    .argument('<result>', 'a result JSON written by bsn bench run --out or --json')
    .option('--html <file>', 'write a self-contained HTML report to this file')
    .option('--json', 'print the checked result JSON on stdout')
    .action((file: string, flags: { html?: string; json?: boolean }) => {
      const result = readBenchResult(file);
      writeOutputs(result, undefined, flags.html);
      if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else process.stdout.write(`${resultTable(result)}\n${summaryLine(result)}\n`);
    });
}
