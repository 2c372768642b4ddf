'use strict';
// Names of the napi addon per platform, in napi-rs's scheme so that a release
// can ship one optional package per platform (see README, "Releases"):
//   triple            linux-x64-gnu, linux-arm64-musl, darwin-arm64, win32-x64-msvc, …
//   platform package  mismatch-recruiter-<triple>
//   addon file        mismatch-recruiter.<triple>.node
// Used by src/addon.cjs (loading), scripts/build.mjs (naming the build) and
// scripts/platform-package.mjs (release packages).

const { readFileSync } = require('node:fs');

const PACKAGE_NAME = 'mismatch-recruiter';

/** Whether this Linux uses musl libc: a glibc addon does not load there, and vice versa. */
function isMusl() {
  try {
    // ldd is a shell script on glibc systems and the musl loader on musl ones.
    return readFileSync('/usr/bin/ldd', 'latin1').includes('musl');
  } catch {
    const report = /** @type {{header?: {glibcVersionRuntime?: string}}} */ (process.report.getReport());
    return !report.header?.glibcVersionRuntime;
  }
}

/**
 * The napi-rs target triple of a platform.
 * @param {string} [platform] defaults to process.platform
 * @param {string} [arch] defaults to process.arch
 * @param {boolean} [musl] only read on Linux; defaults to the running system's libc
 */
function platformTriple(platform = process.platform, arch = process.arch, musl = undefined) {
  if (platform === 'linux') {
    const libc = (musl ?? isMusl()) ? 'musl' : 'gnu';
    return arch === 'arm' ? `linux-arm-${libc}eabihf` : `linux-${arch}-${libc}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  if (platform === 'android' && arch === 'arm') return 'android-arm-eabi';
  return `${platform}-${arch}`;
}

/** @param {string} triple */
function platformPackageName(triple) {
  return `${PACKAGE_NAME}-${triple}`;
}

/** @param {string} triple */
function addonFileName(triple) {
  return `${PACKAGE_NAME}.${triple}.node`;
}

module.exports = { PACKAGE_NAME, platformTriple, platformPackageName, addonFileName };
