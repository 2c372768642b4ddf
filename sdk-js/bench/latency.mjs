#!/usr/bin/env node
// Sequential latency of getLiveness through the SDK (Node build: JS layer +
// napi + Rust client) against a raw `fetch` of the same endpoint, in one run,
// interleaved so both see the same server and machine state.
//
//   node bench/latency.mjs [--iterations N] [--warmup N] [--json]
// Uses MISMATCH_BASE_URL when set; otherwise a local stand-in server (which
// measures the client side only).

import { performance } from 'node:perf_hooks';

import { Client } from 'mismatch-recruiter';
import { startFakeApi } from '../test/support/fake-api.mjs';

function option(name, fallback) {
  const index = process.argv.indexOf(name);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

const iterations = option('--iterations', 500);
const warmup = option('--warmup', 50);
const asJson = process.argv.includes('--json');

function percentile(sorted, p) {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((sum, x) => sum + x, 0) / samples.length;
  const round = (x) => Math.round(x * 1000) / 1000;
  return {
    n: samples.length,
    mean_ms: round(mean),
    p50_ms: round(percentile(sorted, 50)),
    p90_ms: round(percentile(sorted, 90)),
    p99_ms: round(percentile(sorted, 99)),
    min_ms: round(sorted[0]),
    max_ms: round(sorted.at(-1)),
  };
}

async function main() {
  let fake;
  let baseUrl = process.env.MISMATCH_BASE_URL;
  if (!baseUrl) {
    fake = await startFakeApi();
    baseUrl = fake.url;
  }
  const target = fake ? 'local stand-in server' : baseUrl;
  const url = `${baseUrl.replace(/\/$/, '')}/health/live`;
  const client = new Client({ baseUrl, maxRetries: 0 });

  const viaSdk = () => client.getLiveness();
  const viaFetch = async () => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`fetch: HTTP ${response.status}`);
    return response.json();
  };

  for (let i = 0; i < warmup; i += 1) {
    await viaSdk();
    await viaFetch();
  }
  const sdk = [];
  const raw = [];
  for (let i = 0; i < iterations; i += 1) {
    // Alternate which goes first so neither always gets the warmer connection.
    const order = i % 2 === 0 ? [[viaSdk, sdk], [viaFetch, raw]] : [[viaFetch, raw], [viaSdk, sdk]];
    for (const [call, samples] of order) {
      const start = performance.now();
      await call();
      samples.push(performance.now() - start);
    }
  }
  await fake?.close();

  const result = {
    target,
    iterations,
    warmup,
    node: process.version,
    sdk: summarize(sdk),
    fetch: summarize(raw),
  };
  result.overhead_p50_ms = Math.round((result.sdk.p50_ms - result.fetch.p50_ms) * 1000) / 1000;
  if (asJson) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(`getLiveness, ${iterations} sequential calls each (after ${warmup} warm-up), against ${target}`);
  console.log('            mean     p50     p90     p99     min     max   (ms)');
  for (const [name, s] of [['SDK (napi)', result.sdk], ['raw fetch', result.fetch]]) {
    const cells = [s.mean_ms, s.p50_ms, s.p90_ms, s.p99_ms, s.min_ms, s.max_ms].map((x) => x.toFixed(3).padStart(7));
    console.log(`${name.padEnd(11)}${cells.join(' ')}`);
  }
  console.log(`SDK overhead at p50: ${result.overhead_p50_ms} ms`);
}

await main();
