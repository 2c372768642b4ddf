// The package as a user gets it: `npm pack`, then `npm install --offline` of
// the tarball into an empty project with an empty npm cache (so nothing can
// be downloaded or built). There it must load from require() and from import
// (one shared copy), carry the addon and the wasm build, resolve to the wasm
// build for browser bundlers, and prefer a per-platform addon package, the
// way a release ships the addon, over its own native/ file.
// Needs the native builds (`npm run build`); skipped without them, failed under CI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

import platform from '../src/platform.cjs';
import { writePlatformPackage } from '../scripts/platform-package.mjs';
import { testNeeding } from './support/needs.mjs';

const sdkRoot = fileURLToPath(new URL('..', import.meta.url));
const triple = platform.platformTriple();
const addonFile = platform.addonFileName(triple);
const wasmFile = join('wasm-pkg', 'mismatch_recruiter_wasm_bg.wasm');
const missing = [join('native', addonFile), wasmFile].filter((file) => !existsSync(join(sdkRoot, file)));
const buildsMissing = missing.length > 0 ? `the native builds are missing (${missing.join(', ')}): npm run build` : false;

// Node 20.19+ can require() an ES module; this turns that off so the test
// holds for every Node 20, where a require() of an ESM-only package throws.
const NO_REQUIRE_ESM = process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module')
  ? ['--no-experimental-require-module']
  : [];

let scratch;
let tarball;

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_cache: join(scratch, 'npm-cache') } });
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed in ${cwd}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** `npm pack` of `dir` into the scratch directory; returns the tarball's path. */
function pack(dir) {
  const [info] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', scratch], dir));
  return join(scratch, info.filename);
}

/** An empty project with `tarballs` installed offline. */
function projectWith(name, tarballs) {
  const dir = join(scratch, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', ...tarballs], dir);
  return dir;
}

/** Runs CommonJS code in `dir` and returns what it printed as JSON. */
function requireIn(dir, code) {
  return JSON.parse(run(process.execPath, [...NO_REQUIRE_ESM, '-e', code], dir));
}

const DESCRIBE_CJS = `
  const sdk = require('mismatch-recruiter');
  const client = new sdk.Client({ baseUrl: 'http://127.0.0.1:9' });
  console.log(JSON.stringify({
    methods: Object.keys(sdk.OPERATIONS).filter((id) => typeof client[id] === 'function').length,
    operations: Object.keys(sdk.OPERATIONS).length,
    notFound: new sdk.NotFoundError('x') instanceof sdk.MismatchError,
    addon: Object.keys(require.cache).find((file) => file.endsWith('.node')),
  }));`;

before(() => {
  if (buildsMissing) return;
  scratch = mkdtempSync(join(tmpdir(), 'mm-pack-'));
  tarball = pack(sdkRoot);
});

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

testNeeding('the packed tarball installs offline and works from require()', buildsMissing, { timeout: 120_000 }, () => {
  const project = projectWith('cjs-user', [tarball]);
  const installed = join(project, 'node_modules', 'mismatch-recruiter');
  assert.ok(existsSync(join(installed, 'native', addonFile)), 'the tarball carries the addon of this platform');
  assert.ok(existsSync(join(installed, wasmFile)), 'the tarball carries the wasm build');

  const seen = requireIn(project, DESCRIBE_CJS);
  assert.ok(seen.operations > 0);
  assert.equal(seen.methods, seen.operations, 'every operation is a method of Client');
  assert.equal(seen.notFound, true);
  assert.equal(seen.addon, join(installed, 'native', addonFile), 'the addon comes from the installed package');
});

testNeeding('the packed tarball works from import, sharing one copy with require()', buildsMissing, { timeout: 120_000 }, () => {
  const project = projectWith('esm-user', [tarball]);
  const code = `
    import { createRequire } from 'node:module';
    import * as sdk from 'mismatch-recruiter';
    const required = createRequire(import.meta.url)('mismatch-recruiter');
    const client = new sdk.Client({ baseUrl: 'http://127.0.0.1:9', maxRetries: 0 });
    const error = await client.getLiveness().catch((err) => err);
    console.log(JSON.stringify({
      client: client instanceof required.Client,
      error: error instanceof required.ConnectionError && error instanceof sdk.MismatchError,
      name: error.name,
    }));`;
  const seen = JSON.parse(run(process.execPath, [...NO_REQUIRE_ESM, '--input-type=module', '-e', code], project));
  assert.deepEqual(seen, { client: true, error: true, name: 'ConnectionError' });
});

testNeeding('browser bundlers get the wasm build of the installed package', buildsMissing, { timeout: 120_000 }, async () => {
  const project = projectWith('browser-user', [tarball]);
  const result = await esbuild.build({
    stdin: { contents: "export { Client } from 'mismatch-recruiter';", resolveDir: project, loader: 'js' },
    absWorkingDir: project,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(inputs.includes('node_modules/mismatch-recruiter/src/browser.js'), inputs.join(', '));
  assert.ok(inputs.includes('node_modules/mismatch-recruiter/wasm-pkg/mismatch_recruiter_wasm.js'), inputs.join(', '));
  assert.ok(!inputs.some((file) => file.includes('node.cjs') || file.includes('addon.cjs')), 'no Node code in a browser bundle');
});

testNeeding('a per-platform addon package, as a release ships it, is loaded before native/', buildsMissing, { timeout: 120_000 }, () => {
  const platformDir = writePlatformPackage({ outDir: join(scratch, 'npm'), triple });
  const platformTarball = pack(platformDir);
  const project = projectWith('release-user', [tarball, platformTarball]);
  const seen = requireIn(project, DESCRIBE_CJS);
  assert.equal(seen.addon, join(project, 'node_modules', platform.platformPackageName(triple), addonFile));
  assert.equal(seen.methods, seen.operations);
});
