// Where live alerts go besides the recording: a JSON Lines file, syslog (a unix datagram
// socket such as /dev/log, or udp://host:port), and a webhook (one JSON POST per alert).
// A sink that fails is reported once and the recording goes on; the file is opened again on SIGHUP.
import { createSocket } from 'node:dgram';
import { closeSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { UsageError } from '../format/errors.js';
import type { Manifest } from '../format/manifest.js';
import { alertJson, originOf } from './alert.js';
import { alertEcs } from './ecs.js';
import type { Alert } from './runtime.js';

/** The recording alerts come from: its clock maps ts to wall time, its id and host are named in each alert. */
export type AlertSource = Pick<Manifest, 'clock' | 'id' | 'host'>;

/** How machine sinks write an alert: flightrec's JSON or an ECS document. */
export const ALERT_FORMATS = ['json', 'ecs'] as const;
export type AlertFormat = (typeof ALERT_FORMATS)[number];

/** An alert as one line of JSON in a format. */
export const alertText = (a: Alert, m: AlertSource, format: AlertFormat): string =>
  (format === 'ecs' ? alertEcs : alertJson)(a, m.clock, originOf(m));

export interface AlertSink {
  readonly name: string;
  write(alerts: readonly Alert[], m: AlertSource): void;
  /** Opens again what the sink appends to (SIGHUP, after logrotate moved it away). */
  reopen?(): void;
  /** Waits for what is under way (at most timeoutMs) and releases the sink. */
  close(timeoutMs?: number): Promise<void>;
}

type Report = (message: string) => void;

const errorCode = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/**
 * Appends alerts to a file. reopen() opens the path again with the same flags and mode, so
 * alerts go to a new file once logrotate has moved the old one; while that fails (said once
 * per failure), alerts are counted as not delivered and the count is said at close.
 */
export function jsonlSink(path: string, report: Report, format: AlertFormat = 'json'): AlertSink {
  const open = (): number => openSync(path, 'a', 0o600);
  let fd: number | undefined;
  try {
    fd = open();
  } catch (err) {
    throw new UsageError(`--alerts-out ${path}: cannot open (${errorCode(err)})`);
  }
  let undelivered = 0;
  return {
    name: `--alerts-out ${path}`,
    write(alerts, m) {
      if (alerts.length === 0) return;
      if (fd === undefined) undelivered += alerts.length;
      else writeSync(fd, alerts.map((a) => `${alertText(a, m, format)}\n`).join(''));
    },
    reopen() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      try {
        fd = open();
      } catch (err) {
        report(`--alerts-out ${path}: cannot open it again (${errorCode(err)}); alerts are not written there until a later SIGHUP opens it`);
      }
    },
    async close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      if (undelivered > 0) report(`--alerts-out ${path}: ${undelivered} alert${undelivered === 1 ? ' was' : 's were'} not written there (it could not be opened again)`);
    },
  };
}

const SYSLOG_SEVERITY: Record<Alert['severity'], number> = { info: 6, warning: 4, critical: 2, emergency: 0 };
const LOCAL0 = 16;

/** An RFC 5424 message: facility local0, the alert as structured JSON text. */
export function syslogMessage(a: Alert, m: AlertSource, host = hostname(), format: AlertFormat = 'json'): string {
  const pri = LOCAL0 * 8 + SYSLOG_SEVERITY[a.severity];
  return `<${pri}>1 ${new Date().toISOString()} ${host} flightrec ${process.pid} ${a.detector} - ${alertText(a, m, format)}`;
}

export interface DatagramSender {
  send(path: string, message: Buffer): void;
}

/** target: a unix datagram socket path (default /dev/log) or udp://host:port. */
export function syslogSink(target: string, unix: DatagramSender, report: Report, format: AlertFormat = 'json'): AlertSink {
  const udp = /^udp:\/\/(\[[^\]]+\]|[^:]+):(\d+)$/.exec(target);
  if (!udp && !target.startsWith('/')) throw new UsageError(`--syslog ${target}: give a unix socket path (such as /dev/log) or udp://host:port`);
  const socket = udp ? createSocket(udp[1]!.includes(':') ? 'udp6' : 'udp4') : undefined;
  const host = hostname();
  let failed = false;
  const fail = (err: unknown): void => {
    if (!failed) report(`syslog ${target}: ${(err as Error).message}; later alerts are not sent there`);
    failed = true;
  };
  socket?.on('error', fail);
  return {
    name: `--syslog ${target}`,
    write(alerts, m) {
      for (const a of alerts) {
        if (failed) return;
        const msg = Buffer.from(syslogMessage(a, m, host, format));
        try {
          if (socket && udp) socket.send(msg, Number(udp[2]), udp[1]!.replace(/^\[|\]$/g, ''), (err) => err && fail(err));
          else unix.send(target, msg);
        } catch (err) {
          fail(err);
        }
      }
    },
    async close() {
      await new Promise<void>((r) => (socket ? socket.close(() => r()) : r()));
    },
  };
}

export function webhookSink(url: string, report: Report, format: AlertFormat = 'json'): AlertSink {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--webhook ${url}: not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`--webhook ${url}: use an http or https URL`);
  let chain = Promise.resolve();
  let failures = 0;
  const post = async (body: string): Promise<void> => {
    try {
      const res = await fetch(parsed, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      await res.arrayBuffer();
    } catch (err) {
      if (failures++ === 0) report(`webhook ${url}: ${(err as Error).message}; alerts that fail to post are counted at the end`);
    }
  };
  return {
    name: `--webhook ${url}`,
    write(alerts, m) {
      for (const a of alerts) {
        const body = alertText(a, m, format);
        chain = chain.then(() => post(body));
      }
    },
    async close(timeoutMs = 10_000) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([chain, new Promise<void>((r) => { timer = setTimeout(r, timeoutMs); })]);
      clearTimeout(timer);
      if (failures > 0) report(`webhook ${url}: ${failures} alert${failures === 1 ? '' : 's'} could not be posted`);
    },
  };
}
