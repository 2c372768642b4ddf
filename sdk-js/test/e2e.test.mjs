// End-to-end through the Node build against a live server: the scenario of
// tests/scenario/recruiting.json played by test/scenario.js, then the few
// JS-specific checks the data cannot express. Needs MISMATCH_BASE_URL,
// MISMATCH_ADMIN_API_KEY and MISMATCH_FLAKY_URL (set by tests/run.sh); skipped
// otherwise, failed under CI.
import assert from 'node:assert/strict';

import { runScenario } from './scenario.js';
import { liveServerMissing, testNeeding } from './support/needs.mjs';
import { LIVE_VARIABLES, liveEnv, recruitingScenario } from './support/scenario-data.mjs';
import { assertSdkFacts, collectSdkFacts } from './support/sdk-checks.js';

const missing = liveServerMissing(LIVE_VARIABLES);

testNeeding('Node build: tests/scenario/recruiting.json against the live server', missing, { timeout: 120_000 }, async () => {
  const sdk = await import('mismatch-recruiter');
  const { scenario, files } = recruitingScenario();
  const { steps } = await runScenario(sdk, scenario, liveEnv('node'), files);
  assert.equal(steps, scenario.steps.length);
});

testNeeding('Node build: interceptors and error classes against the live server', missing, { timeout: 60_000 }, async () => {
  const sdk = await import('mismatch-recruiter');
  assertSdkFacts(assert, await collectSdkFacts(sdk, liveEnv('node-checks')));
});
