#!/usr/bin/env node
// Builds the two native layers of the package:
//   native/mismatch-recruiter.<triple>.node  napi addon (crate sdk-js/napi), named by
//                                            the napi-rs triple (src/platform.cjs)
//   wasm-pkg/                                wasm-bindgen output (crate sdk-js/wasm)
//
// Usage: node scripts/build.mjs [--release] [--locked] [--only napi|wasm]
// Debug is the default: the napi addon then reuses the workspace's debug build
// of the Rust SDK (compiled anyway by `cargo test --workspace`), which saves
// minutes on small machines, and the SDK's latency is network-bound. Publishable
// artifacts use --release.
//
// cargo is asked for JSON messages so the produced files are found wherever
// the target directory is (CARGO_TARGET_DIR, workspace default, …).

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import platform from '../src/platform.cjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const release = argv.includes('--release');
const locked = argv.includes('--locked');
const onlyIndex = argv.indexOf('--only');
const only = onlyIndex >= 0 ? argv[onlyIndex + 1] : undefined;
if (only !== undefined && only !== 'napi' && only !== 'wasm') {
  console.error('usage: node scripts/build.mjs [--release] [--locked] [--only napi|wasm]');
  process.exit(2);
}

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

function checkCargo() {
  const probe = spawnSync('cargo', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    fail('cargo not found: the native addon and the wasm build are compiled from Rust; install it from https://rustup.rs');
  }
}

/** Runs cargo build and returns the artifact files of `libName` with `extension`. */
function cargoBuild(pkg, libName, extension, extraArgs) {
  const args = ['build', '-p', pkg, '--message-format=json-render-diagnostics', ...extraArgs];
  if (release) args.push('--release');
  if (locked) args.push('--locked');
  console.log(`build: cargo ${args.join(' ')}`);
  const result = spawnSync('cargo', args, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) fail(`cargo build -p ${pkg} failed`);
  const files = [];
  for (const line of result.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const message = JSON.parse(line);
    if (message.reason === 'compiler-artifact' && message.target?.name === libName) {
      files.push(...message.filenames.filter((f) => f.endsWith(extension)));
    }
  }
  if (files.length === 0) fail(`cargo produced no ${extension} file for ${pkg}`);
  return files[0];
}

function buildNapi() {
  const extension = process.platform === 'win32' ? '.dll' : process.platform === 'darwin' ? '.dylib' : '.so';
  const library = cargoBuild('mismatch-recruiter-napi', 'mismatch_recruiter_napi', extension, []);
  const outDir = join(root, 'native');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, platform.addonFileName(platform.platformTriple()));
  copyFileSync(library, out);
  console.log(`build: ${out}`);
}

function requiredWasmBindgenVersion() {
  const manifest = readFileSync(join(root, 'wasm', 'Cargo.toml'), 'utf8');
  const match = manifest.match(/^wasm-bindgen\s*=\s*"=([0-9.]+)"/m);
  if (!match) fail('sdk-js/wasm/Cargo.toml must pin wasm-bindgen with "=x.y.z"');
  return match[1];
}

/** Fails early, before minutes of compiling, when the wasm tools are missing. */
function checkWasmTools() {
  const wanted = requiredWasmBindgenVersion();
  const probe = spawnSync('wasm-bindgen', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    fail(`wasm-bindgen not found; install it with: cargo install wasm-bindgen-cli --version ${wanted}`);
  }
  const have = probe.stdout.trim().split(/\s+/)[1];
  if (have !== wanted) {
    fail(`wasm-bindgen ${have} found but the crate uses ${wanted}: cargo install wasm-bindgen-cli --version ${wanted} --force`);
  }
  // Without the target cargo fails with "can't find crate for `core`", which does not say what to do.
  const sysroot = spawnSync('rustc', ['--print', 'target-libdir', '--target', 'wasm32-unknown-unknown'], {
    encoding: 'utf8',
  });
  if (sysroot.status !== 0 || !existsSync(sysroot.stdout.trim())) {
    fail('the Rust target wasm32-unknown-unknown is not installed: rustup target add wasm32-unknown-unknown');
  }
}

function buildWasm() {
  const wasm = cargoBuild('mismatch-recruiter-wasm', 'mismatch_recruiter_wasm', '.wasm', [
    '--target',
    'wasm32-unknown-unknown',
  ]);
  const outDir = join(root, 'wasm-pkg');
  rmSync(outDir, { recursive: true, force: true });
  const args = ['--target', 'web', '--out-dir', outDir, '--out-name', 'mismatch_recruiter_wasm', wasm];
  console.log(`build: wasm-bindgen ${args.join(' ')}`);
  const result = spawnSync('wasm-bindgen', args, { stdio: 'inherit' });
  if (result.status !== 0) fail('wasm-bindgen failed');
  console.log(`build: ${outDir}`);
}

checkCargo();
if (only === undefined || only === 'wasm') checkWasmTools();
if (only === undefined || only === 'napi') buildNapi();
if (only === undefined || only === 'wasm') buildWasm();
