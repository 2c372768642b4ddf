// Typed errors shared by the Node (napi) and browser (wasm) builds.
//
// The native layers report a failure as a plain record (`kind`, `status`, `code`,
// `message`, `requestId`, `bodyJson`, `attempts`); `errorFromOutcome` turns it into
// one of these classes so callers can `instanceof` on the failure they care about.

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
/** 409: the request conflicts with the current state. */
export class ConflictError extends APIError {}
/** 422: the request was understood but is invalid; `errors` names each field. */
export class ValidationError extends APIError {
  /** @returns {{field: string, message: string}[]} */
  get errors() {
    const errors = this.body && typeof this.body === 'object' ? this.body.errors : undefined;
    return Array.isArray(errors) ? errors : [];
  }
}
/** 429: too many requests (after the SDK's own retries). */
export class RateLimitError extends APIError {}
/** 5xx: the server failed (after the SDK's own retries). */
export class ServerError extends APIError {}
/** The server could not be reached (DNS, refused connection, TLS, reset). */
export class ConnectionError extends MismatchError {}
/** The request did not complete within the configured timeout. */
export class TimeoutError extends ConnectionError {}
/** The call was rejected before anything was sent (unknown operation, missing parameter…). */
export class InvalidArgumentError extends MismatchError {}
/** The server's answer could not be decoded. */
export class DecodeError extends MismatchError {}

const BY_KIND = {
  bad_request: BadRequestError,
  authentication: AuthenticationError,
  permission: PermissionDeniedError,
  not_found: NotFoundError,
  conflict: ConflictError,
  validation: ValidationError,
  rate_limited: RateLimitError,
  server: ServerError,
  connection: ConnectionError,
  timeout: TimeoutError,
  invalid_argument: InvalidArgumentError,
  decode: DecodeError,
};

// Used when the native layer reports a status it could not classify itself.
function classForStatus(status) {
  if (status === 400) return BadRequestError;
  if (status === 401) return AuthenticationError;
  if (status === 403) return PermissionDeniedError;
  if (status === 404) return NotFoundError;
  if (status === 409) return ConflictError;
  if (status === 422) return ValidationError;
  if (status === 429) return RateLimitError;
  if (status >= 500) return ServerError;
  return APIError;
}

/**
 * Build the typed error for a failed native call.
 * @param {{kind?: string, status?: number|null, code?: string|null, message?: string,
 *          requestId?: string|null, bodyJson?: string|null, attempts?: number|null}} outcome
 * @param {string} [operationId]
 * @returns {MismatchError}
 */
export function errorFromOutcome(outcome, operationId) {
  const Cls =
    BY_KIND[outcome.kind] ?? (outcome.status != null ? classForStatus(outcome.status) : MismatchError);
  let body = null;
  if (outcome.bodyJson != null && outcome.bodyJson !== '') {
    try {
      body = JSON.parse(outcome.bodyJson);
    } catch {
      body = outcome.bodyJson;
    }
  }
  return new Cls(outcome.message || outcome.kind || 'request failed', {
    kind: outcome.kind,
    status: outcome.status ?? null,
    code: outcome.code ?? null,
    requestId: outcome.requestId ?? null,
    body,
    attempts: outcome.attempts ?? null,
    operationId: operationId ?? null,
  });
}
