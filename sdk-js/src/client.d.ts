// Types for the hand-written client core (src/core.js). index.d.ts (generated)
// re-exports these and declares `Client` with one method per operation.

import type { MismatchError } from './errors.js';

export interface ClientOptions {
  /** Base URL of the API, e.g. `https://api.example.com` or `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** API key (`mm_…`), sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** Whole-request timeout per attempt, in milliseconds. */
  timeoutMs?: number;
  /** Connection timeout in milliseconds (ignored in browsers). */
  connectTimeoutMs?: number;
  /** Retries after the first attempt for connection failures, 429 and 5xx (0 disables). */
  maxRetries?: number;
  /** Upper bound of one backoff delay, in milliseconds. */
  maxRetryDelayMs?: number;
  /** User-Agent header (ignored in browsers, which set their own). */
  userAgent?: string;
  /** Interceptors registered at construction, same as calling `use()` for each. */
  interceptors?: Interceptor[];
}

export interface RequestOptions {
  /** Extra request headers for this call. */
  headers?: Record<string, string>;
  /** Idempotency-Key for a POST; the SDK generates one per call when absent and reuses it on retries. */
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

/** What `onRequest` sees; it may add or change `headers` and `idempotencyKey`. */
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

/** What `onResponse` sees after the call finished (retries included). */
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

export interface Interceptor {
  onRequest?(request: InterceptedRequest): void | Promise<void>;
  onResponse?(response: InterceptedResponse): void | Promise<void>;
}

/** Behaviour shared by every build's `Client`. */
export declare class BaseClient<Op extends string = string> {
  /** Register an interceptor; interceptors run in registration order. */
  use(interceptor: Interceptor): this;
  /** Call any operation by operationId; `args` holds path/query parameters by spec name plus `body`. */
  call<T = unknown>(operationId: Op, args?: Record<string, unknown>, options?: CallOptions): Promise<RawResponse<T>>;
}
