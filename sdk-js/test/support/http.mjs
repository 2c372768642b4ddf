// Small HTTP servers for the tests, bound to 127.0.0.1 on a free port.

import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

/**
 * Start a server whose `handler(req, res, body)` gets the whole request body.
 * Every request is recorded (method, url, headers, body) in `requests`.
 */
export async function startServer(handler) {
  const requests = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      Promise.resolve(handler(req, res, body)).catch((err) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.pdf': 'application/pdf',
};

/**
 * A static file server: `mounts` maps a URL prefix (e.g. "/sdk/") to a directory.
 * Paths are normalized and must stay inside their directory.
 */
export function startStaticServer(mounts) {
  return startServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    for (const [prefix, dir] of Object.entries(mounts)) {
      if (!url.pathname.startsWith(prefix)) continue;
      const relative = normalize(decodeURIComponent(url.pathname.slice(prefix.length)));
      const file = join(dir, relative);
      if (relative.startsWith('..') || !(file + sep).startsWith(normalize(dir + sep))) break;
      let stat;
      try {
        stat = statSync(file);
      } catch {
        break;
      }
      if (!stat.isFile()) break;
      res.writeHead(200, {
        'content-type': MIME[extname(file)] ?? 'application/octet-stream',
        'content-length': stat.size,
        'cache-control': 'no-store',
      });
      createReadStream(file).pipe(res);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
}
