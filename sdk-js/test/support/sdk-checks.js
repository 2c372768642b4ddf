// What the scenario data cannot say about the JS SDK, against the live server:
// interceptors see each response's operationId, method, concrete path, status,
// attempts (2 after a retried 503), request id and duration, and failures are
// instances of the error class hierarchy. Like test/scenario.js it imports
// nothing, so it runs in Node and in Chromium; `assertSdkFacts` runs in Node.

/** Collects the facts (plain JSON, so they cross page.evaluate). */
export async function collectSdkFacts(sdk, env) {
  const seen = [];
  const recorder = {
    onResponse(res) {
      const { operationId, method, path, status, attempts, requestId, durationMs } = res;
      seen.push({ operationId, method, path, status, attempts, requestId, durationMs, error: res.error?.name ?? null });
    },
  };
  const admin = new sdk.Client({ baseUrl: env.baseUrl, apiKey: env.adminKey, interceptors: [recorder] });
  const missingId = `cand_missing_${env.stamp}`;
  let notFound = null;
  try {
    await admin.getCandidate(missingId);
  } catch (err) {
    notFound = {
      name: err.name,
      classes: ['Error', 'MismatchError', 'APIError', 'NotFoundError', 'ValidationError'].filter((name) =>
        name === 'Error' ? err instanceof Error : err instanceof sdk[name],
      ),
      operationId: err.operationId,
    };
  }
  // The flaky proxy fails the first attempt of every new POST with a 503.
  const flaky = new sdk.Client({ baseUrl: env.flakyUrl, apiKey: env.adminKey, maxRetries: 2, interceptors: [recorder] });
  await flaky.createJob({ title: `Interceptor check ${env.stamp}`, description: 'seen by an interceptor after a retry' });
  return { missingId, notFound, seen };
}

export function assertSdkFacts(assert, facts) {
  assert.deepEqual(facts.notFound, {
    name: 'NotFoundError',
    classes: ['Error', 'MismatchError', 'APIError', 'NotFoundError'],
    operationId: 'getCandidate',
  });
  const [missing, created] = facts.seen;
  assert.equal(facts.seen.length, 2, JSON.stringify(facts.seen));
  assert.deepEqual(
    { ...missing, requestId: typeof missing.requestId, durationMs: missing.durationMs > 0 },
    {
      operationId: 'getCandidate',
      method: 'GET',
      path: `/v1/candidates/${facts.missingId}`,
      status: 404,
      attempts: 1,
      requestId: 'string',
      durationMs: true,
      error: 'NotFoundError',
    },
  );
  assert.deepEqual(
    { ...created, requestId: typeof created.requestId, durationMs: created.durationMs > 0 },
    {
      operationId: 'createJob',
      method: 'POST',
      path: '/v1/jobs',
      status: 201,
      attempts: 2,
      requestId: 'string',
      durationMs: true,
      error: null,
    },
  );
}
