// A stand-in for the API's session protocol, enough to test what the SDK does
// with sessions (which credentials each request carries, renewal ahead of
// expiry, single-flight refresh, the second login step) with lifetimes and
// delays the test chooses. Like the real server, refresh tokens are single-use
// and rotate, and a spent one ends the login (reuse detection). It answers
// CORS preflights, so the browser build can use it too.

import { startServer } from './http.mjs';

export const USER = {
  id: 'usr_01M8T6GBN33NM5NT6Y4H3XR37Q',
  email: 'ada@example.com',
  name: 'Ada',
  role: 'recruiter',
  password_set: true,
  two_factor_enabled: false,
  disabled: false,
  created_at: '2026-01-01T00:00:00Z',
};
export const API_KEY = 'mm_fake_key';
export const TWO_FACTOR_EMAIL = '2fa@example.com';
export const GOOD_CODE = '123456';

/**
 * Routes: POST /v1/auth/login, /v1/auth/login/2fa, /v1/auth/refresh,
 * /v1/auth/logout, and GET /v1/users/me (200 for the API key or the current
 * access token, else 401 `unauthorized`).
 *
 * `state.lifetimes` lists the `expires_in` of the next sessions issued (then
 * 3600); `state.refreshDelayMs` delays each refresh answer.
 */
export async function startFakeAuth() {
  const state = { generation: 0, revoked: false, lifetimes: [], refreshDelayMs: 0 };
  const server = await startServer(async (req, res, raw) => {
    const headers = {
      'access-control-allow-origin': '*',
      'access-control-expose-headers': 'x-request-id, retry-after',
      'x-request-id': `req-${server.requests.length}`,
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...headers,
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '',
      });
      res.end();
      return;
    }
    const json = (status, body) => {
      const type = status >= 400 ? 'application/problem+json' : 'application/json';
      res.writeHead(status, { ...headers, 'content-type': type });
      res.end(JSON.stringify(body));
    };
    const problem = (status, code, detail) =>
      json(status, { type: `https://docs.mismatch.dev/errors/${code}`, title: code, status, code, detail, request_id: 'req', errors: [] });
    const issue = () => {
      state.generation += 1;
      state.revoked = false;
      const n = state.generation;
      return {
        access_token: `eyJ.access.${n}`,
        token_type: 'Bearer',
        expires_in: state.lifetimes.shift() ?? 3600,
        expires_at: '2026-01-01T01:00:00.000Z',
        refresh_token: `mmr_${n}`,
        refresh_expires_at: '2026-01-31T00:00:00.000Z',
      };
    };
    const body = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : {};
    const path = new URL(req.url, 'http://localhost').pathname;
    if (req.method === 'POST' && path === '/v1/auth/login') {
      if (body.password === 'wrong') return problem(401, 'invalid_credentials', 'wrong email or password');
      if (body.email === TWO_FACTOR_EMAIL) {
        return json(200, { two_factor_required: true, challenge_token: 'eyJ.challenge.1', challenge_expires_at: '2026-01-01T00:05:00Z' });
      }
      return json(200, { two_factor_required: false, session: issue() });
    }
    if (req.method === 'POST' && path === '/v1/auth/login/2fa') {
      if (body.challenge_token === 'eyJ.challenge.1' && body.code === GOOD_CODE) return json(200, issue());
      return problem(401, 'invalid_two_factor_code', 'the code is wrong');
    }
    if (req.method === 'POST' && path === '/v1/auth/refresh') {
      await new Promise((resolve) => setTimeout(resolve, state.refreshDelayMs));
      if (!state.revoked && state.generation > 0 && body.refresh_token === `mmr_${state.generation}`) {
        return json(200, issue());
      }
      state.revoked = true;
      return problem(401, 'unauthorized', 'unknown, spent or revoked refresh token');
    }
    if (req.method === 'POST' && path === '/v1/auth/logout') {
      state.revoked = true;
      res.writeHead(204, headers);
      res.end();
      return;
    }
    if (req.method === 'GET' && path === '/v1/users/me') {
      const auth = req.headers.authorization;
      const token = `Bearer eyJ.access.${state.generation}`;
      if (auth === `Bearer ${API_KEY}` || (auth === token && !state.revoked)) return json(200, USER);
      return problem(401, 'unauthorized', 'the access token is not valid');
    }
    return problem(404, 'not_found', 'no such route in the fake API');
  });
  return {
    ...server,
    state,
    /** What the SDK sent: path, Authorization and Idempotency-Key of each request (preflights left out). */
    seen() {
      return server.requests
        .filter((r) => r.method !== 'OPTIONS')
        .map((r) => ({
          path: new URL(r.url, 'http://localhost').pathname,
          authorization: r.headers.authorization ?? null,
          idempotencyKey: r.headers['idempotency-key'] ?? null,
          body: r.body.length > 0 ? JSON.parse(r.body.toString('utf8')) : null,
        }));
    },
  };
}
