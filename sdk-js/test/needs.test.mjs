// A test whose prerequisite is missing (live server, Chromium, native builds)
// is skipped with the reason on a developer's machine, and fails under CI
// (CI=true or CI=1), so that CI cannot pass by skipping. Runs the real test
// files in a child `node --test` with the prerequisite taken away.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const sdkRoot = fileURLToPath(new URL('..', import.meta.url));

function runTestFile(file, env) {
  const childEnv = { ...process.env, ...env };
  // Without this the child reports to this runner instead of printing its results.
  delete childEnv.NODE_TEST_CONTEXT;
  for (const name of ['CI', 'MISMATCH_BASE_URL', 'MISMATCH_ADMIN_API_KEY', 'MISMATCH_API_KEY', 'MISMATCH_FLAKY_URL', 'MISMATCH_FIXTURES']) {
    if (!(name in env)) delete childEnv[name];
  }
  const result = spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], {
    cwd: sdkRoot,
    env: childEnv,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

test('without a live server the e2e test is skipped, or fails when CI is set', () => {
  const local = runTestFile('test/e2e.test.mjs', {});
  assert.equal(local.status, 0, local.out);
  assert.match(local.out, /# SKIP needs a live server: MISMATCH_BASE_URL/);

  for (const ci of ['true', '1']) {
    const inCI = runTestFile('test/e2e.test.mjs', { CI: ci });
    assert.notEqual(inCI.status, 0, `CI=${ci}: ${inCI.out}`);
    assert.match(inCI.out, /needs a live server: MISMATCH_BASE_URL.*CI is set, so this fails/);
  }
});

test('without Chromium the browser tests are skipped, or fail when CI is set', () => {
  const env = { CHROMIUM_PATH: '/nonexistent/chromium' };
  const local = runTestFile('test/browser.test.mjs', env);
  assert.equal(local.status, 0, local.out);
  assert.match(local.out, /# SKIP no Chromium at \/nonexistent\/chromium/);

  const inCI = runTestFile('test/browser.test.mjs', { ...env, CI: 'true' });
  assert.notEqual(inCI.status, 0, inCI.out);
  assert.match(inCI.out, /no Chromium at \/nonexistent\/chromium.*CI is set, so this fails/);
});

test('CI set to anything but true or 1 keeps skipping', () => {
  const result = runTestFile('test/e2e.test.mjs', { CI: 'false' });
  assert.equal(result.status, 0, result.out);
  assert.match(result.out, /# SKIP needs a live server/);
});
