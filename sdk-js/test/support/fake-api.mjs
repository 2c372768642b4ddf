// A stand-in for the API server, enough to test the SDK's own behaviour
// (interceptors, headers, retries, error mapping) without the real server.
// It answers CORS preflights so the browser build can use it too.

import { startServer } from './http.mjs';

export const LIVE_BODY = { status: 'ok' };

/** The jobs `GET /v1/jobs` pages through: 5 of them, `limit` per page (default 2). */
export const FAKE_JOBS = Array.from({ length: 5 }, (_, i) => ({
  id: `job_${i}`,
  title: `Job ${i}`,
  description: 'A job of the fake API',
  required_skills: ['Python'],
  nice_to_have_skills: [],
  min_years: 0,
  remote: 'remote',
  currency: 'USD',
  status: 'open',
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  version: 1,
}));

function cors(req) {
  return {
    'access-control-allow-origin': '*',
    'access-control-expose-headers': 'x-request-id, retry-after',
  };
}

/**
 * Routes:
 *   GET  /health/live                 200 LIVE_BODY; with `x-fail-first` the first such request gets 503 + Retry-After: 0
 *   GET  /v1/candidates/{id}          404 problem+json
 *   GET  /v1/jobs?limit&cursor        pages of FAKE_JOBS
 *   POST /v1/jobs                     503 + Retry-After: 0 every time (to observe retries)
 *   *    /slow/...                    never answers in time (sleeps `delayMs`)
 */
export async function startFakeApi({ delayMs = 2000 } = {}) {
  let counter = 0;
  let failedFirst = false;
  const server = await startServer(async (req, res) => {
    counter += 1;
    const requestId = `req-${counter}`;
    const headers = { ...cors(req), 'x-request-id': requestId };
    const url = new URL(req.url, 'http://localhost');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...headers,
        'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    if (url.pathname.startsWith('/slow')) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
    if (req.method === 'GET' && url.pathname.endsWith('/health/live')) {
      if (req.headers['x-fail-first'] && !failedFirst) {
        failedFirst = true;
        res.writeHead(503, { ...headers, 'content-type': 'application/problem+json', 'retry-after': '0' });
        res.end(JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, code: 'unavailable' }));
        return;
      }
      res.writeHead(200, { ...headers, 'content-type': 'application/json' });
      res.end(JSON.stringify(LIVE_BODY));
      return;
    }
    const candidate = url.pathname.match(/\/v1\/candidates\/([^/]+)$/);
    if (req.method === 'GET' && candidate) {
      res.writeHead(404, { ...headers, 'content-type': 'application/problem+json' });
      res.end(
        JSON.stringify({
          type: 'https://docs.mismatch.dev/errors/not_found',
          title: 'Not Found',
          status: 404,
          detail: `candidate ${decodeURIComponent(candidate[1])} does not exist`,
          code: 'not_found',
          request_id: requestId,
        }),
      );
      return;
    }
    if (req.method === 'GET' && url.pathname.endsWith('/v1/jobs')) {
      // The cursor is the index of the next job, as text.
      const start = Number(url.searchParams.get('cursor') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 2);
      const items = FAKE_JOBS.slice(start, start + limit);
      const next = start + limit < FAKE_JOBS.length ? String(start + limit) : null;
      res.writeHead(200, { ...headers, 'content-type': 'application/json' });
      res.end(JSON.stringify({ items, next_cursor: next }));
      return;
    }
    if (req.method === 'POST' && url.pathname.endsWith('/v1/jobs')) {
      res.writeHead(503, { ...headers, 'content-type': 'application/problem+json', 'retry-after': '0' });
      res.end(JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, code: 'unavailable' }));
      return;
    }
    res.writeHead(404, { ...headers, 'content-type': 'text/plain' });
    res.end('no such route in the fake API');
  });
  return server;
}
