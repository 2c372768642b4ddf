// End-to-end through the Node build against a live server. Needs
// MISMATCH_BASE_URL, MISMATCH_ADMIN_API_KEY, MISMATCH_FLAKY_URL and
// MISMATCH_FIXTURES (set by tests/run.sh); skipped otherwise, failed under CI.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { checkScenario, runScenario } from './scenario.js';
import { liveServerMissing, testNeeding } from './support/needs.mjs';

testNeeding('Node build: the end-to-end scenario against the live server', liveServerMissing(), { timeout: 120_000 }, async () => {
  const sdk = await import('mismatch-recruiter');
  const fixtures = process.env.MISMATCH_FIXTURES;
  const facts = await runScenario(sdk, {
    baseUrl: process.env.MISMATCH_BASE_URL,
    flakyUrl: process.env.MISMATCH_FLAKY_URL,
    adminKey: process.env.MISMATCH_ADMIN_API_KEY,
    resumeText: readFileSync(join(fixtures, 'resume.txt'), 'utf8'),
    resumePdf: new Uint8Array(readFileSync(join(fixtures, 'resume.pdf'))),
    stamp: `node${Date.now()}`,
  });
  checkScenario(assert, facts);
});
