// Sessions in both builds: login (and its second step), the access token in
// place of the API key, renewal before expiry shared by concurrent calls,
// resume and logout. Against the stand-in of test/support/fake-auth.mjs in
// Node and in headless Chromium (wasm), and against the live server when
// MISMATCH_BASE_URL and MISMATCH_ADMIN_API_KEY are set (tests/run.sh), with
// a real second factor: the TOTP code is computed here (RFC 6238, node:crypto)
// from the enrolment secret. Skipped without Chromium or a server, failed
// under CI. The live test makes no failed login: the server counts those per
// address, and every suite of the test run shares 127.0.0.1.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { browserSkipReason, launchBrowser } from './support/browser.mjs';
import { API_KEY, GOOD_CODE, TWO_FACTOR_EMAIL, USER, startFakeAuth } from './support/fake-auth.mjs';
import { startStaticServer } from './support/http.mjs';
import { liveServerMissing, testNeeding } from './support/needs.mjs';

const sdkRoot = fileURLToPath(new URL('..', import.meta.url));

test('Node build: after login every call carries the access token, renewed once for concurrent calls, until logout', async () => {
  const { Client } = await import('mismatch-recruiter');
  const api = await startFakeAuth();
  try {
    // The first session expires at once, the next one lives an hour.
    api.state.lifetimes.push(0);
    api.state.refreshDelayMs = 100;
    const client = new Client({ baseUrl: api.url, apiKey: API_KEY, maxRetries: 0 });
    assert.equal(client.session(), null);
    assert.equal(client.sessionRefreshToken(), null);
    await client.getCurrentUser();

    const result = await client.login('ada@example.com', 'secret');
    assert.equal(result.twoFactorRequired, false);
    assert.deepEqual(result.session, {
      accessTokenExpiresAt: '2026-01-01T01:00:00.000Z',
      refreshTokenExpiresAt: '2026-01-31T00:00:00.000Z',
      renewable: true,
    });
    assert.deepEqual(client.session(), result.session);
    assert.equal(client.sessionRefreshToken(), 'mmr_1');

    const users = await Promise.all(Array.from({ length: 6 }, () => client.getCurrentUser()));
    assert.deepEqual(users, Array(6).fill(USER));
    assert.equal(client.sessionRefreshToken(), 'mmr_2', 'the token was renewed and rotated');

    await client.logout();
    assert.equal(client.session(), null);
    await client.getCurrentUser();
    await client.logout(); // nothing left to end

    const seen = api.seen();
    assert.deepEqual(
      seen.map((r) => r.path),
      ['/v1/users/me', '/v1/auth/login', '/v1/auth/refresh', ...Array(6).fill('/v1/users/me'), '/v1/auth/logout', '/v1/users/me'],
      'one refresh for six concurrent calls: refresh tokens are single-use',
    );
    const key = `Bearer ${API_KEY}`;
    assert.deepEqual(
      seen.map((r) => r.authorization),
      [key, null, null, ...Array(6).fill('Bearer eyJ.access.2'), null, key],
    );
    for (const r of seen.filter((r) => r.path.startsWith('/v1/auth/'))) {
      assert.equal(r.idempotencyKey, null, `${r.path} carries its credentials in the body only`);
    }
    assert.deepEqual(seen[1].body, { email: 'ada@example.com', password: 'secret' });
    assert.deepEqual(seen[2].body, { refresh_token: 'mmr_1' });
    assert.deepEqual(seen[9].body, { refresh_token: 'mmr_2' });
  } finally {
    await api.close();
  }
});

test('Node build: the second login step, resume and typed errors', async () => {
  const sdk = await import('mismatch-recruiter');
  const api = await startFakeAuth();
  try {
    const client = new sdk.Client({ baseUrl: api.url, maxRetries: 0 });
    await assert.rejects(client.login('ada@example.com', 'wrong'), (err) => {
      assert.ok(err instanceof sdk.AuthenticationError);
      assert.equal(err.code, 'invalid_credentials');
      assert.equal(err.operationId, 'createSession');
      return true;
    });
    const challenge = await client.login(TWO_FACTOR_EMAIL, 'secret');
    assert.deepEqual(challenge, {
      twoFactorRequired: true,
      challengeToken: 'eyJ.challenge.1',
      challengeExpiresAt: '2026-01-01T00:05:00.000Z',
    });
    assert.equal(client.session(), null, 'not logged in before the second step');
    await assert.rejects(client.loginSecondFactor(challenge.challengeToken, '000000'), (err) => {
      assert.ok(err instanceof sdk.AuthenticationError);
      assert.equal(err.code, 'invalid_two_factor_code');
      return true;
    });
    const session = await client.loginSecondFactor(challenge.challengeToken, GOOD_CODE);
    assert.equal(session.renewable, true);
    await client.getCurrentUser();
    assert.equal(api.seen().at(-1).authorization, 'Bearer eyJ.access.1');

    // Another client continues the login from the kept refresh token.
    const kept = client.sessionRefreshToken();
    const later = new sdk.Client({ baseUrl: api.url, maxRetries: 0 });
    assert.deepEqual(await later.resumeSession(kept), session);
    await later.getCurrentUser();
    assert.equal(api.seen().at(-1).authorization, 'Bearer eyJ.access.2');
    // The kept token is spent now: presenting it again is refused.
    await assert.rejects(new sdk.Client({ baseUrl: api.url }).resumeSession(kept), sdk.AuthenticationError);

    for (const [call, name] of [
      [() => client.login('', 'x'), 'email'],
      [() => client.login('a@example.com', 42), 'password'],
      [() => client.loginSecondFactor('eyJ', undefined), 'code'],
      [() => client.resumeSession(''), 'refreshToken'],
    ]) {
      await assert.rejects(call(), (err) => err instanceof sdk.InvalidArgumentError && err.message.includes(name));
    }
  } finally {
    await api.close();
  }
});

// --- the browser build ---------------------------------------------------------

const skipBrowser = browserSkipReason(sdkRoot);
let browser;
let page;
let pages;
const pageErrors = [];

before(async () => {
  if (skipBrowser) return;
  pages = await startStaticServer({ '/sdk/': sdkRoot });
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  await page.goto(`${pages.url}/sdk/test/browser/page.html`);
  await page.waitForFunction(() => window.sdkReady === true, null, { timeout: 60_000 });
});

after(async () => {
  await browser?.close();
  await pages?.close();
});

testNeeding('browser build: login, shared renewal, logout and the second step against a stand-in server', skipBrowser, { timeout: 60_000 }, async () => {
  const api = await startFakeAuth();
  try {
    api.state.lifetimes.push(0);
    api.state.refreshDelayMs = 100;
    const result = await page.evaluate(
      async ([url, key]) => {
        const sdk = await import('mismatch-recruiter');
        const { runSessions } = await import('/sdk/test/browser/sessions.js');
        return runSessions(sdk, url, key);
      },
      [api.url, API_KEY],
    );
    assert.equal(result.before, null);
    assert.equal(result.login.twoFactorRequired, false);
    assert.deepEqual(result.users, Array(5).fill(USER.email));
    assert.equal(result.renewed.renewable, true);
    assert.equal(result.refreshToken, 'mmr_2');
    assert.deepEqual(result.afterLogout, { session: null, refreshToken: null });
    assert.deepEqual(result.wrongPassword, { name: 'AuthenticationError', code: 'invalid_credentials', status: 401, isAuthenticationError: true });
    assert.equal(result.challenge.twoFactorRequired, true);
    assert.equal(result.wrongCode.code, 'invalid_two_factor_code');
    assert.equal(result.second.renewable, true);

    const seen = api.seen();
    assert.equal(seen.filter((r) => r.path === '/v1/auth/refresh').length, 1, 'five concurrent calls, one refresh');
    const calls = seen.filter((r) => r.path === '/v1/users/me');
    assert.deepEqual(
      calls.map((r) => r.authorization),
      [...Array(5).fill('Bearer eyJ.access.2'), 'Bearer eyJ.access.3'],
    );
    for (const r of seen.filter((r) => r.path.startsWith('/v1/auth/'))) {
      assert.equal(r.authorization, null, `${r.path} carries no Authorization`);
      assert.equal(r.idempotencyKey, null, `${r.path} carries no Idempotency-Key`);
    }
    assert.deepEqual(pageErrors, []);
  } finally {
    await api.close();
  }
});

// --- against the live server ----------------------------------------------------

/** The RFC 6238 code of a base32 `secret` at time step `step` (SHA-1, 6 digits). */
function totp(secret, step) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of secret.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

test('totp() gives the RFC 6238 test vector', () => {
  // RFC 6238 appendix B, SHA-1, key "12345678901234567890" (base32 below),
  // T = 59 s: 94287082 with 8 digits, so 287082 with 6.
  assert.equal(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', Math.floor(59 / 30)), '287082');
});

const liveMissing = liveServerMissing(['MISMATCH_BASE_URL', 'MISMATCH_ADMIN_API_KEY']);

testNeeding('Node build: login with a second factor, resume and logout against the live server', liveMissing, { timeout: 120_000 }, async () => {
  const sdk = await import('mismatch-recruiter');
  const baseUrl = process.env.MISMATCH_BASE_URL;
  const adminKey = process.env.MISMATCH_ADMIN_API_KEY;
  const admin = new sdk.Client({ baseUrl, apiKey: adminKey });
  const email = `js-session-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const password = 'correct horse battery staple';
  await admin.createUser({ email, name: 'JS Session', role: 'recruiter', password });

  // The client holds the admin key and logs in as the recruiter.
  const client = new sdk.Client({ baseUrl, apiKey: adminKey });
  const login = await client.login(email, password);
  assert.equal(login.twoFactorRequired, false);
  const left = Date.parse(login.session.accessTokenExpiresAt) - Date.now();
  assert.ok(left > 55 * 60_000 && left <= 61 * 60_000, `an access token lives an hour (${left} ms left)`);
  assert.equal((await client.getCurrentUser()).email, email, 'the access token replaced the API key');

  // Enrol a second factor with the session, confirm it with the current code.
  const enrolment = await client.enrollTwoFactor();
  const step = () => Math.floor(Date.now() / 30_000);
  const confirmed = await client.confirmTwoFactor({ code: totp(enrolment.secret, step()) });
  assert.equal(confirmed.backup_codes.length, 10);
  await client.logout();
  assert.equal(client.session(), null);
  assert.notEqual((await client.getCurrentUser()).email, email, 'after logout the API key is used again');

  // Now the login has a second step. A code is accepted once, so the second
  // step uses the next time step's code (within the allowed drift).
  const challenge = await client.login(email, password);
  assert.equal(challenge.twoFactorRequired, true);
  assert.equal(client.session(), null);
  const session = await client.loginSecondFactor(challenge.challengeToken, totp(enrolment.secret, step() + 1));
  assert.equal(session.renewable, true);
  const me = await client.getCurrentUser();
  assert.deepEqual([me.email, me.two_factor_enabled], [email, true]);

  // The refresh path: another client resumes the login (spending the token).
  const kept = client.sessionRefreshToken();
  const resumed = new sdk.Client({ baseUrl, apiKey: adminKey });
  await resumed.resumeSession(kept);
  assert.equal((await resumed.getCurrentUser()).email, email);
  assert.notEqual(resumed.sessionRefreshToken(), kept, 'refresh tokens rotate');
  await assert.rejects(new sdk.Client({ baseUrl }).resumeSession(kept), sdk.AuthenticationError);
  await resumed.logout();
});
