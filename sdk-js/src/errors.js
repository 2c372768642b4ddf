// Typed errors shared by the Node (napi) and browser (wasm) builds; every
// failure the SDK reports is one of these classes (see src/outcome.js for how a
// native failure record becomes one).

/** Base class of every error the SDK throws. */
export class MismatchError extends Error {
  /**
   * @param {string} message
   * @param {{kind?: string, status?: number|null, code?: string|null, requestId?: string|null,
   *          body?: unknown, attempts?: number|null, operationId?: string|null, cause?: unknown}} [info]
   */
  constructor(message, info = {}) {
    super(message, info.cause === undefined ? undefined : { cause: info.cause });
    this.name = new.target.name;
    this.kind = info.kind ?? 'unknown';
    this.status = info.status ?? null;
    this.code = info.code ?? null;
    this.requestId = info.requestId ?? null;
    this.body = info.body ?? null;
    this.attempts = info.attempts ?? null;
    this.operationId = info.operationId ?? null;
  }
}

/** The server answered with an error status (4xx/5xx). */
export class APIError extends MismatchError {}
/** 400: the request was malformed. */
export class BadRequestError extends APIError {}
/** 401: missing, unknown, expired or revoked API key. */
export class AuthenticationError extends APIError {}
/** 403: the key's role or scopes do not allow this operation. */
export class PermissionDeniedError extends APIError {}
/** 404: the resource does not exist. */
export class NotFoundError extends APIError {}
/** 409: the request conflicts with the current state (a 409 with `Retry-After`, an idempotency key still in use, is retried first). */
export class ConflictError extends APIError {}
/** 422: the request was understood but is invalid; `errors` names each field. */
export class ValidationError extends APIError {
  /** @returns {{field: string, message: string}[]} */
  get errors() {
    const body = /** @type {{errors?: unknown} | null} */ (this.body && typeof this.body === 'object' ? this.body : null);
    const errors = body ? body.errors : undefined;
    return Array.isArray(errors) ? errors : [];
  }
}
/** 429: too many requests, after the SDK's retries (which honour `Retry-After`). */
export class RateLimitError extends APIError {}
/** 5xx: the server failed; 500, 502, 503 and 504 only after the SDK's retries (501 and 505+ are not retried). */
export class ServerError extends APIError {}
/** The server could not be reached (DNS, refused connection, TLS) or the connection broke (reset), after the SDK's retries. */
export class ConnectionError extends MismatchError {}
/** An attempt did not complete within `timeoutMs`; not retried, since the server may still be working on it. */
export class TimeoutError extends ConnectionError {}
/** The call was rejected before anything was sent (unknown operation, missing parameter…). */
export class InvalidArgumentError extends MismatchError {}
/** The server's answer could not be decoded. */
export class DecodeError extends MismatchError {}
