#!/usr/bin/env node
// Writes the per-platform package of a release: npm/<triple>/ holding
// mismatch-recruiter.<triple>.node (copied from native/, built there by
// `node scripts/build.mjs --release --only napi` on that platform) and a
// package.json whose os/cpu/libc fields let npm install it only where it
// loads. The main package lists every such package in optionalDependencies,
// and src/addon.cjs requires the one of the running platform. See README,
// "Releases".
//
// Usage: node scripts/platform-package.mjs [--out DIR] [--triple TRIPLE]
// (defaults: sdk-js/npm, the running platform). Prints the package directory.

import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import platform from '../src/platform.cjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** npm's os / cpu / libc fields for a napi-rs triple such as linux-x64-gnu or win32-arm64-msvc. */
export function platformFields(triple) {
  const [os, cpu, abi] = triple.split('-');
  const fields = { os: [os], cpu: [cpu] };
  if (os === 'linux') fields.libc = [abi?.startsWith('musl') ? 'musl' : 'glibc'];
  return fields;
}

/**
 * Writes `<outDir>/<triple>/` and returns its path.
 * @param {{outDir: string, triple: string}} options
 */
export function writePlatformPackage({ outDir, triple }) {
  const main = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const file = platform.addonFileName(triple);
  const addon = join(root, 'native', file);
  if (!existsSync(addon)) {
    throw new Error(`${addon} does not exist: build it first with \`node scripts/build.mjs --release --only napi\``);
  }
  const dir = join(outDir, triple);
  mkdirSync(dir, { recursive: true });
  copyFileSync(addon, join(dir, file));
  const manifest = {
    name: platform.platformPackageName(triple),
    version: main.version,
    description: `The ${triple} native addon of ${main.name}`,
    license: main.license,
    ...platformFields(triple),
    main: file,
    files: [file],
    engines: main.engines,
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const value = (flag, fallback) => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : fallback;
  };
  try {
    console.log(
      writePlatformPackage({
        outDir: resolve(value('--out', join(root, 'npm'))),
        triple: value('--triple', platform.platformTriple()),
      }),
    );
  } catch (err) {
    console.error(`platform-package: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  }
}
