// Error classes and the mapping from native outcomes; no server, no addon.
import assert from 'node:assert/strict';
import { test } from 'node:test';

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
} from '../src/errors.js';
import { errorFromOutcome } from '../src/outcome.js';

test('every kind maps to its class, and all are MismatchErrors', () => {
  const expected = {
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
  for (const [kind, Cls] of Object.entries(expected)) {
    const err = errorFromOutcome({ ok: false, kind, message: `m-${kind}` }, 'getCandidate');
    assert.ok(err instanceof Cls, `${kind} -> ${err.constructor.name}`);
    assert.ok(err instanceof MismatchError);
    assert.ok(err instanceof Error);
    assert.equal(err.name, Cls.name);
    assert.equal(err.kind, kind);
    assert.equal(err.message, `m-${kind}`);
    assert.equal(err.operationId, 'getCandidate');
  }
  assert.ok(new TimeoutError('t') instanceof ConnectionError, 'a timeout is a connection failure');
  assert.ok(new NotFoundError('n') instanceof APIError);
  assert.ok(!(new ConnectionError('c') instanceof APIError));
});

test('problem fields are carried over and the body is decoded', () => {
  const problem = {
    type: 'https://docs.mismatch.dev/errors/not_found',
    title: 'Not Found',
    status: 404,
    detail: 'candidate cand_x does not exist',
    code: 'not_found',
    request_id: 'req-1',
  };
  const err = errorFromOutcome({
    ok: false,
    kind: 'not_found',
    status: 404,
    code: 'not_found',
    message: problem.detail,
    requestId: 'req-1',
    bodyJson: JSON.stringify(problem),
    attempts: 1,
  });
  assert.ok(err instanceof NotFoundError);
  assert.equal(err.status, 404);
  assert.equal(err.code, 'not_found');
  assert.equal(err.requestId, 'req-1');
  assert.deepEqual(err.body, problem);
  assert.equal(err.attempts, 1);
  assert.equal(err.message, 'candidate cand_x does not exist');
});

test('an unknown kind falls back to the status, then to the base class', () => {
  assert.ok(errorFromOutcome({ ok: false, kind: 'brand_new', status: 404 }) instanceof NotFoundError);
  assert.ok(errorFromOutcome({ ok: false, kind: 'brand_new', status: 503 }) instanceof ServerError);
  assert.ok(errorFromOutcome({ ok: false, kind: 'brand_new', status: 418 }) instanceof APIError);
  const bare = errorFromOutcome({ ok: false, kind: 'brand_new' });
  assert.equal(bare.constructor, MismatchError);
  assert.equal(bare.status, null);
  assert.equal(bare.message, 'brand_new');
});

test('ValidationError lists field errors; a non-JSON body is kept as text', () => {
  const err = errorFromOutcome({
    ok: false,
    kind: 'validation',
    status: 422,
    code: 'validation_failed',
    bodyJson: JSON.stringify({ code: 'validation_failed', errors: [{ field: 'title', message: 'must not be empty' }] }),
  });
  assert.ok(err instanceof ValidationError);
  assert.deepEqual(err.errors, [{ field: 'title', message: 'must not be empty' }]);
  const text = errorFromOutcome({ ok: false, kind: 'server', status: 502, bodyJson: 'Bad Gateway' });
  assert.equal(text.body, 'Bad Gateway');
  assert.deepEqual(new ValidationError('v').errors, []);
});

test('errors can be constructed directly with a cause', () => {
  const cause = new Error('root');
  const err = new ConnectionError('down', { cause, status: null });
  assert.equal(err.cause, cause);
  assert.equal(err.code, null);
  assert.equal(err.requestId, null);
});
