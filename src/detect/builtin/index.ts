// The built-in detectors, in the order they run (and alerts on one event are listed).
import type { Detector } from '../api.js';
import anomaly from './anomaly.js';
import bulkIo from './bulk-io.js';
import cryptoMiner from './crypto-miner.js';
import dangerousExec from './dangerous-exec.js';
import forkBomb from './fork-bomb.js';
import portScan from './port-scan.js';
import privilegeEscalation from './privilege-escalation.js';
import processInjection from './process-injection.js';
import protectedPaths from './protected-paths.js';
import reverseShell from './reverse-shell.js';
import sensitiveFiles from './sensitive-files.js';
import syscallSequence from './syscall-sequence.js';
import wxMemory from './wx-memory.js';

export const BUILTIN: readonly Detector[] = [
  protectedPaths, sensitiveFiles, syscallSequence, bulkIo, dangerousExec, wxMemory, reverseShell, portScan, forkBomb,
  processInjection, privilegeEscalation, cryptoMiner, anomaly,
];
