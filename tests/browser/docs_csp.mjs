// Swagger UI at /docs under the Content-Security-Policy the server sends,
// in headless Chromium (Debian's build, driven by the JS SDK's playwright-core):
// the page renders every operation of the served spec, "Try it out" reaches
// the API, and the browser reports no CSP violation. Run by tests/run.sh
// against its live server (MISMATCH_BASE_URL); without the server or
// Chromium the test is skipped, or fails under CI=true.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';

import { chromiumPath, launchBrowser } from '../../sdk-js/test/support/browser.mjs';
import { liveServerMissing, testNeeding } from '../../sdk-js/test/support/needs.mjs';

const base = process.env.MISMATCH_BASE_URL?.replace(/\/$/, '');
const missing =
  liveServerMissing(['MISMATCH_BASE_URL']) ||
  (!existsSync(chromiumPath) && `no Chromium at ${chromiumPath} (set CHROMIUM_PATH)`);

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

testNeeding('Swagger UI renders and calls the API under the /docs CSP (Chromium)', missing, { timeout: 120_000 }, async () => {
  const index = await fetch(`${base}/docs/`);
  assert.equal(index.status, 200);
  const csp = index.headers.get('content-security-policy');
  assert.ok(csp, 'no Content-Security-Policy on /docs/');
  assert.match(csp, /(^|; )script-src 'self'(;|$)/, csp);
  assert.doesNotMatch(csp, /unsafe-(inline|eval)/, csp);
  const spec = await (await fetch(`${base}/openapi.json`)).json();
  const operations = Object.values(spec.paths).flatMap((item) => Object.keys(item).filter((m) => HTTP_METHODS.has(m)));

  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    const problems = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err}`));
    page.on('console', (msg) => {
      if (/content security policy/i.test(msg.text())) problems.push(`console: ${msg.text()}`);
    });
    // Injected by the DevTools protocol, so the page's CSP does not block it.
    await page.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}`);
      });
    });
    const response = await page.goto(`${base}/docs/`);
    assert.equal(response.headers()['content-security-policy'], csp, 'the browser got the same policy');

    await page.waitForSelector('.opblock', { timeout: 60_000 });
    const title = await page.textContent('.info .title');
    assert.ok(title.includes(spec.info.title), `title: ${title}`);
    assert.equal(await page.locator('.opblock').count(), operations.length, 'one block per operation');

    // "Try it out" on GET /health/live: the page's fetch to this origin.
    const live = page.locator('#operations-health-getLiveness');
    await live.locator('.opblock-summary').click();
    await live.getByRole('button', { name: 'Try it out' }).click();
    await live.getByRole('button', { name: 'Execute' }).click();
    const status = live.locator('.live-responses-table tbody .response-col_status').first();
    await status.waitFor({ timeout: 30_000 });
    assert.equal((await status.textContent()).trim(), '200');

    // Violations are reported asynchronously; give them a moment.
    await page.waitForTimeout(500);
    const violations = await page.evaluate(() => window.__cspViolations);
    assert.deepEqual([...violations, ...problems], [], 'CSP violations or page errors');
  } finally {
    await browser.close();
  }
});
