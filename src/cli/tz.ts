// `--tz UTC|local`: the zone the commands that print for people (tables, live alert lines) show
// times in. Output for programs (JSON, CSV, replay's JSON Lines) is RFC 3339 UTC whatever it says.
import { Option, type Command } from 'commander';
import { UsageError } from '../format/errors.js';
import { TIME_ZONES, type TimeZone } from '../text/time.js';

export const tzOption = (c: Command): Command => c.addOption(
  new Option('--tz <zone>', 'show times to people in UTC (the default) or local time; the zone is always written (Z or +01:00)')
    // commander knows the choices (for completion); the error is flightrec's one line
    .choices(TIME_ZONES).argParser((v: string) => chooseTz(v)));

/** The zone `--tz` names (either case), UTC when it is not given. */
export function chooseTz(flag: string | undefined): TimeZone {
  if (flag === undefined) return 'UTC';
  const tz = TIME_ZONES.find((z) => z.toLowerCase() === flag.toLowerCase());
  if (tz === undefined) throw new UsageError(`--tz ${flag}: give UTC or local`);
  return tz;
}
