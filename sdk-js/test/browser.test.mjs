// The browser build (wasm) in headless Chromium: a smoke test against a
// stand-in server, the matcher cases of tests/scenario/matchers.json and the
// totp cases of tests/scenario/totp.json (always), and the scenario of tests/scenario/recruiting.json, played by
// test/scenario.js inside the page, against the live server when
// MISMATCH_BASE_URL etc. are set. The page and the package are served from a
// static server on 127.0.0.1:0. Without Chromium, the wasm build or the
// server, the tests are skipped, or fail under CI.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';

import { browserSkipReason, launchBrowser } from './support/browser.mjs';
import { LIVE_BODY, startFakeApi } from './support/fake-api.mjs';
import { startStaticServer } from './support/http.mjs';
import { liveServerMissing, testNeeding } from './support/needs.mjs';
import { LIVE_VARIABLES, liveEnv, matcherCases, recruitingScenario, totpCases } from './support/scenario-data.mjs';
import { assertSdkFacts } from './support/sdk-checks.js';

const sdkRoot = fileURLToPath(new URL('..', import.meta.url));
const skipBrowser = browserSkipReason(sdkRoot);
const skipE2e = skipBrowser || liveServerMissing(LIVE_VARIABLES);

let browser;
let page;
let pages;
const pageErrors = [];
const consoleErrors = [];

before(async () => {
  if (skipBrowser) return;
  pages = await startStaticServer({ '/sdk/': sdkRoot });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  // Failed fetches (404, refused) are logged as console errors by design, so
  // they are kept for diagnostics only; uncaught exceptions fail the tests.
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  await page.goto(`${pages.url}/sdk/test/browser/page.html`);
  await page.waitForFunction(() => window.sdkReady === true, null, { timeout: 60_000 });
});

after(async () => {
  await browser?.close();
  await pages?.close();
});

testNeeding('browser build: interceptors, retries and typed errors against a stand-in server', skipBrowser, { timeout: 60_000 }, async () => {
  const api = await startFakeApi();
  const closed = await startStaticServer({});
  await closed.close();
  try {
    const result = await page.evaluate(([url, closedUrl]) => window.runSmoke(url, closedUrl), [api.url, closed.url]);
    assert.deepEqual(result.live, LIVE_BODY);

    const live = api.requests.find((r) => r.method === 'GET' && r.url === '/health/live');
    assert.equal(live.headers['x-trace'], 'trace-getLiveness', 'interceptor header reached the server');
    assert.equal(live.headers.authorization, 'Bearer mm_browser_smoke');

    assert.equal(result.retried.status, 200);
    assert.equal(result.retried.attempts, 2, 'the 503 was retried');
    assert.match(result.retried.requestId, /^req-\d+$/, 'x-request-id is readable (exposed by CORS)');

    assert.equal(result.notFound.name, 'NotFoundError');
    assert.ok(result.notFound.isNotFoundError && result.notFound.isMismatchError);
    assert.equal(result.notFound.status, 404);
    assert.equal(result.notFound.code, 'not_found');
    assert.match(result.notFound.requestId, /^req-\d+$/);

    assert.equal(result.badArgument.name, 'InvalidArgumentError', 'rejected before any request, so interceptors never see it');
    assert.ok(result.refused.isConnectionError, `refused connection: ${JSON.stringify(result.refused)}`);
    assert.ok(!result.refused.message.includes('\n'), 'error messages are one line, without JS stack traces');

    const first = result.seen[0];
    assert.equal(first.operationId, 'getLiveness');
    assert.equal(first.method, 'GET');
    assert.equal(first.path, '/health/live');
    assert.equal(first.status, 200);
    assert.equal(first.attempts, 1);
    assert.ok(first.durationMs > 0);
    assert.deepEqual(
      result.seen.map((r) => [r.operationId, r.status, r.attempts]),
      [
        ['getLiveness', 200, 1],
        ['getLiveness', 200, 2],
        ['getCandidate', 404, 1],
      ],
    );

    for (const id of result.operations) assert.ok(result.methods.includes(id), `browser Client lacks ${id}`);
    assert.deepEqual([...result.nativeOperations].sort(), [...result.operations].sort());
    assert.deepEqual(pageErrors, [], `uncaught page errors (console errors: ${consoleErrors.join(' | ')})`);
  } finally {
    await api.close();
  }
});

testNeeding('browser build: every case of matchers.json gets its verdict in Chromium', skipBrowser, { timeout: 30_000 }, async () => {
  assert.deepEqual(await page.evaluate((cases) => window.checkMatcherCases(cases), matcherCases()), []);
});

testNeeding('browser build: every case of totp.json gives its code in Chromium (WebCrypto)', skipBrowser, { timeout: 30_000 }, async () => {
  assert.deepEqual(await page.evaluate((cases) => window.checkTotpCases(cases), totpCases()), []);
});

testNeeding('browser build: tests/scenario/recruiting.json against the live server', skipE2e, { timeout: 180_000 }, async () => {
  const { scenario, files } = recruitingScenario();
  const encoded = Object.fromEntries(
    Object.entries(files).map(([name, file]) => [
      name,
      typeof file === 'string' ? file : { base64: Buffer.from(file).toString('base64') },
    ]),
  );
  const result = await page.evaluate(([s, env, f]) => window.runScenario(s, env, f), [scenario, liveEnv('browser'), encoded]);
  if (!result.ok) assert.fail(result.message);
  assert.equal(result.steps, scenario.steps.length);
  assert.deepEqual(pageErrors, [], `uncaught page errors (console errors: ${consoleErrors.join(' | ')})`);
});

testNeeding('browser build: interceptors and error classes against the live server', skipE2e, { timeout: 60_000 }, async () => {
  assertSdkFacts(assert, await page.evaluate((env) => window.collectSdkFacts(env), liveEnv('browser-checks')));
});
