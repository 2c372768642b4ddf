// Types for the hand-written client core (src/core.js). index.d.ts (generated)
// re-exports these and declares `Client` with one method per operation.

import type { MismatchError } from './errors.js';

export interface ClientOptions {
  /**
   * Base URL of the API, e.g. `https://api.example.com` or `http://127.0.0.1:8080`.
   * In Node it defaults to the `MISMATCH_BASE_URL` environment variable; it is
   * required when that is not set, and always in browsers (no environment).
   */
  baseUrl?: string;
  /**
   * API key (`mm_…`), sent as `Authorization: Bearer`. In Node it defaults to
   * the `MISMATCH_API_KEY` environment variable; without either, no key is
   * sent (public endpoints only). A value given here always wins.
   */
  apiKey?: string;
  /**
   * Total time allowed for one attempt (connect, send, read the answer), in
   * milliseconds; default 30,000. An attempt that runs out of it is not
   * retried: the call rejects with `TimeoutError`.
   */
  timeoutMs?: number;
  /** Connection timeout in milliseconds, default 5,000 (ignored in browsers). */
  connectTimeoutMs?: number;
  /**
   * Retries after the first attempt, default 2 (0 disables). Retried: failures
   * to connect (any method; nothing was sent); a connection broken after it was
   * made, and the statuses 408, 429, 500, 502, 503 and 504, for GET, HEAD,
   * OPTIONS, POST, PATCH and DELETE (the last three carry an `Idempotency-Key`,
   * the same on every attempt); a 409 with `Retry-After` (the same key is still
   * being processed). Not retried: an attempt's timeout (`timeoutMs`), a 409
   * without `Retry-After`, other 4xx, 501 and 505+. In browsers every network
   * failure looks like a broken connection.
   */
  maxRetries?: number;
  /**
   * Upper bound of one wait between attempts, in milliseconds, default 20,000.
   * The wait is the server's `Retry-After` when it sends one, else full-jitter
   * exponential backoff from 500 ms.
   */
  maxRetryDelayMs?: number;
  /** User-Agent header (ignored in browsers, which set their own). */
  userAgent?: string;
  /** Interceptors registered at construction, same as calling `use()` for each. */
  interceptors?: Interceptor[];
}

export interface RequestOptions {
  /** Extra request headers for this call. */
  headers?: Record<string, string>;
  /**
   * Idempotency-Key of a POST, PATCH or DELETE. The SDK generates one per call
   * when absent and sends the same key on every retry of the call.
   */
  idempotencyKey?: string;
}

export interface CallOptions extends RequestOptions {
  /** Raw request body for binary operations such as `uploadCandidate`. */
  body?: Uint8Array;
}

/** The whole answer of a successful call. */
export interface RawResponse<T = unknown> {
  status: number;
  body: T;
  requestId: string | null;
  /** Attempts made, retries included. */
  attempts: number;
}

export interface OperationInfo {
  readonly method: string;
  /** Path template, e.g. `/v1/candidates/{candidate_id}`. */
  readonly path: string;
  readonly body: 'none' | 'json' | 'binary';
  /** A cursor-paginated list (`cursor` parameter, `{ items, next_cursor }` answer). */
  readonly paginated: boolean;
}

/**
 * What `onRequest` sees, once per call before the first attempt; it may add or
 * change `headers` and `idempotencyKey`, which every attempt of the call then uses.
 */
export interface InterceptedRequest {
  readonly operationId: string;
  readonly method: string;
  /** Path with the parameters filled in. */
  readonly path: string;
  readonly pathTemplate: string;
  /** Path and query parameters by spec name, plus `body`. */
  readonly args: Readonly<Record<string, unknown>>;
  headers: Record<string, string>;
  idempotencyKey?: string;
}

/**
 * What `onResponse` sees, once per call after its last attempt (so after any
 * retries), for successes and failures alike. A call rejected by the SDK's own
 * argument checks in JavaScript (unknown operation, empty path parameter, a
 * body that is not bytes) reaches neither hook.
 */
export interface InterceptedResponse {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly pathTemplate: string;
  readonly ok: boolean;
  /** HTTP status of the final attempt, or null when no answer arrived. */
  readonly status: number | null;
  readonly requestId: string | null;
  /** Attempts made, retries included; null when the native layer did not report it (failed calls). */
  readonly attempts: number | null;
  /** Wall time of the call, retries included, in milliseconds. */
  readonly durationMs: number;
  /** Decoded body of a successful call. */
  readonly body?: unknown;
  /** The error the call is about to reject with. */
  readonly error?: MismatchError;
}

/**
 * Hooks around each call; may be async (the call waits for them). An exception
 * thrown by a hook rejects the call with that exception; from `onRequest`,
 * before anything is sent.
 */
export interface Interceptor {
  onRequest?(request: InterceptedRequest): void | Promise<void>;
  onResponse?(response: InterceptedResponse): void | Promise<void>;
}

/** What the client knows about its session, without the secrets. */
export interface SessionInfo {
  /** When the access token expires (RFC 3339, the server's clock); the client renews it about a minute earlier. */
  accessTokenExpiresAt: string;
  /** When the login ends (RFC 3339): then no renewal works and the user must log in again. */
  refreshTokenExpiresAt: string;
  /**
   * `false` once the server refused to renew the session (logged out elsewhere,
   * a spent refresh token reused, the account disabled or its password
   * changed): calls go on with the access token until it expires, then reject
   * with `AuthenticationError`. Log in again.
   */
  renewable: boolean;
}

/**
 * The result of `login`: logged in, or a second factor is needed
 * (`loginSecondFactor(challengeToken, code)`, within five minutes).
 */
export type LoginResult =
  | { twoFactorRequired: false; session: SessionInfo }
  | { twoFactorRequired: true; challengeToken: string; challengeExpiresAt: string };

/** Behaviour shared by every build's `Client`. */
export declare class BaseClient<Op extends string = string> {
  /**
   * Register an interceptor; interceptors run in registration order, once per
   * call (not per retry: retries happen underneath, in the Rust client).
   */
  use(interceptor: Interceptor): this;
  /** Call any operation by operationId; `args` holds path/query parameters by spec name plus `body`. */
  call<T = unknown>(operationId: Op, args?: Record<string, unknown>, options?: CallOptions): Promise<RawResponse<T>>;

  /**
   * Log in as a user with email and password. Once logged in, every call (of
   * this client) sends the session's access token instead of the API key,
   * renews it about a minute before it expires (one renewal at a time: refresh
   * tokens are single-use) and, when a call is refused with 401
   * `unauthorized`, renews it once and sends the call again. Rejects with
   * `AuthenticationError` (code `invalid_credentials`), `PermissionDeniedError`
   * (`account_disabled`) or `RateLimitError` (`login_locked`). Session methods
   * do not pass through interceptors: their arguments are credentials.
   */
  login(email: string, password: string): Promise<LoginResult>;
  /**
   * The second login step: the `challengeToken` of `login` and a TOTP code (or
   * a backup code). Rejects with `AuthenticationError` (code
   * `invalid_two_factor_code`) for a wrong code.
   */
  loginSecondFactor(challengeToken: string, code: string): Promise<SessionInfo>;
  /** Continue a login from a refresh token kept earlier (`sessionRefreshToken()`); the token is spent. */
  resumeSession(refreshToken: string): Promise<SessionInfo>;
  /**
   * End the session on the server (every refresh token of the login is
   * revoked) and forget it: calls send the API key again. Does nothing when not
   * logged in; the session is forgotten even when the server cannot be reached.
   */
  logout(): Promise<void>;
  /** The current session, or null when not logged in. */
  session(): SessionInfo | null;
  /**
   * The session's current refresh token, to keep a login across restarts with
   * `resumeSession`. A secret, as good as the password: store it as such. It
   * changes at every renewal (about hourly); null when there is none.
   */
  sessionRefreshToken(): string | null;
}
