#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { UsageError } from '../format/errors.js';
import { VERSION } from '../version.js';
import { register as baseline } from './baseline.js';
import { register as demo } from './demo.js';
import { register as doctor } from './doctor.js';
import { register as exportCommand } from './export.js';
import { register as info } from './info.js';
import { register as notebook } from './notebook.js';
import { register as recordCommand } from './record.js';
import { register as replay } from './replay.js';
import { fail } from './output.js';
import { register as seal } from './seal.js';
import { register as slice } from './slice.js';
import { register as sql, registerShell as shell } from './sql.js';
import { register as verify } from './verify.js';

export function program(): Command {
  const p = new Command('flightrec')
    .description('a flight recorder for Linux hosts: eBPF capture into Arrow recordings, replay, detectors and SQL')
    .version(VERSION)
    .option('--debug', 'show stack traces for errors')
    .configureOutput({ writeErr: () => undefined })
    .exitOverride();
  for (const register of [recordCommand, doctor, info, verify, seal, replay, baseline, slice, sql, shell, exportCommand, notebook, demo]) register(p);
  const quiet = (c: Command): void => {
    c.exitOverride().configureOutput({ writeErr: () => undefined });
    c.commands.forEach(quiet);
  };
  p.commands.forEach(quiet);
  return p;
}

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
