#!/usr/bin/env bash
# Everything the JavaScript SDK needs on a fresh machine that has node/npm,
# cargo (rustup) and Chromium, then every check and test:
#   npm ci → wasm32 target → wasm-bindgen-cli (exact crate version) → napi and
#   wasm builds → generator and bundle --check → tsc --noEmit (SDK types,
#   examples) → npm pack contents → node --test (unit, packed tarball installed
#   offline, Node e2e, Chromium, examples).
# The e2e, browser-scenario and example tests need MISMATCH_BASE_URL,
# MISMATCH_ADMIN_API_KEY, MISMATCH_FLAKY_URL and MISMATCH_FIXTURES (set by
# tests/run.sh); without them they are skipped with the reason, and with
# CI=true (or 1) they fail instead, as do the Chromium and package tests
# without Chromium or the native builds.
#
# MISMATCH_JS_RELEASE=1 builds the native layers in release mode. Debug is the
# default: the napi addon then reuses the workspace's debug build of the Rust
# SDK (compiled by `cargo test --workspace` anyway), which saves minutes on
# two cores, and the SDK's latency is dominated by the network, not by code
# generation (see bench/latency.mjs).
set -euo pipefail
cd "$(dirname "$0")"
SDK=$PWD
EXAMPLES=$SDK/../examples/js

section() { echo; echo "--- sdk-js: $*"; }

section "npm ci"
npm ci --no-audit --no-fund

section "Rust target and wasm-bindgen-cli"
if command -v rustup >/dev/null 2>&1; then
  rustup target add wasm32-unknown-unknown
fi
WB_VERSION=$(sed -n 's/^wasm-bindgen *= *"=\([0-9.]*\)".*/\1/p' wasm/Cargo.toml)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VERSION" ]; then
  echo "installing wasm-bindgen-cli $WB_VERSION (takes a few minutes)"
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --force
fi
wasm-bindgen --version

section "build (napi addon and wasm)"
build_args=(--locked)
if [ "${MISMATCH_JS_RELEASE:-0}" = "1" ]; then build_args+=(--release); fi
node scripts/build.mjs "${build_args[@]}"

section "clippy on the wasm crate for wasm32 (the workspace clippy covers the host)"
(cd .. && cargo clippy --locked -p mismatch-recruiter-wasm --target wasm32-unknown-unknown -- -D warnings)

section "generated code is up to date with openapi.json and the sources (src/node.cjs)"
node scripts/generate.mjs --check
node scripts/bundle.mjs --check

section "tsc --noEmit (index.d.ts and type tests; the JS sources with checkJs)"
npx --no-install tsc --noEmit -p tsconfig.json
npx --no-install tsc -p tsconfig.js.json

section "examples: npm ci and tsc --noEmit"
(cd "$EXAMPLES" && npm ci --no-audit --no-fund && npx --no-install tsc --noEmit -p tsconfig.json)

section "npm pack ships the entries, types and both native builds"
pack=$(npm pack --dry-run --json)
addon=$(node -e "const p = require('./src/platform.cjs'); console.log(p.addonFileName(p.platformTriple()))")
for file in index.d.ts src/node.cjs src/node.mjs src/addon.cjs src/browser.js src/generated.js scripts/install.mjs \
  wasm-pkg/mismatch_recruiter_wasm_bg.wasm "native/$addon"; do
  if ! grep -q "\"path\": \"$file\"" <<<"$pack"; then
    echo "npm pack would not include $file" >&2
    exit 1
  fi
done
echo "ok (installing the tarball offline is test/package.test.mjs)"

section "node --test (unit, e2e, Chromium, examples)"
node --test --test-concurrency=1 test/*.test.mjs
