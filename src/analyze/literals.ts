// SQL text for a value or a name, apart from the session so the command line can build SQL
// (the shell's dot commands) without loading DuckDB.

/** A SQL string literal. */
export const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** A SQL identifier. */
export const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;
