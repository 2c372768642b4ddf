// Node entry point ("node" export condition): the client backed by the napi
// addon built from sdk-js/napi (see scripts/build.mjs).

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { defineClient } from './core.js';

export * from './errors.js';
export { OPERATIONS } from './generated.js';

const require = createRequire(import.meta.url);

function loadAddon() {
  const file = `mismatch_recruiter.${process.platform}-${process.arch}.node`;
  const path = fileURLToPath(new URL(`../native/${file}`, import.meta.url));
  if (!existsSync(path)) {
    throw new Error(
      `mismatch-recruiter: native addon ${file} not found in ${fileURLToPath(new URL('../native/', import.meta.url))}; ` +
        'build it with `npm run build` in the sdk-js directory',
    );
  }
  return require(path);
}

const addon = loadAddon();

class NativeTransport {
  #inner;

  constructor(options) {
    this.#inner = new addon.NativeClient(options);
  }

  call(operationId, argsJson, headers, idempotencyKey, body) {
    return this.#inner.call(operationId, argsJson, headers, idempotencyKey, body);
  }
}

/** The mismatch-recruiter client (Node build). */
export const Client = defineClient((options) => new NativeTransport(options));

/** operationIds compiled into the native addon (for consistency checks). */
export function nativeOperationIds() {
  return addon.NativeClient.operationIds();
}
