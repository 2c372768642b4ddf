// Tests that need something from outside (a live server, Chromium, the native
// builds): outside CI a missing prerequisite skips the test with the reason;
// under CI (CI=true or CI=1, as CI services set it) it fails the test, so a
// broken CI setup cannot pass by skipping everything.
import { test } from 'node:test';

export const inCI = process.env.CI === 'true' || process.env.CI === '1';

/**
 * `test(name, options, fn)` that runs only when `missing` is false (or empty);
 * otherwise skipped with `missing` as the reason, or failed with it under CI.
 * @param {string} name
 * @param {string | false} missing why the test cannot run, or false
 * @param {import('node:test').TestOptions} options
 * @param {() => unknown} fn
 */
export function testNeeding(name, missing, options, fn) {
  if (!missing) return test(name, options, fn);
  if (!inCI) return test(name, { ...options, skip: missing }, fn);
  return test(name, options, () => {
    throw new Error(`${missing} (CI is set, so this fails instead of being skipped)`);
  });
}

/** Why a live-server test cannot run (the variables tests/run.sh sets), or false. */
export function liveServerMissing(names = ['MISMATCH_BASE_URL', 'MISMATCH_ADMIN_API_KEY', 'MISMATCH_FLAKY_URL', 'MISMATCH_FIXTURES']) {
  const missing = names.filter((name) => !process.env[name]);
  return missing.length > 0 ? `needs a live server: ${missing.join(', ')} not set` : false;
}
