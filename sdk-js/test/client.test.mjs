// The Node build (napi addon) against a stand-in server: interceptors,
// headers, retries, timeouts and typed errors. No real API server needed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as sdk from 'mismatch-recruiter';
import { FAKE_JOBS, LIVE_BODY, startFakeApi } from './support/fake-api.mjs';
import { startServer } from './support/http.mjs';

const { Client, OPERATIONS } = sdk;
let api;

before(async () => {
  api = await startFakeApi({ delayMs: 1500 });
});
after(() => api.close());

/** Runs `fn` with environment variables set (undefined: removed), then restores them. */
function withEnv(vars, fn) {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const apply = (values) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(vars);
  try {
    return fn();
  } finally {
    apply(saved);
  }
}

function lastRequest(path) {
  return api.requests.filter((r) => r.url.startsWith(path)).at(-1);
}

test('an interceptor adds headers and observes the request and the response', async () => {
  const requests = [];
  const responses = [];
  const client = new Client({ baseUrl: api.url, apiKey: 'mm_test_key' });
  const returned = client.use({
    async onRequest(req) {
      requests.push({ ...req, headers: { ...req.headers } });
      await new Promise((resolve) => setTimeout(resolve, 1));
      req.headers['x-trace'] = 'trace-123';
    },
    onResponse(res) {
      responses.push(res);
    },
  });
  assert.equal(returned, client, 'use() chains');

  const body = await client.getLiveness({ headers: { 'x-caller': 'test' } });
  assert.deepEqual(body, LIVE_BODY);

  const seen = lastRequest('/health/live');
  assert.equal(seen.headers['x-trace'], 'trace-123', 'header added by the interceptor reached the server');
  assert.equal(seen.headers['x-caller'], 'test', 'per-call header reached the server');
  assert.equal(seen.headers.authorization, 'Bearer mm_test_key');
  assert.match(seen.headers['user-agent'], /^mismatch-recruiter-node\//);

  assert.equal(requests.length, 1);
  assert.equal(requests[0].operationId, 'getLiveness');
  assert.equal(requests[0].method, 'GET');
  assert.equal(requests[0].path, '/health/live');
  assert.deepEqual(requests[0].headers, { 'x-caller': 'test' });

  assert.equal(responses.length, 1);
  const res = responses[0];
  assert.equal(res.operationId, 'getLiveness');
  assert.equal(res.method, 'GET');
  assert.equal(res.path, '/health/live');
  assert.equal(res.status, 200);
  assert.equal(res.ok, true);
  assert.match(res.requestId, /^req-\d+$/);
  assert.equal(res.attempts, 1);
  assert.ok(res.durationMs > 0);
  assert.deepEqual(res.body, LIVE_BODY);
});

test('interceptors given to the constructor run in order and see failures too', async () => {
  const order = [];
  const client = new Client({
    baseUrl: api.url,
    interceptors: [
      { onRequest: () => order.push('a:req'), onResponse: (r) => order.push(`a:${r.status}`) },
      { onRequest: () => order.push('b:req'), onResponse: (r) => order.push(`b:${r.error?.name}`) },
    ],
  });
  await assert.rejects(client.getCandidate('cand_nope'), sdk.NotFoundError);
  assert.deepEqual(order, ['a:req', 'b:req', 'a:404', 'b:NotFoundError']);
});

test('a 404 problem becomes NotFoundError with status, code, requestId and body', async () => {
  const client = new Client({ baseUrl: api.url });
  const err = await client.getCandidate('cand_x/y').catch((e) => e);
  assert.ok(err instanceof sdk.NotFoundError);
  assert.ok(err instanceof sdk.APIError);
  assert.ok(err instanceof sdk.MismatchError);
  assert.equal(err.status, 404);
  assert.equal(err.code, 'not_found');
  assert.match(err.requestId, /^req-\d+$/);
  assert.equal(err.body.detail, 'candidate cand_x/y does not exist', 'path parameters are escaped');
  assert.equal(err.message, 'candidate cand_x/y does not exist');
  assert.equal(err.operationId, 'getCandidate');
});

test('a 503 with Retry-After is retried and the interceptor sees two attempts', async () => {
  let attempts = null;
  const client = new Client({ baseUrl: api.url, maxRetries: 2 });
  client.use({ onResponse: (r) => (attempts = r.attempts) });
  const raw = await client.call('getLiveness', {}, { headers: { 'x-fail-first': '1' } });
  assert.equal(raw.status, 200);
  assert.equal(raw.attempts, 2);
  assert.equal(attempts, 2);
  assert.deepEqual(raw.body, LIVE_BODY);
});

test('a 429 is retried after its Retry-After, capped by maxRetryDelayMs, then a RateLimitError', async () => {
  // The server's answer over a rate limit (server/src/rate_limit.rs).
  let retryAfter = '1';
  let served = 0;
  const limited = await startServer((req, res) => {
    served += 1;
    if (served % 2 === 1 || retryAfter !== '1') {
      res.writeHead(429, {
        'content-type': 'application/problem+json',
        'retry-after': retryAfter,
        'ratelimit-limit': '3',
        'ratelimit-remaining': '0',
        'ratelimit-reset': '60',
      });
      res.end(JSON.stringify({ type: 'https://docs.mismatch.dev/errors/rate_limited', title: 'Too Many Requests', status: 429, detail: 'too many requests from this address', code: 'rate_limited', request_id: 'req-rl', errors: [] }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(LIVE_BODY));
  });
  try {
    let started = performance.now();
    const raw = await new Client({ baseUrl: limited.url, maxRetries: 1 }).call('getLiveness', {});
    let waited = performance.now() - started;
    assert.equal(raw.status, 200);
    assert.equal(raw.attempts, 2);
    assert.ok(waited >= 950 && waited < 5000, `waited ${waited} ms`);

    retryAfter = '3600';
    started = performance.now();
    const client = new Client({ baseUrl: limited.url, maxRetries: 1, maxRetryDelayMs: 200 });
    const err = await client.getLiveness().catch((e) => e);
    waited = performance.now() - started;
    assert.ok(err instanceof sdk.RateLimitError, `got ${err}`);
    assert.equal(err.status, 429);
    assert.equal(err.code, 'rate_limited');
    assert.ok(waited >= 190 && waited < 3000, `waited ${waited} ms`);
    assert.equal(served, 4);
  } finally {
    await limited.close();
  }
});

test('retries of a POST reuse one Idempotency-Key; maxRetries bounds them', async () => {
  const client = new Client({ baseUrl: api.url, maxRetries: 1, maxRetryDelayMs: 10 });
  const before = api.requests.length;
  const err = await client.createJob({ title: 't', description: 'd' }, { idempotencyKey: 'idem-1' }).catch((e) => e);
  assert.ok(err instanceof sdk.ServerError, `got ${err}`);
  assert.equal(err.status, 503);
  assert.equal(err.code, 'unavailable');
  const posts = api.requests.slice(before).filter((r) => r.method === 'POST');
  assert.equal(posts.length, 2, 'one retry');
  assert.deepEqual(
    posts.map((r) => r.headers['idempotency-key']),
    ['idem-1', 'idem-1'],
  );
  assert.deepEqual(JSON.parse(posts[0].body.toString()), { title: 't', description: 'd' });

  const generated = new Client({ baseUrl: api.url, maxRetries: 1, maxRetryDelayMs: 10 });
  const start = api.requests.length;
  await assert.rejects(generated.createJob({ title: 't', description: 'd' }), sdk.ServerError);
  const keys = api.requests.slice(start).map((r) => r.headers['idempotency-key']);
  assert.equal(keys.length, 2);
  assert.ok(keys[0] && keys[0] === keys[1], 'the SDK made one key and reused it');

  const none = new Client({ baseUrl: api.url, maxRetries: 0 });
  const onlyOnce = api.requests.length;
  await assert.rejects(none.createJob({ title: 't', description: 'd' }), sdk.ServerError);
  assert.equal(api.requests.length - onlyOnce, 1, 'maxRetries 0 means one attempt');
});

test('timeouts and refused connections are ConnectionError subclasses', async () => {
  const slow = new Client({ baseUrl: `${api.url}/slow`, timeoutMs: 200, maxRetries: 0 });
  const timeout = await slow.getLiveness().catch((e) => e);
  assert.ok(timeout instanceof sdk.TimeoutError, `got ${timeout}`);
  assert.ok(timeout instanceof sdk.ConnectionError);
  assert.equal(timeout.status, null);

  const closed = await startServer(() => {});
  const url = closed.url;
  await closed.close();
  const refused = await new Client({ baseUrl: url, maxRetries: 0 }).getLiveness().catch((e) => e);
  assert.ok(refused instanceof sdk.ConnectionError, `got ${refused}`);
  assert.ok(!(refused instanceof sdk.TimeoutError));
});

test('bad arguments reject with InvalidArgumentError before anything is sent', async () => {
  const client = new Client({ baseUrl: api.url });
  const sent = api.requests.length;
  const promise = client.getCandidate('');
  assert.ok(promise instanceof Promise, 'methods never throw synchronously');
  await assert.rejects(promise, sdk.InvalidArgumentError);
  await assert.rejects(client.createJob(), sdk.InvalidArgumentError);
  await assert.rejects(client.listJobs({ nope: 1 }), /unknown parameter `nope`/);
  await assert.rejects(client.call('noSuchOperation'), sdk.InvalidArgumentError);
  await assert.rejects(client.getLiveness({ headers: { 'bad header': 'x' } }), sdk.InvalidArgumentError);
  assert.equal(api.requests.length, sent);

  withEnv({ MISMATCH_BASE_URL: undefined }, () => {
    assert.throws(() => new Client({}), sdk.InvalidArgumentError);
  });
  assert.throws(() => new Client({ baseUrl: api.url, timeout: 5 }), /unknown client option `timeout`/);
  assert.throws(() => new Client({ baseUrl: api.url, maxRetries: -1 }), sdk.InvalidArgumentError);
  assert.throws(() => new Client({ baseUrl: api.url, timeoutMs: 2 ** 32 }), sdk.InvalidArgumentError);
  assert.throws(() => new Client({ baseUrl: api.url, interceptors: {} }), /must be an array/);
  assert.throws(() => new Client({ baseUrl: 'ftp://example.invalid' }), sdk.InvalidArgumentError);
  assert.throws(() => new Client({ baseUrl: api.url }).use({ onRequest: 'no' }), sdk.InvalidArgumentError);
});

test('MISMATCH_BASE_URL and MISMATCH_API_KEY are the defaults of baseUrl and apiKey; options win', async () => {
  const closed = await startServer(() => {});
  const unreachable = closed.url;
  await closed.close();

  // Read when the client is made, not when the module was imported.
  const fromEnv = withEnv({ MISMATCH_BASE_URL: api.url, MISMATCH_API_KEY: 'mm_from_env' }, () => new Client());
  assert.deepEqual(await fromEnv.getLiveness({ headers: { 'x-case': 'env' } }), LIVE_BODY);
  const envRequest = api.requests.findLast((r) => r.headers['x-case'] === 'env');
  assert.equal(envRequest.headers.authorization, 'Bearer mm_from_env');

  const explicit = withEnv(
    { MISMATCH_BASE_URL: unreachable, MISMATCH_API_KEY: 'mm_from_env' },
    () => new Client({ baseUrl: api.url, apiKey: 'mm_explicit', maxRetries: 0 }),
  );
  await explicit.getLiveness({ headers: { 'x-case': 'explicit' } });
  const explicitRequest = api.requests.findLast((r) => r.headers['x-case'] === 'explicit');
  assert.equal(explicitRequest.headers.authorization, 'Bearer mm_explicit', 'an explicit apiKey wins');

  // Blank variables count as unset.
  withEnv({ MISMATCH_BASE_URL: '  ', MISMATCH_API_KEY: '' }, () => {
    assert.throws(() => new Client(), { name: 'InvalidArgumentError', message: /pass it or set MISMATCH_BASE_URL/ });
  });
  const keyless = withEnv({ MISMATCH_BASE_URL: undefined, MISMATCH_API_KEY: '' }, () => new Client({ baseUrl: api.url }));
  await keyless.getLiveness({ headers: { 'x-case': 'keyless' } });
  assert.equal(api.requests.findLast((r) => r.headers['x-case'] === 'keyless').headers.authorization, undefined);

  // An explicit invalid value is an error, not a reason to fall back.
  withEnv({ MISMATCH_BASE_URL: api.url }, () => {
    assert.throws(() => new Client({ baseUrl: '' }), sdk.InvalidArgumentError);
  });
});

test('binary bodies may be bytes, an ArrayBuffer or a Blob; anything else is rejected', async () => {
  const client = new Client({ baseUrl: api.url, maxRetries: 0 });
  const text = 'Resume: Python, PostgreSQL';
  const bytes = new TextEncoder().encode(text);
  for (const data of [bytes, bytes.buffer, new Blob([text], { type: 'text/plain' })]) {
    const before = api.requests.length;
    await client.uploadCandidate(data, { filename: 'cv.txt' }).catch(() => undefined);
    const sent = api.requests.slice(before).find((r) => r.url.startsWith('/v1/candidates/upload'));
    assert.equal(sent.body.toString(), text, `${data.constructor.name} body`);
    assert.equal(new URL(sent.url, 'http://x').searchParams.get('filename'), 'cv.txt');
  }
  await assert.rejects(client.uploadCandidate(text, { filename: 'cv.txt' }), sdk.InvalidArgumentError);
});

test('query parameters are sent under their spec names', async () => {
  const client = new Client({ baseUrl: api.url, maxRetries: 0 });
  const page = await client.listJobs({ limit: 2, cursor: '3' });
  const seen = lastRequest('/v1/jobs');
  const query = new URL(seen.url, 'http://x').searchParams;
  assert.equal(query.get('limit'), '2');
  assert.equal(query.get('cursor'), '3');
  assert.deepEqual(
    page.items.map((job) => job.id),
    ['job_3', 'job_4'],
  );
  assert.equal(page.next_cursor ?? null, null);
});

test('paginate() walks every page lazily and only for list operations', async () => {
  const client = new Client({ baseUrl: api.url, maxRetries: 0 });
  const before = api.requests.length;
  const ids = [];
  for await (const job of client.paginate('listJobs', { limit: 2 })) ids.push(job.id);
  assert.deepEqual(ids, FAKE_JOBS.map((job) => job.id));
  const cursors = api.requests.slice(before).map((r) => new URL(r.url, 'http://x').searchParams.get('cursor'));
  assert.deepEqual(cursors, [null, '2', '4']);

  const first = api.requests.length;
  for await (const job of client.paginate('listJobs', { limit: 2 })) {
    assert.equal(job.id, 'job_0');
    break;
  }
  assert.equal(api.requests.length - first, 1, 'stopping early fetches no further page');

  await assert.rejects(client.paginate('getLiveness').next(), sdk.InvalidArgumentError);
  await assert.rejects(client.paginate('listJobs', { cursor: 'x' }).next(), /without `cursor`/);
});

test('the JS operation table, the generated methods and the native addon agree', () => {
  const names = Object.getOwnPropertyNames(Client.prototype);
  for (const id of Object.keys(OPERATIONS)) assert.ok(names.includes(id), `Client.prototype lacks ${id}`);
  assert.deepEqual([...sdk.nativeOperationIds()].sort(), Object.keys(OPERATIONS).sort());
});
