#!/usr/bin/env node
// The package's `install` script. It makes `npm install path/to/sdk-js` work
// from a fresh clone, where the native builds are not committed: when the
// addon for this platform or the wasm build is missing and the Rust sources
// are here, it runs `scripts/build.mjs --release` (cargo, and wasm-bindgen for
// the browser build; a missing tool stops the install with the command to
// run). Everything else is left alone:
//   - a tarball from `npm pack` or a release carries its builds (or gets the
//     addon from its per-platform package), so nothing is built at install;
//   - `npm ci` inside sdk-js (development) builds nothing: run-tests.sh and
//     developers run scripts/build.mjs with the flags they want.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import platform from '../src/platform.cjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// npm sets INIT_CWD to the directory `npm install` was run in.
if (process.env.INIT_CWD && resolve(process.env.INIT_CWD) === root) process.exit(0);

const triple = platform.platformTriple();

function addonPresent() {
  try {
    createRequire(join(root, 'package.json')).resolve(platform.platformPackageName(triple));
    return true;
  } catch {
    return existsSync(join(root, 'native', platform.addonFileName(triple)));
  }
}

const missing = [];
if (!addonPresent()) missing.push('napi');
if (!existsSync(join(root, 'wasm-pkg', 'mismatch_recruiter_wasm_bg.wasm'))) missing.push('wasm');
if (missing.length === 0) process.exit(0);

if (!existsSync(join(root, 'napi', 'Cargo.toml'))) {
  // A packed or released package without a build for this platform. The
  // browser build may still be wanted (bundling on any machine), so this is
  // not an install failure; loading in Node will say the same.
  const what = missing.map((m) => (m === 'napi' ? `the native addon for ${triple}` : 'the wasm build'));
  console.warn(`mismatch-recruiter: this package lacks ${what.join(' and ')} and has no sources to build from.`);
  process.exit(0);
}

const args = [join(root, 'scripts', 'build.mjs'), '--release'];
if (missing.length === 1) args.push('--only', missing[0]);
console.log(`mismatch-recruiter: building ${missing.join(' and ')} from source: node scripts/build.mjs ${args.slice(1).join(' ')}`);
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  console.error(
    `mismatch-recruiter: the build failed (see above). Fix it, then run \`npm run build -- --release\` in ${root} ` +
      'and install again.',
  );
  process.exit(result.status ?? 1);
}
