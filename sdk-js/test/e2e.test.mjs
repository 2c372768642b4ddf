// End-to-end through the Node build against a live server. Needs
// MISMATCH_BASE_URL, MISMATCH_ADMIN_API_KEY, MISMATCH_FLAKY_URL and
// MISMATCH_FIXTURES (set by tests/run.sh); skipped otherwise.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { checkScenario, runScenario } from './scenario.js';

const required = ['MISMATCH_BASE_URL', 'MISMATCH_ADMIN_API_KEY', 'MISMATCH_FLAKY_URL', 'MISMATCH_FIXTURES'];
const missing = required.filter((name) => !process.env[name]);
const skip = missing.length > 0 ? `needs a live server: ${missing.join(', ')} not set` : false;

test('Node build: the end-to-end scenario against the live server', { skip, timeout: 120_000 }, async () => {
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
