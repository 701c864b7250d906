// IP addresses as text, once: detectors call `addressText`, and the SQL macro `fr_addr` is
// generated from the same rules (`ipv6ZeroRuns` becomes a constant string in the macro), so a
// JS alert and a SQL row never spell one address two ways.

export const AF_INET = 2;
export const AF_INET6 = 10;

/**
 * RFC 5952 §4.2: the zero groups to shorten to `::`, for each set of zero groups of an IPv6
 * address (bit i set = group i is zero): the longest run of two or more, the first of equal
 * runs. `[start, length]`, or `[0, 0]` when nothing is shortened.
 */
export const ipv6ZeroRuns: ReadonlyArray<readonly [start: number, length: number]> = Array.from({ length: 256 }, (_, mask) => {
  let best: [number, number] = [0, 0];
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && (mask >> j) & 1) j++;
    if (j - i >= 2 && j - i > best[1]) best = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  return best;
});

/** RFC 5952 §5: an IPv4-mapped address (::ffff:0:0/96) keeps its IPv4 part dotted. */
export function isIpv4Mapped(a: Uint8Array): boolean {
  return a.length === 16 && a.subarray(0, 10).every((b) => b === 0) && a[10] === 0xff && a[11] === 0xff;
}

/** An address column as text: dotted quad for AF_INET, RFC 5952 for AF_INET6, '' for other families. */
export function addressText(family: number, a: Uint8Array): string {
  if (family === AF_INET) return `${a[0]}.${a[1]}.${a[2]}.${a[3]}`;
  if (family !== AF_INET6) return '';
  if (isIpv4Mapped(a)) return `::ffff:${a[12]}.${a[13]}.${a[14]}.${a[15]}`;
  const groups = Array.from({ length: 8 }, (_, i) => ((a[2 * i]! << 8) | a[2 * i + 1]!).toString(16));
  const [start, len] = ipv6ZeroRuns[groups.reduce((m, g, i) => (g === '0' ? m | (1 << i) : m), 0)]!;
  if (len === 0) return groups.join(':');
  return `${groups.slice(0, start).join(':')}::${groups.slice(start + len).join(':')}`;
}

/**
 * The DuckDB macros behind `fr_addr(family, a)`, for a BLOB `a` as the kernel stores it
 * (network byte order). Built from `ipv6ZeroRuns`, so SQL and `addressText` agree.
 *
 * A macro's argument is copied into its body wherever the body names it, so each value used
 * more than once is bound once as a lambda's parameter (`list_transform([v], x -> ...)[1]`),
 * and the runs are one string of digits (start, length per zero-group mask), not a list of 256
 * structs: written plainly, an address column cost ~30 ms to plan, and `connections`, which
 * reads addresses through several CTEs, spent 0.9 s planning on a recording of 18 net rows.
 */
export function addressMacros(): string[] {
  const runs = `'${ipv6ZeroRuns.map(([s, n]) => `${s}${n}`).join('')}'`;
  return [
    `CREATE OR REPLACE MACRO fr_hex16(h, i) AS coalesce(nullif(ltrim(lower(substr(h, i * 4 + 1, 4)), '0'), ''), '0')`,
    `CREATE OR REPLACE MACRO fr_ipv4(h, i) AS concat_ws('.', ('0x' || substr(h, i * 2 + 1, 2))::INTEGER, ('0x' || substr(h, i * 2 + 3, 2))::INTEGER,
  ('0x' || substr(h, i * 2 + 5, 2))::INTEGER, ('0x' || substr(h, i * 2 + 7, 2))::INTEGER)`,
    // The eight groups, and the run to shorten (start s, length n) looked up by which groups are zero.
    `CREATE OR REPLACE MACRO fr_ipv6_join(g, s, n) AS CASE WHEN n = 0 THEN array_to_string(g, ':')
  ELSE array_to_string(g[1:s], ':') || '::' || array_to_string(g[s + n + 1:], ':') END`,
    `CREATE OR REPLACE MACRO fr_ipv6_text(g) AS list_transform([g], x -> list_transform(
  [list_sum(list_transform(range(8), i -> CASE WHEN x[i + 1] = '0' THEN 1 << i ELSE 0 END))::BIGINT * 2],
  m -> fr_ipv6_join(x, substr(${runs}, m + 1, 1)::INTEGER, substr(${runs}, m + 2, 1)::INTEGER))[1])[1]`,
    `CREATE OR REPLACE MACRO fr_addr(family, a) AS CASE
  WHEN a IS NULL THEN NULL
  ELSE list_transform([hex(a)], h -> CASE
    WHEN family = ${AF_INET} THEN fr_ipv4(h, 0)
    WHEN family = ${AF_INET6} AND starts_with(h, '00000000000000000000FFFF') THEN '::ffff:' || fr_ipv4(h, 12)
    WHEN family = ${AF_INET6} THEN fr_ipv6_text(list_transform(range(8), i -> fr_hex16(h, i)))
    ELSE NULL END)[1] END`,
  ];
}
