// The matcher language of test/scenario.js against the verdicts of
// tests/scenario/matchers.json, and its `totp` action against the codes of
// tests/scenario/totp.json, without a server (the same cases run in Chromium
// in test/browser.test.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { checkMatcherCases, checkTotpCases, explainMismatch, resolve } from './scenario.js';
import { matcherCases, totpCases } from './support/scenario-data.mjs';

test('every case of matchers.json gets its verdict, or is a scenario error', () => {
  const cases = matcherCases();
  assert.ok(cases.length > 50, `only ${cases.length} cases`);
  assert.deepEqual(checkMatcherCases(cases), []);
});

test('every case of totp.json gives its code (WebCrypto HMAC-SHA-1), or is a scenario error', async () => {
  const cases = totpCases();
  assert.ok(cases.length >= 10, `only ${cases.length} cases`);
  assert.deepEqual(await checkTotpCases(cases), []);
});

test('a mismatch names the matcher path and the actual value', () => {
  const value = { items: [{ id: 'a', skills: [{ name: 'Go' }] }, { id: 'b', skills: [] }] };
  assert.equal(
    explainMismatch(value, { items: { $each: { skills: { $len: { $gte: 1 } } } } }),
    'at $.items.$each[1].skills.$len.$gte: length 0: not $gte 1, got []',
  );
  assert.equal(explainMismatch(value, { items: { $some: { id: 'a' } } }), null);
  assert.equal(explainMismatch({}, { id: 'x' }), 'at $.id: expected "x", got (absent)');
});

test('references keep the JSON type when alone and become text inside a string', () => {
  const scope = { job: { id: 'job_1', version: 3, tags: ['a'] } };
  assert.deepEqual(resolve({ v: '${job.version}', t: '${job.tags}', s: '"${job.version}" ${job.id}' }, scope), {
    v: 3,
    t: ['a'],
    s: '"3" job_1',
  });
});
