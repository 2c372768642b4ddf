// Types for src/errors.js (hand-written; the classes are shared by both builds).

/** What the native layer classified the failure as. */
export type ErrorKind =
  | 'bad_request'
  | 'authentication'
  | 'permission'
  | 'not_found'
  | 'conflict'
  | 'validation'
  | 'rate_limited'
  | 'server'
  | 'connection'
  | 'timeout'
  | 'invalid_argument'
  | 'decode'
  | 'unknown';

export interface MismatchErrorInfo {
  kind?: ErrorKind;
  status?: number | null;
  code?: string | null;
  requestId?: string | null;
  body?: unknown;
  attempts?: number | null;
  operationId?: string | null;
  cause?: unknown;
}

/** Base class of every error the SDK throws. */
export declare class MismatchError extends Error {
  constructor(message: string, info?: MismatchErrorInfo);
  readonly kind: ErrorKind;
  /** HTTP status of the final attempt, when the server answered. */
  readonly status: number | null;
  /** Stable error code of the problem+json body (`not_found`, `validation_failed`, …). */
  readonly code: string | null;
  /** The server's request id (`X-Request-Id`), for support and logs. */
  readonly requestId: string | null;
  /** The decoded problem+json body, when there was one. */
  readonly body: unknown;
  /** How many attempts were made, retries included. */
  readonly attempts: number | null;
  readonly operationId: string | null;
}
/** The server answered with an error status (4xx/5xx). */
export declare class APIError extends MismatchError {}
/** 400: the request was malformed. */
export declare class BadRequestError extends APIError {}
/** 401: missing, unknown, expired or revoked API key. */
export declare class AuthenticationError extends APIError {}
/** 403: the key's role or scopes do not allow this operation. */
export declare class PermissionDeniedError extends APIError {}
/** 404: the resource does not exist. */
export declare class NotFoundError extends APIError {}
/** 409: the request conflicts with the current state (a 409 with `Retry-After`, an idempotency key still in use, is retried first). */
export declare class ConflictError extends APIError {}
/** 422: the request was understood but is invalid. */
export declare class ValidationError extends APIError {
  /** One entry per invalid field, from the problem+json `errors` member. */
  readonly errors: { field: string; message: string }[];
}
/** 429: too many requests, after the SDK's retries (which honour `Retry-After`). */
export declare class RateLimitError extends APIError {}
/** 5xx: the server failed; 500, 502, 503 and 504 only after the SDK's retries (501 and 505+ are not retried). */
export declare class ServerError extends APIError {}
/** The server could not be reached, or the connection broke (after the SDK's retries). */
export declare class ConnectionError extends MismatchError {}
/** An attempt did not complete within `timeoutMs`; not retried, since the server may still be working on it. */
export declare class TimeoutError extends ConnectionError {}
/** The call was rejected before anything was sent. */
export declare class InvalidArgumentError extends MismatchError {}
/** The server's answer could not be decoded. */
export declare class DecodeError extends MismatchError {}
