#!/usr/bin/env node
import { CommanderError } from 'commander';
import { UsageError } from '../format/errors.js';
import { fail } from './output.js';
import { program } from './program.js';

async function main(): Promise<void> {
  try {
    await program().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) process.exit(0);
      fail(new UsageError(`${err.message.replace(/^error: /, '')} (see flightrec --help)`));
    }
    fail(err);
  }
}

void main();
