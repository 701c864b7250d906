#!/usr/bin/env node
import { CommanderError } from 'commander';
import { UsageError } from '../format/errors.js';
import { fail } from './output.js';
import { program } from './program.js';

async function main(): Promise<void> {
  try {
    await (await program(process.argv.slice(2))).parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // `commander.help` is help shown for a bare command group (see program.ts), as kubectl, cargo
      // and docker do: exit 0 (git and npm exit 1, but nothing was asked that failed).
      if (err.exitCode === 0 || err.code === 'commander.help') process.exit(0);
      fail(new UsageError(`${err.message.replace(/^error: /, '')} (see flightrec --help)`));
    }
    fail(err);
  }
}

void main();
