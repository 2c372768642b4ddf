// Runs the examples against the live server: examples/js/quickstart.mjs (node),
// examples/js/quickstart.ts (tsx) and examples/browser (Chromium, wasm build).
// Needs MISMATCH_BASE_URL and an API key (MISMATCH_API_KEY or
// MISMATCH_ADMIN_API_KEY), and `npm ci` in examples/js; skipped without them,
// failed under CI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { browserSkipReason, launchBrowser } from './support/browser.mjs';
import { startStaticServer } from './support/http.mjs';
import { testNeeding } from './support/needs.mjs';

const sdkRoot = fileURLToPath(new URL('..', import.meta.url));
const examples = fileURLToPath(new URL('../../examples/', import.meta.url));
const baseUrl = process.env.MISMATCH_BASE_URL;
const apiKey = process.env.MISMATCH_API_KEY ?? process.env.MISMATCH_ADMIN_API_KEY;
const skipServer = !baseUrl || !apiKey ? 'needs MISMATCH_BASE_URL and MISMATCH_API_KEY (a live server)' : false;
const installed = existsSync(join(examples, 'js', 'node_modules', 'mismatch-recruiter'));
const skipNode = skipServer || (installed ? false : 'run `npm ci` in examples/js first');

function runExample(command, args) {
  const result = spawnSync(command, args, {
    cwd: join(examples, 'js'),
    encoding: 'utf8',
    env: { ...process.env, MISMATCH_BASE_URL: baseUrl, MISMATCH_API_KEY: apiKey },
    timeout: 120_000,
  });
  assert.equal(result.status, 0, `${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

testNeeding('examples/js/quickstart.mjs runs', skipNode, { timeout: 130_000 }, () => {
  const out = runExample(process.execPath, ['quickstart.mjs']);
  assert.match(out, /candidate cand_\S+: .*Python/);
  assert.match(out, /missing candidate: 404 not_found/);
  assert.match(out, /quickstart \(JavaScript\) done/);
});

testNeeding('examples/js/quickstart.ts runs (tsx)', skipNode, { timeout: 130_000 }, () => {
  const tsx = join(examples, 'js', 'node_modules', '.bin', 'tsx');
  const out = runExample(tsx, ['quickstart.ts']);
  assert.match(out, /match: score [\d.]+ \(\w+\)/);
  assert.match(out, /salary: [\d.]+ <= [\d.]+ <= [\d.]+ USD/);
  assert.match(out, /quickstart \(TypeScript\) done/);
});

testNeeding('examples/browser parses a resume in Chromium', skipServer || browserSkipReason(sdkRoot), { timeout: 120_000 }, async () => {
  const files = await startStaticServer({ '/sdk-js/': sdkRoot, '/examples/': examples });
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (err) => errors.push(String(err)));
    await page.goto(`${files.url}/examples/browser/index.html`);
    await page.waitForSelector('#output[data-state="ready"]', { timeout: 60_000 });
    await page.fill('#base-url', baseUrl);
    await page.fill('#api-key', apiKey);
    await page.click('#parse');
    await page.waitForSelector('#output[data-state="done"], #output[data-state="error"]', { timeout: 60_000 });
    const text = await page.textContent('#output');
    assert.equal(await page.getAttribute('#output', 'data-state'), 'done', text);
    assert.match(text, /Candidate cand_/);
    assert.match(text, /Skills: .*Python/);
    assert.match(text, /POST \/v1\/candidates → 201/);

    const pdf = process.env.MISMATCH_FIXTURES && join(process.env.MISMATCH_FIXTURES, 'resume.pdf');
    if (pdf && existsSync(pdf)) {
      await page.setInputFiles('#file', pdf);
      await page.click('#upload');
      await page.waitForSelector('#output:not([data-state="busy"])', { timeout: 60_000 });
      const uploaded = await page.textContent('#output');
      assert.equal(await page.getAttribute('#output', 'data-state'), 'done', uploaded);
      assert.match(uploaded, /Candidate cand_\S+ from resume\.pdf/);
      assert.match(uploaded, /POST \/v1\/candidates\/upload → 201/);
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await files.close();
  }
});
