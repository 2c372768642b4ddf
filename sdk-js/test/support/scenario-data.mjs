// The scenario data of tests/scenario (recruiting.json, matchers.json, totp.json) and
// the files recruiting.json names, read from the repository for the Node
// harnesses; test/scenario.js itself reads nothing.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const scenarioDir = join(repoRoot, 'tests', 'scenario');

const readJson = (name) => JSON.parse(readFileSync(join(scenarioDir, name), 'utf8'));

/** The cases of matchers.json. */
export function matcherCases() {
  return readJson('matchers.json').cases;
}

/** The cases of totp.json. */
export function totpCases() {
  return readJson('totp.json').cases;
}

/** recruiting.json and its files: text as a string, bytes as a Uint8Array. */
export function recruitingScenario() {
  const scenario = readJson('recruiting.json');
  const files = {};
  for (const [name, { path, as }] of Object.entries(scenario.files ?? {})) {
    const data = readFileSync(join(repoRoot, path));
    if (as === 'text') files[name] = data.toString('utf8');
    else if (as === 'bytes') files[name] = new Uint8Array(data);
    else throw new Error(`recruiting.json: file ${name} has \`as\` ${JSON.stringify(as)}, not text or bytes`);
  }
  return { scenario, files };
}

/** The live server's environment for the interpreter (tests/run.sh sets it). */
export function liveEnv(runner) {
  return {
    baseUrl: process.env.MISMATCH_BASE_URL,
    flakyUrl: process.env.MISMATCH_FLAKY_URL,
    adminKey: process.env.MISMATCH_ADMIN_API_KEY,
    // Unique per run and runner: runners share one server.
    stamp: `${runner}-${Date.now()}`,
  };
}

/** The variables a live-server test needs. */
export const LIVE_VARIABLES = ['MISMATCH_BASE_URL', 'MISMATCH_ADMIN_API_KEY', 'MISMATCH_FLAKY_URL'];
