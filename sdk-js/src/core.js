// The hand-written part of the client shared by the Node and browser builds:
// option handling, interceptors and error mapping around one native `call`.
// Retries, timeouts, auth and idempotency keys live in the Rust SDK underneath,
// so both builds behave exactly like every other SDK of the project.

import { DecodeError, InvalidArgumentError, MismatchError } from './errors.js';
import { errorFromOutcome } from './outcome.js';
import { OPERATIONS, operationMethods } from './generated.js';

/**
 * What a native layer (napi or wasm) must provide. The session methods answer
 * outcomes too, with their result as JSON in `bodyJson` (see the Rust SDK's
 * `bindings` module); `sessionJson` is that of the current session, or null.
 * @typedef {{
 *   call(operationId: string, argsJson: string, headers: Record<string, string>,
 *        idempotencyKey: string | undefined, body: Uint8Array | undefined): Promise<NativeOutcome>,
 *   login(email: string, password: string): Promise<NativeOutcome>,
 *   loginSecondFactor(challengeToken: string, code: string): Promise<NativeOutcome>,
 *   resumeSession(refreshToken: string): Promise<NativeOutcome>,
 *   logout(): Promise<NativeOutcome>,
 *   sessionJson(): string | null | undefined,
 *   sessionRefreshToken(): string | null | undefined,
 * }} Transport
 * @typedef {{ok: boolean, status?: number|null, bodyJson?: string|null, requestId?: string|null,
 *            attempts?: number|null, kind?: string|null, code?: string|null, message?: string|null}} NativeOutcome
 * Option defaults of a build (Node: MISMATCH_BASE_URL and MISMATCH_API_KEY), read per client.
 * @typedef {() => {baseUrl?: string, apiKey?: string}} EnvironmentDefaults
 */

const OPTION_KEYS = new Set([
  'baseUrl',
  'apiKey',
  'timeoutMs',
  'connectTimeoutMs',
  'maxRetries',
  'maxRetryDelayMs',
  'userAgent',
  'interceptors',
]);

/**
 * The caller's options with the build's defaults filled in where a key is
 * absent or undefined; an explicit value, even an invalid one, always wins.
 * @param {unknown} options
 * @param {EnvironmentDefaults | undefined} defaults
 * @returns {Record<string, any>}
 */
function withDefaults(options, defaults) {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('Client options must be an object');
  }
  const merged = { .../** @type {Record<string, unknown>} */ (options) };
  for (const [key, value] of Object.entries(defaults?.() ?? {})) {
    if (merged[key] === undefined && value !== undefined) merged[key] = value;
  }
  return merged;
}

/** @param {Record<string, any>} options @param {boolean} fromEnvironment */
function checkOptions(options, fromEnvironment) {
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new InvalidArgumentError(`unknown client option \`${key}\``);
  }
  if (options.baseUrl === undefined) {
    throw new InvalidArgumentError(
      fromEnvironment ? '`baseUrl` is required: pass it or set MISMATCH_BASE_URL' : '`baseUrl` is required',
    );
  }
  if (typeof options.baseUrl !== 'string' || options.baseUrl === '') {
    throw new InvalidArgumentError('`baseUrl` must be a non-empty string');
  }
  for (const key of ['timeoutMs', 'connectTimeoutMs', 'maxRetries', 'maxRetryDelayMs']) {
    const value = options[key];
    // The native layers take these as u32.
    if (value !== undefined && !(Number.isInteger(value) && value >= 0 && value <= 0xffffffff)) {
      throw new InvalidArgumentError(`\`${key}\` must be an integer from 0 to 4294967295`);
    }
  }
  if (options.interceptors !== undefined && !Array.isArray(options.interceptors)) {
    throw new InvalidArgumentError('`interceptors` must be an array');
  }
  for (const key of ['apiKey', 'userAgent']) {
    if (options[key] !== undefined && typeof options[key] !== 'string') {
      throw new InvalidArgumentError(`\`${key}\` must be a string`);
    }
  }
}

/** Options as the native layers take them: only defined values, no JS-only keys. */
function nativeOptions(options) {
  const out = { baseUrl: options.baseUrl };
  for (const key of ['apiKey', 'timeoutMs', 'connectTimeoutMs', 'maxRetries', 'maxRetryDelayMs', 'userAgent']) {
    if (options[key] !== undefined) out[key] = options[key];
  }
  return out;
}

function concretePath(template, args) {
  return template.replace(/\{([^}]+)\}/g, (whole, name) =>
    args[name] === undefined ? whole : encodeURIComponent(String(args[name])),
  );
}

function checkString(name, value) {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidArgumentError(`\`${name}\` must be a non-empty string`);
  }
}

function checkInterceptor(interceptor) {
  const ok =
    interceptor !== null &&
    typeof interceptor === 'object' &&
    (interceptor.onRequest === undefined || typeof interceptor.onRequest === 'function') &&
    (interceptor.onResponse === undefined || typeof interceptor.onResponse === 'function');
  if (!ok) {
    throw new InvalidArgumentError('an interceptor is an object with optional onRequest/onResponse functions');
  }
}

export class BaseClient {
  #transport;
  #interceptors = [];

  /**
   * @param {object | undefined} options ClientOptions (see index.d.ts)
   * @param {(options: object) => Transport} makeTransport
   * @param {EnvironmentDefaults} [defaults]
   */
  constructor(options, makeTransport, defaults) {
    const merged = withDefaults(options, defaults);
    checkOptions(merged, defaults !== undefined);
    try {
      this.#transport = makeTransport(nativeOptions(merged));
    } catch (err) {
      if (err instanceof MismatchError) throw err;
      throw new InvalidArgumentError(err instanceof Error ? err.message : String(err), { cause: err });
    }
    for (const interceptor of merged.interceptors ?? []) this.use(interceptor);
  }

  /**
   * Register a request/response interceptor; runs in registration order.
   * @returns {this}
   */
  use(interceptor) {
    checkInterceptor(interceptor);
    this.#interceptors.push(interceptor);
    return this;
  }

  /**
   * Call any operation of the API by its operationId and get the whole answer.
   * `args` holds path and query parameters by their spec names plus `body`.
   */
  async call(operationId, args = {}, options = {}) {
    const op = OPERATIONS[operationId];
    if (op === undefined) throw new InvalidArgumentError(`unknown operation \`${operationId}\``);
    if (args === null || typeof args !== 'object') throw new InvalidArgumentError('`args` must be an object');
    const { headers = {}, idempotencyKey, body: bytes } = options ?? {};
    if (bytes !== undefined && !(bytes instanceof Uint8Array)) {
      throw new InvalidArgumentError(`${operationId}: the request body must be a Uint8Array`);
    }
    const request = {
      operationId,
      method: op.method,
      path: concretePath(op.path, args),
      pathTemplate: op.path,
      args,
      headers: { ...headers },
      idempotencyKey,
    };
    for (const interceptor of this.#interceptors) {
      if (interceptor.onRequest) await interceptor.onRequest(request);
    }
    const headerValues = Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
    );

    const started = performance.now();
    let outcome;
    try {
      outcome = await this.#transport.call(
        operationId,
        JSON.stringify(args),
        headerValues,
        request.idempotencyKey,
        bytes,
      );
    } catch (err) {
      // The native layer rejects only for arguments it cannot convert; report
      // that like any other failed call so interceptors still see it.
      outcome = { ok: false, kind: 'invalid_argument', message: err instanceof Error ? err.message : String(err) };
    }
    const durationMs = performance.now() - started;

    const response = {
      operationId,
      method: op.method,
      path: request.path,
      pathTemplate: op.path,
      ok: outcome.ok,
      status: outcome.status ?? null,
      requestId: outcome.requestId ?? null,
      attempts: outcome.attempts ?? null,
      durationMs,
    };
    let result;
    if (outcome.ok) {
      const body = outcome.bodyJson == null || outcome.bodyJson === '' ? null : JSON.parse(outcome.bodyJson);
      result = { status: response.status, body, requestId: response.requestId, attempts: response.attempts };
      response.body = body;
    } else {
      response.error = errorFromOutcome(outcome, operationId);
    }
    for (const interceptor of this.#interceptors) {
      if (interceptor.onResponse) await interceptor.onResponse(response);
    }
    if (response.error) throw response.error;
    return result;
  }

  /**
   * Every item of a paginated list operation (`listJobs`, `listCandidates`, …),
   * fetching the next page only when the loop needs it.
   * `params` are the operation's query parameters without `cursor`.
   */
  async *paginate(operationId, params = {}, options = undefined) {
    if (!OPERATIONS[operationId]?.paginated) {
      throw new InvalidArgumentError(`\`${operationId}\` is not a paginated list operation`);
    }
    if (params === null || typeof params !== 'object' || 'cursor' in params) {
      throw new InvalidArgumentError('paginate: `params` must be an object without `cursor`');
    }
    const seen = new Set();
    let cursor;
    do {
      const page = await this[operationId]({ ...params, cursor }, options);
      yield* page.items;
      cursor = page.next_cursor ?? undefined;
      // A server handing out a cursor twice would otherwise loop forever.
      if (cursor !== undefined && seen.has(cursor)) {
        throw new DecodeError(`${operationId}: the server repeated the cursor ${cursor}`, { operationId });
      }
      if (cursor !== undefined) seen.add(cursor);
    } while (cursor !== undefined);
  }

  /**
   * Log in as a user. Resolves to `{ twoFactorRequired: false, session }` once
   * logged in: from then on every call sends the session's access token
   * instead of the API key, renewed before it expires. A user with a second
   * factor gets `{ twoFactorRequired: true, challengeToken, challengeExpiresAt }`:
   * finish with `loginSecondFactor`. Session methods bypass interceptors (their
   * arguments are credentials).
   */
  async login(email, password) {
    checkString('email', email);
    checkString('password', password);
    return this.#session('createSession', () => this.#transport.login(email, password));
  }

  /** The second login step: the challenge token and a TOTP (or backup) code. Resolves to the session. */
  async loginSecondFactor(challengeToken, code) {
    checkString('challengeToken', challengeToken);
    checkString('code', code);
    return this.#session('verifySessionSecondFactor', () => this.#transport.loginSecondFactor(challengeToken, code));
  }

  /** Continue a login from a refresh token kept earlier (`sessionRefreshToken()`). Resolves to the session. */
  async resumeSession(refreshToken) {
    checkString('refreshToken', refreshToken);
    return this.#session('refreshSession', () => this.#transport.resumeSession(refreshToken));
  }

  /** End the session on the server and forget it; calls send the API key again. Does nothing when not logged in. */
  async logout() {
    await this.#session('endSession', () => this.#transport.logout());
  }

  /** The current session (expiry times, whether it can still be renewed), or null. */
  session() {
    const json = this.#transport.sessionJson();
    return json == null ? null : JSON.parse(json);
  }

  /**
   * The session's refresh token, to keep a login across restarts: a secret,
   * as good as the password. It changes at every renewal; null when there is none.
   */
  sessionRefreshToken() {
    return this.#transport.sessionRefreshToken() ?? null;
  }

  /** Runs one session method of the native layer and decodes its outcome. */
  async #session(operationId, run) {
    let outcome;
    try {
      outcome = await run();
    } catch (err) {
      throw new InvalidArgumentError(err instanceof Error ? err.message : String(err), { cause: err });
    }
    if (!outcome.ok) throw errorFromOutcome(outcome, operationId);
    return outcome.bodyJson == null || outcome.bodyJson === '' ? null : JSON.parse(outcome.bodyJson);
  }

  /** Used by the generated methods: call and return only the decoded body. */
  async _operation(operationId, args, bytes, options) {
    const response = await this.call(operationId, args, { ...options, body: bytes });
    return response.body;
  }
}

/**
 * Build the public `Client` class of one build: the shared behaviour above plus
 * one generated method per operation, installed on the class itself so that
 * `Client.prototype` lists every operation.
 * @param {(options: object) => Transport} makeTransport
 * @param {EnvironmentDefaults} [defaults] where the build reads option defaults from
 */
export function defineClient(makeTransport, defaults) {
  class Client extends BaseClient {
    /** @param {object} [options] */
    constructor(options) {
      super(options, makeTransport, defaults);
    }
  }
  for (const [name, method] of Object.entries(operationMethods)) {
    Object.defineProperty(Client.prototype, name, {
      value: method,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  return Client;
}
