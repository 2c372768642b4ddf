// Browser entry point ("browser"/"default" export conditions): the client
// backed by the WebAssembly build of sdk-js/wasm. Importing this module
// fetches and instantiates the .wasm file next to the wasm-bindgen glue.

import init, { WasmClient } from '../wasm-pkg/mismatch_recruiter_wasm.js';
import { defineClient } from './core.js';

export * from './errors.js';
export { OPERATIONS } from './generated.js';

await init({ module_or_path: new URL('../wasm-pkg/mismatch_recruiter_wasm_bg.wasm', import.meta.url) });

class WasmTransport {
  #inner;

  constructor(options) {
    this.#inner = new WasmClient(options);
  }

  call(operationId, argsJson, headers, idempotencyKey, body) {
    return this.#inner.call(operationId, argsJson, { headers, idempotencyKey }, body);
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

/** The mismatch-recruiter client (browser build). */
export const Client = defineClient((options) => new WasmTransport(options));

/** operationIds compiled into the wasm module (for consistency checks). */
export function nativeOperationIds() {
  return WasmClient.operationIds();
}
