// Node build: the client backed by the napi addon (crate sdk-js/napi, loaded by
// src/addon.cjs). This ES module is the source of src/node.cjs, the one copy
// Node runs: scripts/bundle.mjs bundles it with core.js, errors.js and the
// generated code into CommonJS, and src/node.mjs re-exports that for `import`.
// So `require` and `import` share one Client and one set of error classes
// (instanceof holds across both), and Node 20 needs no require(esm).

import addon from './addon.cjs';
import { defineClient } from './core.js';

export * from './errors.js';
export { OPERATIONS } from './generated.js';

class NativeTransport {
  #inner;

  constructor(options) {
    this.#inner = new addon.NativeClient(options);
  }

  call(operationId, argsJson, headers, idempotencyKey, body) {
    return this.#inner.call(operationId, argsJson, headers, idempotencyKey, body);
  }

  login(email, password) {
    return this.#inner.login(email, password);
  }

  loginSecondFactor(challengeToken, code) {
    return this.#inner.loginSecondFactor(challengeToken, code);
  }

  resumeSession(refreshToken) {
    return this.#inner.resumeSession(refreshToken);
  }

  logout() {
    return this.#inner.logout();
  }

  sessionJson() {
    return this.#inner.sessionJson();
  }

  sessionRefreshToken() {
    return this.#inner.sessionRefreshToken();
  }
}

/**
 * Defaults for options the caller leaves out, read when a client is made (not
 * at import) so that a program may set them first. Blank values count as unset.
 */
function environmentDefaults() {
  const read = (/** @type {string} */ name) => {
    const value = process.env[name]?.trim();
    return value ? value : undefined;
  };
  return { baseUrl: read('MISMATCH_BASE_URL'), apiKey: read('MISMATCH_API_KEY') };
}

/** The mismatch-recruiter client (Node build). */
export const Client = defineClient((options) => new NativeTransport(options), environmentDefaults);

/** operationIds compiled into the native addon (for consistency checks). */
export function nativeOperationIds() {
  return addon.NativeClient.operationIds();
}
