// Runs in Chromium (imported into test/browser/page.html by
// test/session.test.mjs): the session methods of the wasm build against the
// stand-in of test/support/fake-auth.mjs, whose first session expires at once.

async function failure(sdk, promise) {
  try {
    await promise;
    return null;
  } catch (err) {
    return { name: err.name, code: err.code, status: err.status, isAuthenticationError: err instanceof sdk.AuthenticationError };
  }
}

export async function runSessions(sdk, baseUrl, apiKey) {
  const client = new sdk.Client({ baseUrl, apiKey, maxRetries: 0 });
  const before = client.session();
  const login = await client.login('ada@example.com', 'secret');
  // The token expired at once: five calls at the same time share one renewal.
  const users = await Promise.all(Array.from({ length: 5 }, () => client.getCurrentUser()));
  const renewed = client.session();
  const refreshToken = client.sessionRefreshToken();
  await client.logout();
  const afterLogout = { session: client.session(), refreshToken: client.sessionRefreshToken() };
  const wrongPassword = await failure(sdk, client.login('ada@example.com', 'wrong'));
  const challenge = await client.login('2fa@example.com', 'secret');
  const wrongCode = await failure(sdk, client.loginSecondFactor(challenge.challengeToken, '000000'));
  const second = await client.loginSecondFactor(challenge.challengeToken, '123456');
  await client.getCurrentUser();
  return { before, login, users: users.map((u) => u.email), renewed, refreshToken, afterLogout, wrongPassword, challenge, wrongCode, second };
}
