// DuckDB's Node API, loaded with require(). @duckdb/node-api is CommonJS whose index re-exports
// some forty modules; imported from ES modules, Node runs its CommonJS lexer over every one of
// them to find their named exports, which doubled the load (measured here: 470 ms by import,
// 230 ms by require, on a loaded machine) and was the largest part of `sql`'s start-up.
import { createRequire } from 'node:module';
import type * as DuckDB from '@duckdb/node-api';

export const duckdb = createRequire(import.meta.url)('@duckdb/node-api') as typeof DuckDB;
