// Module resolution hooks for detection threads: a detector file that imports `flightrec` or
// `flightrec/testing` gets the flightrec that runs it, wherever the file lives and whether or
// not flightrec is installed beside it (a detector must run against this runtime's own API).
// Registered by loadInThread(); hooks registered in a worker thread apply to it alone.
import type { InitializeHook, ResolveHook } from 'node:module';

/** Bare specifiers (`flightrec`, `flightrec/testing`) to file URLs, from package.json's exports. */
export interface OwnPackage {
  readonly specifiers: Readonly<Record<string, string>>;
}

let specifiers: Readonly<Record<string, string>> = {};

export const initialize: InitializeHook<OwnPackage> = (data) => {
  specifiers = data.specifiers;
};

export const resolve: ResolveHook = (specifier, context, next) => {
  const url = specifiers[specifier];
  return url !== undefined ? { url, shortCircuit: true } : next(specifier, context);
};
