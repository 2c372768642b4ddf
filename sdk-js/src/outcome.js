// Native failure records → typed errors. The napi and wasm layers report a
// failed call as a plain record (`kind`, `status`, `code`, `message`,
// `requestId`, `bodyJson`, `attempts`) so that both builds share this mapping.

import {
  APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  ConnectionError,
  DecodeError,
  InvalidArgumentError,
  MismatchError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
  TimeoutError,
  ValidationError,
} from './errors.js';

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
