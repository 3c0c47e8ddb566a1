#!/usr/bin/env node
// ntk: the command-line interface. Usage errors exit 2 with a one-line message; anything
// unexpected exits 1 with its stack (it is a bug).
import { Command, CommanderError } from 'commander';
import '../node.js'; // registers the Node engine (threads from NTK_THREADS)
import { UsageError } from './errors.js';
import { OutOfMemoryError } from '../../bindings/heap.js';
import { attackCommand } from './attack.js';
import { kernelCommand } from './kernel.js';
import { trainCommand } from './train.js';
import { featuresCommand } from './features.js';
import { robustKernelCommand } from './robust_kernel.js';
import { transferCommand } from './transfer.js';
import { dynamicsCommand } from './dynamics.js';

const program = new Command();
program
  .name('ntk')
  .description('Neural Tangent Kernel view of adversarial robustness: kernels, kernel machines, training-free attacks and finite nets')
  .exitOverride()
  .configureOutput({ outputError: (s, write) => write(s) });
for (const cmd of [attackCommand(), kernelCommand(), trainCommand(), featuresCommand(), robustKernelCommand(), transferCommand(), dynamicsCommand()]) {
  // addCommand does not inherit these: without them a bad flag of a subcommand exits 1
  cmd.exitOverride().configureOutput({ outputError: (s, write) => write(s) });
  program.addCommand(cmd);
}

function fail(e: unknown): never {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  if (e instanceof UsageError || (e instanceof Error && (e as { userError?: boolean }).userError)) {
    process.stderr.write(`ntk: error: ${e.message}\n`);
    process.exit(2);
  }
  if (e instanceof OutOfMemoryError) {
    // a size this engine cannot hold: the message names the bytes and the limit
    process.stderr.write(`ntk: error: ${e.message}\n`);
    process.exit(2);
  }
  if (e instanceof RangeError || e instanceof TypeError) {
    // validation errors from the library name what was wrong; keep them short
    process.stderr.write(`ntk: error: ${(e as Error).message}\n`);
    process.exit(2);
  }
  process.stderr.write(`ntk: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  fail(e);
}
