'use strict';
// Loads the napi addon of this platform (crate sdk-js/napi). A release ships it
// as the optional package mismatch-recruiter-<triple>, which npm installs only
// on the matching os/cpu/libc; that package is tried first so that an
// installed release never picks up a stray local build. A source checkout (or
// a tarball packed from one) has it in ../native/, written by scripts/build.mjs.
// CommonJS because `require` is how Node loads a .node file, from both the
// CommonJS and the ESM entry.

const { existsSync } = require('node:fs');
const { join } = require('node:path');

const { addonFileName, platformPackageName, platformTriple } = require('./platform.cjs');

function loadAddon() {
  const triple = platformTriple();
  const packageName = platformPackageName(triple);
  try {
    return require(packageName);
  } catch (err) {
    // Only "not installed" falls through; a package that is there but fails to
    // load (wrong libc, corrupt file) must say so instead of being skipped.
    const notInstalled =
      err && typeof err === 'object' && 'code' in err && err.code === 'MODULE_NOT_FOUND' &&
      String(/** @type {Error} */ (err).message).includes(`'${packageName}'`);
    if (!notInstalled) throw err;
  }
  const local = join(__dirname, '..', 'native', addonFileName(triple));
  if (existsSync(local)) return require(local);

  const sdkRoot = join(__dirname, '..');
  const howToGetIt = existsSync(join(sdkRoot, 'napi', 'Cargo.toml'))
    ? `build it with \`npm run build -- --release\` in ${sdkRoot} (needs cargo)`
    : `this release has no prebuilt addon for ${triple} (the browser build works on any platform)`;
  throw new Error(
    `mismatch-recruiter: no native addon for ${triple}: the package ${packageName} is not installed ` +
      `and ${local} does not exist; ${howToGetIt}`,
  );
}

module.exports = loadAddon();
