// Runs in Chromium against the tiny CORS server of test/browser.test.mjs:
// interceptors, header injection, retries and error mapping of the wasm build.

async function failure(sdk, promise) {
  try {
    await promise;
    return null;
  } catch (err) {
    return {
      name: err.name,
      message: err.message,
      status: err.status,
      code: err.code,
      requestId: err.requestId,
      isNotFoundError: err instanceof sdk.NotFoundError,
      isMismatchError: err instanceof sdk.MismatchError,
      isConnectionError: err instanceof sdk.ConnectionError,
      isInvalidArgumentError: err instanceof sdk.InvalidArgumentError,
    };
  }
}

export async function runSmoke(sdk, baseUrl, closedUrl) {
  const seen = [];
  const client = new sdk.Client({ baseUrl, apiKey: 'mm_browser_smoke', maxRetries: 2, maxRetryDelayMs: 10 });
  client.use({
    onRequest(req) {
      req.headers['x-trace'] = `trace-${req.operationId}`;
    },
    onResponse(res) {
      seen.push({
        operationId: res.operationId,
        method: res.method,
        path: res.path,
        status: res.status,
        requestId: res.requestId,
        attempts: res.attempts,
        durationMs: res.durationMs,
        ok: res.ok,
      });
    },
  });
  const live = await client.getLiveness();
  const retried = await client.call('getLiveness', {}, { headers: { 'x-fail-first': '1' } });
  const notFound = await failure(sdk, client.getCandidate('cand_missing'));
  const badArgument = await failure(sdk, client.getCandidate(''));
  const refused = await failure(
    sdk,
    new sdk.Client({ baseUrl: closedUrl, maxRetries: 0 }).getLiveness(),
  );
  return {
    live,
    retried: { status: retried.status, attempts: retried.attempts, requestId: retried.requestId },
    notFound,
    badArgument,
    refused,
    seen,
    methods: Object.getOwnPropertyNames(sdk.Client.prototype),
    operations: Object.keys(sdk.OPERATIONS),
    nativeOperations: sdk.nativeOperationIds(),
  };
}
