// The interpreter of tests/scenario (its README.md is the contract): the
// matcher language, and the steps of recruiting.json played through the SDK's
// typed methods the way a user calls them. The same file runs in Node
// (test/e2e.test.mjs) and inside headless Chromium (test/browser.test.mjs), so
// it imports nothing: the harness hands it the SDK module, the scenario, its
// files (text as strings, bytes as Uint8Array) and the environment.

/** The data is wrong (an unknown reference or operator, a malformed step). */
export class ScenarioError extends Error {
  name = 'ScenarioError';
}

/** A step did not go as the data says, or the data was wrong at that step. */
export class StepFailure extends Error {
  name = 'StepFailure';
}

const MISSING = Symbol('missing');
const hasOwn = (object, key) => Object.prototype.hasOwnProperty.call(object, key);
const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/** JSON text of a value for messages, cut to `limit` characters. */
export function preview(value, limit = 600) {
  if (value === MISSING) return '(absent)';
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > limit ? `${text.slice(0, limit)}… (${text.length} characters)` : text;
}

// ---------------------------------------------------------------- references

const REFERENCE = /\$\{([^}]*)\}/g;
const WHOLE_REFERENCE = /^\$\{([^}]*)\}$/;

/** The value `ref` (`name`, `name.field[0].sub`) names in `scope`. */
function lookup(ref, scope) {
  const head = /^[^.[\]]+/.exec(ref);
  if (!head || !hasOwn(scope, head[0])) throw new ScenarioError(`unknown reference \${${ref}}`);
  let value = scope[head[0]];
  const rest = ref.slice(head[0].length);
  const token = /\.([^.[\]]+)|\[(\d+)\]/y;
  let at = 0;
  while (at < rest.length) {
    token.lastIndex = at;
    const m = token.exec(rest);
    if (!m) throw new ScenarioError(`malformed reference \${${ref}}`);
    at = token.lastIndex;
    if (m[1] !== undefined ? isObject(value) && hasOwn(value, m[1]) : Array.isArray(value) && Number(m[2]) < value.length) {
      value = m[1] !== undefined ? value[m[1]] : value[Number(m[2])];
    } else {
      throw new ScenarioError(`\${${ref}}: no ${m[0]} in ${preview(value, 200)}`);
    }
  }
  return value;
}

/** `value` with every `${…}` in its strings replaced (README "Values and references"). */
export function resolve(value, scope) {
  if (typeof value === 'string') {
    const whole = WHOLE_REFERENCE.exec(value);
    if (whole) return lookup(whole[1], scope);
    return value.replace(REFERENCE, (_, ref) => {
      const found = lookup(ref, scope);
      return typeof found === 'string' ? found : JSON.stringify(found);
    });
  }
  if (Array.isArray(value)) return value.map((item) => resolve(item, scope));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, scope)]));
  return value;
}

// ------------------------------------------------------------------ matchers

const TYPES = {
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  integer: (v) => Number.isInteger(v),
  boolean: (v) => typeof v === 'boolean',
  null: (v) => v === null,
  array: (v) => Array.isArray(v),
  object: (v) => isObject(v),
};

const COMPARE = {
  $gt: (a, b) => a > b,
  $gte: (a, b) => a >= b,
  $lt: (a, b) => a < b,
  $lte: (a, b) => a <= b,
};

/** JSON equality, numbers by value. */
function jsonEqual(a, b) {
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a)) {
    return isObject(b) && Object.keys(a).length === Object.keys(b).length && Object.keys(a).every((k) => hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return a === b;
}

function isOperatorObject(matcher) {
  return isObject(matcher) && Object.keys(matcher).some((key) => key.startsWith('$'));
}

/** Throws a ScenarioError unless `matcher` is well formed (so a bad one fails whatever the value). */
export function checkMatcher(matcher) {
  if (Array.isArray(matcher)) return matcher.forEach(checkMatcher);
  if (!isObject(matcher)) return;
  if (!isOperatorObject(matcher)) return Object.values(matcher).forEach(checkMatcher);
  const pair = (op, arg) => {
    if (!Array.isArray(arg) || arg.length !== 2) throw new ScenarioError(`${op} takes [a, b], got ${preview(arg)}`);
    return arg;
  };
  for (const [op, arg] of Object.entries(matcher)) {
    switch (op) {
      case '$type':
        if (!hasOwn(TYPES, arg)) throw new ScenarioError(`$type: unknown type ${preview(arg)}`);
        break;
      case '$regex':
        if (typeof arg !== 'string') throw new ScenarioError(`$regex takes a string, got ${preview(arg)}`);
        try {
          new RegExp(arg);
        } catch (err) {
          throw new ScenarioError(`$regex ${preview(arg)}: ${err.message}`);
        }
        break;
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        if (typeof arg !== 'number') throw new ScenarioError(`${op} takes a number, got ${preview(arg)}`);
        break;
      case '$len':
      case '$each':
      case '$some':
      case '$none':
      case '$first':
      case '$not':
        checkMatcher(arg);
        break;
      case '$filter':
        pair(op, arg).forEach(checkMatcher);
        break;
      case '$sum':
        if (typeof pair(op, arg)[0] !== 'string') throw new ScenarioError(`$sum: the key must be a string`);
        checkMatcher(arg[1]);
        break;
      case '$before':
        if (!Array.isArray(arg) || arg.length !== 3 || typeof arg[0] !== 'string') {
          throw new ScenarioError(`$before takes [key, a, b], got ${preview(arg)}`);
        }
        break;
      case '$null':
        if (typeof arg !== 'boolean') throw new ScenarioError(`$null takes true or false, got ${preview(arg)}`);
        break;
      case '$any':
        if (!Array.isArray(arg)) throw new ScenarioError(`$any takes an array of matchers`);
        arg.forEach(checkMatcher);
        break;
      default:
        throw new ScenarioError(
          op.startsWith('$') ? `unknown operator ${op}` : `key ${op} beside operators (${Object.keys(matcher).join(', ')})`,
        );
    }
  }
}

/**
 * Why `value` does not match `matcher`, as `{path, why}` (the matcher path,
 * e.g. `$.skills.$some`), or null when it matches. `matcher` is resolved and
 * checked; `value` may be MISSING (an absent key).
 */
function mismatch(value, matcher, path) {
  const fail = (why) => ({ path, why, actual: value });
  if (Array.isArray(matcher)) {
    if (!Array.isArray(value)) return fail('not an array');
    if (value.length !== matcher.length) return fail(`${value.length} elements, expected ${matcher.length}`);
    for (const [i, m] of matcher.entries()) {
      const inner = mismatch(value[i], m, `${path}[${i}]`);
      if (inner) return inner;
    }
    return null;
  }
  if (!isObject(matcher)) {
    return value !== MISSING && value === matcher ? null : fail(`expected ${preview(matcher)}`);
  }
  if (!isOperatorObject(matcher)) {
    if (!isObject(value)) return fail('not an object');
    for (const [key, m] of Object.entries(matcher)) {
      const inner = mismatch(hasOwn(value, key) ? value[key] : MISSING, m, `${path}.${key}`);
      if (inner) return inner;
    }
    return null;
  }
  for (const [op, arg] of Object.entries(matcher)) {
    const inner = operator(op, arg, value, `${path}.${op}`);
    if (inner) return inner;
  }
  return null;
}

function operator(op, arg, value, path) {
  const fail = (why) => ({ path, why, actual: value });
  const holds = (v, m) => mismatch(v, m, path) === null;
  const array = Array.isArray(value) ? value : null;
  switch (op) {
    case '$type':
      return TYPES[arg](value) ? null : fail(`not of type ${arg}`);
    case '$regex':
      return typeof value === 'string' && new RegExp(arg).test(value) ? null : fail(`no match for /${arg}/`);
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return typeof value === 'number' && COMPARE[op](value, arg) ? null : fail(`not ${op} ${arg}`);
    case '$len': {
      const length = typeof value === 'string' ? [...value].length : array ? array.length : null;
      if (length === null) return fail('neither a string nor an array');
      const inner = mismatch(length, arg, path);
      return inner && { ...inner, why: `length ${length}: ${inner.why}`, actual: value };
    }
    case '$each':
      if (!array) return fail('not an array');
      for (const [i, item] of array.entries()) {
        const inner = mismatch(item, arg, `${path}[${i}]`);
        if (inner) return inner;
      }
      return null;
    case '$some':
      if (!array) return fail('not an array');
      return array.some((item) => holds(item, arg)) ? null : fail(`no element matches ${preview(arg, 200)}`);
    case '$none': {
      if (!array) return fail('not an array');
      const i = array.findIndex((item) => holds(item, arg));
      return i < 0 ? null : fail(`element ${i} matches ${preview(arg, 200)}`);
    }
    case '$first':
      if (!array || array.length === 0) return fail('not a non-empty array');
      return mismatch(array[0], arg, `${path}[0]`);
    case '$filter': {
      if (!array) return fail('not an array');
      const kept = array.filter((item) => holds(item, arg[0]));
      return mismatch(kept, arg[1], path);
    }
    case '$sum': {
      const [key, m] = arg;
      if (!array || !array.every((item) => isObject(item) && typeof item[key] === 'number')) {
        return fail(`not an array of objects with a number under ${key}`);
      }
      const inner = mismatch(array.reduce((total, item) => total + item[key], 0), m, path);
      return inner && { ...inner, why: `sum ${inner.actual}: ${inner.why}`, actual: value };
    }
    case '$before': {
      const [key, a, b] = arg;
      if (!array || !array.every(isObject)) return fail('not an array of objects');
      const first = array.findIndex((item) => hasOwn(item, key) && jsonEqual(item[key], a));
      if (first < 0) return fail(`no element with ${key} = ${preview(a)}`);
      const early = array.findIndex((item, i) => i < first && hasOwn(item, key) && jsonEqual(item[key], b));
      return early < 0 ? null : fail(`element ${early} with ${key} = ${preview(b)} comes before element ${first}`);
    }
    case '$null': {
      const isNull = value === MISSING || value === null;
      return isNull === arg ? null : fail(arg ? 'not null' : 'null or absent');
    }
    case '$not':
      return holds(value, arg) ? fail(`matches ${preview(arg, 200)}`) : null;
    case '$any':
      return arg.some((m) => holds(value, m)) ? null : fail(`matches none of ${preview(arg, 200)}`);
    default:
      throw new ScenarioError(`unknown operator ${op}`);
  }
}

/** Why `value` does not match `matcher` (resolved), or null; throws ScenarioError for a bad matcher. */
export function explainMismatch(value, matcher) {
  checkMatcher(matcher);
  const found = mismatch(value, matcher, '$');
  return found && `at ${found.path}: ${found.why}, got ${preview(found.actual, 200)}`;
}

/**
 * Checks the cases of tests/scenario/matchers.json; returns one message per
 * case whose verdict is wrong (or that should have been a scenario error).
 */
export function checkMatcherCases(cases) {
  const wrong = [];
  for (const [index, c] of cases.entries()) {
    const label = `case ${index} (${preview(c.missing ? '(absent)' : c.value, 100)} vs ${preview(c.matcher, 100)})`;
    let verdict;
    try {
      const matcher = resolve(c.matcher, c.saved ?? {});
      // An absent value is the matcher applied to {} under key "k".
      verdict = c.missing ? explainMismatch({}, { k: matcher }) === null : explainMismatch(c.value, matcher) === null;
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      if (!c.error) wrong.push(`${label}: unexpected scenario error: ${err.message}`);
      continue;
    }
    if (c.error) wrong.push(`${label}: gave ${verdict} instead of a scenario error`);
    else if (verdict !== c.holds) wrong.push(`${label}: gave ${verdict}, expected ${c.holds}`);
  }
  return wrong;
}

// ---------------------------------------------------------------------- totp

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32, either case, `=` padding optional. */
function base32Bytes(secret) {
  const text = typeof secret === 'string' ? secret.toUpperCase() : '';
  const chars = text.replace(/=+$/, '');
  if (!/^[A-Z2-7]+=*$/.test(text) || ![0, 2, 4, 5, 7].includes(chars.length % 8)) {
    throw new ScenarioError(`totp: the secret must be base32, not ${preview(secret, 100)}`);
  }
  const bytes = [];
  let buffer = 0;
  let bits = 0;
  for (const char of chars) {
    buffer = ((buffer << 5) | BASE32.indexOf(char)) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return Uint8Array.from(bytes);
}

/**
 * The RFC 6238 code (HMAC-SHA-1 through WebCrypto, 30-second steps) of a
 * base32 `secret` when the clock reads `now` (Unix seconds), moved by
 * `offsetSteps` steps; a string of `digits` digits.
 */
export async function totpCode(secret, now, offsetSteps = 0, digits = 6) {
  const key = base32Bytes(secret);
  if (!Number.isInteger(offsetSteps)) throw new ScenarioError(`totp: offset_steps must be an integer, not ${preview(offsetSteps)}`);
  if (![6, 7, 8].includes(digits)) throw new ScenarioError(`totp: digits is 6, 7 or 8, not ${preview(digits)}`);
  const counter = Math.floor(now / 30) + offsetSteps;
  if (counter < 0) throw new ScenarioError(`totp: no step before the Unix epoch (${now} s, ${offsetSteps} steps)`);
  const message = new DataView(new ArrayBuffer(8));
  message.setBigUint64(0, BigInt(counter));
  const hmacKey = await globalThis.crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  const mac = new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', hmacKey, message.buffer));
  const start = mac[mac.length - 1] & 0x0f;
  const binary = new DataView(mac.buffer).getUint32(start) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** What a `totp` step (its references resolved) gives when the clock reads `now`. */
function totpStep(step, now) {
  return totpCode(step.totp, now, step.offset_steps ?? 0, step.digits ?? 6);
}

/**
 * Checks the cases of tests/scenario/totp.json; returns one message per case
 * whose code is wrong (or that should have been a scenario error).
 */
export async function checkTotpCases(cases) {
  const wrong = [];
  for (const [index, c] of cases.entries()) {
    const label = `totp case ${index} (${preview(c.secret, 60)} at ${c.time})`;
    let code;
    try {
      code = await totpStep({ totp: c.secret, offset_steps: c.offset_steps, digits: c.digits }, c.time);
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      if (!c.error) wrong.push(`${label}: unexpected scenario error: ${err.message}`);
      continue;
    }
    if (c.error) wrong.push(`${label}: gave ${code} instead of a scenario error`);
    else if (code !== c.code) wrong.push(`${label}: gave ${code}, expected ${c.code}`);
  }
  return wrong;
}

// --------------------------------------------------------------------- steps

const STEP_KEYS = {
  client: ['client', 'api_key', 'base_url', 'max_retries'],
  call: ['call', 'as', 'path', 'query', 'headers', 'body', 'body_file', 'body_text', 'idempotency_key', 'save', 'expect', 'error'],
  paginate: ['paginate', 'as', 'query', 'save', 'expect', 'error'],
  proxy_stats: ['proxy_stats', 'save', 'expect', 'error'],
  totp: ['totp', 'offset_steps', 'digits', 'save', 'expect'],
};

// Most specific class first (TimeoutError extends ConnectionError).
const ERROR_KINDS = [
  ['TimeoutError', 'timeout'],
  ['ConnectionError', 'connection'],
  ['BadRequestError', 'bad_request'],
  ['AuthenticationError', 'authentication'],
  ['PermissionDeniedError', 'permission'],
  ['NotFoundError', 'not_found'],
  ['ConflictError', 'conflict'],
  ['ValidationError', 'validation'],
  ['RateLimitError', 'rate_limited'],
  ['ServerError', 'server'],
  ['InvalidArgumentError', 'invalid_argument'],
  ['DecodeError', 'decode'],
];

/** The error's facts of the README (`kind` from the SDK's error class). */
function errorFacts(sdk, err) {
  const kind = ERROR_KINDS.find(([name]) => err instanceof sdk[name]);
  return {
    kind: kind ? kind[1] : null,
    status: err.status ?? null,
    code: err.code ?? null,
    request_id: err.requestId ?? null,
    attempts: err.attempts ?? null,
    fields: err instanceof sdk.ValidationError ? err.errors.map((e) => e.field) : [],
  };
}

/** `If-Match` → `ifMatch`, `overlap_seconds` → `overlapSeconds` (the typed methods' parameter names). */
function camelCase(name) {
  return name
    .split(/[-_]/)
    .map((word, i) => (i === 0 ? word.toLowerCase() : word.charAt(0).toUpperCase() + word.slice(1).toLowerCase()))
    .join('');
}

function typedParams(...groups) {
  const entries = groups.flatMap((group) => Object.entries(group ?? {}));
  return entries.length ? Object.fromEntries(entries.map(([name, value]) => [camelCase(name), value])) : undefined;
}

/** Bytes of a raw request body: a `files` entry or `body_text`. */
function rawBody(step, files) {
  if (step.body_text !== undefined) return new TextEncoder().encode(step.body_text);
  if (step.body_file === undefined) return undefined;
  const file = files[step.body_file];
  if (file === undefined) throw new ScenarioError(`unknown file ${step.body_file}`);
  return typeof file === 'string' ? new TextEncoder().encode(file) : file;
}

/**
 * `client[operationId](...pathValues, body | data, params, options)`, with the
 * path values in the order of the path template and `params` only for the
 * methods that take query or header parameters.
 */
function callTyped(sdk, client, step, files) {
  const operationId = step.call;
  const op = sdk.OPERATIONS[operationId];
  const method = client[operationId];
  if (op === undefined || typeof method !== 'function') throw new ScenarioError(`unknown operation ${operationId}`);
  const names = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  const pathValues = step.path ?? {};
  for (const name of Object.keys(pathValues)) {
    if (!names.includes(name)) throw new ScenarioError(`${operationId} has no path parameter ${name}`);
  }
  const args = names.map((name) => {
    if (!hasOwn(pathValues, name)) throw new ScenarioError(`${operationId} needs the path parameter ${name}`);
    return pathValues[name];
  });
  const bytes = rawBody(step, files);
  if (op.body === 'json') {
    if (bytes !== undefined) throw new ScenarioError(`${operationId} takes a JSON body, not body_file/body_text`);
    args.push(step.body);
  } else if (op.body === 'binary') {
    if (step.body !== undefined) throw new ScenarioError(`${operationId} takes raw bytes (body_file/body_text), not body`);
    args.push(bytes);
  } else if (step.body !== undefined || bytes !== undefined) {
    throw new ScenarioError(`${operationId} takes no request body`);
  }
  const params = typedParams(step.query, step.headers);
  // The generated methods take (…, params, options) or (…, options).
  const takesParams = method.length === args.length + 2;
  if (takesParams) args.push(params);
  else if (method.length !== args.length + 1) throw new ScenarioError(`${operationId}: unexpected signature (${method.length} parameters)`);
  else if (params !== undefined) throw new ScenarioError(`${operationId} takes no query or header parameters`);
  args.push(step.idempotency_key === undefined ? undefined : { idempotencyKey: step.idempotency_key });
  return method.apply(client, args);
}

async function paginateAll(client, step) {
  const items = [];
  for await (const item of client.paginate(step.paginate, typedParams(step.query))) items.push(item);
  return items;
}

async function proxyStats(env) {
  const response = await fetch(`${env.flakyUrl}/__flaky/stats`);
  if (!response.ok) throw new ScenarioError(`GET ${env.flakyUrl}/__flaky/stats answered ${response.status}`);
  return response.json();
}

function actionOf(step) {
  const actions = Object.keys(STEP_KEYS).filter((key) => hasOwn(step, key));
  if (actions.length !== 1) throw new ScenarioError(`a step needs exactly one of ${Object.keys(STEP_KEYS).join(', ')}`);
  const action = actions[0];
  for (const key of Object.keys(step)) {
    if (key !== 'step' && !STEP_KEYS[action].includes(key)) throw new ScenarioError(`unknown key ${key} in a ${action} step`);
  }
  if (hasOwn(step, 'expect') && hasOwn(step, 'error')) throw new ScenarioError('a step has expect or error, not both');
  return action;
}

/**
 * Plays `scenario` (recruiting.json) against the live server.
 * env: { baseUrl, flakyUrl, adminKey, stamp }; files: { name: string | Uint8Array }.
 * Throws a StepFailure naming the step, the operation, the actual JSON and
 * the matcher path at the first step that does not go as written.
 * @returns {Promise<{steps: number}>}
 */
export async function runScenario(sdk, scenario, env, files) {
  const textFiles = {};
  for (const [name, spec] of Object.entries(scenario.files ?? {})) {
    if (files[name] === undefined) throw new ScenarioError(`the harness did not hand over the file ${name}`);
    if (spec.as === 'text') textFiles[name] = files[name];
  }
  const scope = { stamp: env.stamp, admin_key: env.adminKey, files: textFiles };
  const reserved = new Set(Object.keys(scope));
  const baseUrls = { server: env.baseUrl, flaky: env.flakyUrl };
  const clients = { admin: new sdk.Client({ baseUrl: env.baseUrl, apiKey: env.adminKey }) };

  for (const [index, raw] of scenario.steps.entries()) {
    let operation = '';
    let actual = MISSING;
    const failure = (message) =>
      new StepFailure(
        `step ${index + 1} "${raw.step}"${operation}: ${message}` + (actual === MISSING ? '' : `\n  actual: ${preview(actual)}`),
      );
    try {
      const action = actionOf(raw);
      if (action === 'client') {
        const step = resolve(raw, scope);
        const baseUrl = baseUrls[step.base_url];
        if (baseUrl === undefined) throw new ScenarioError(`base_url is server or flaky, not ${preview(step.base_url)}`);
        const options = { baseUrl, apiKey: step.api_key };
        if (step.max_retries !== undefined) options.maxRetries = step.max_retries;
        clients[step.client] = new sdk.Client(options);
        continue;
      }
      const { step: _sentence, expect, error, ...inputs } = raw;
      const step = resolve(inputs, scope);
      const as = step.as ?? 'admin';
      const client = clients[as];
      const local = action === 'proxy_stats' || action === 'totp';
      if (!local && client === undefined) throw new ScenarioError(`unknown client ${as}`);
      operation = local ? ` (${action})` : ` (${action === 'paginate' ? 'paginate ' : ''}${step[action]} as ${as})`;

      let outcome;
      try {
        if (action === 'call') outcome = { value: (await callTyped(sdk, client, step, files)) ?? null };
        else if (action === 'paginate') outcome = { value: await paginateAll(client, step) };
        else if (action === 'totp') outcome = { value: await totpStep(step, Math.floor(Date.now() / 1000)) };
        else outcome = { value: await proxyStats(env) };
      } catch (err) {
        if (err instanceof ScenarioError) throw err;
        if (!(err instanceof sdk.MismatchError)) throw failure(`threw ${err?.name ?? 'a non-error'}, not an SDK error: ${err?.message ?? err}`);
        outcome = { error: errorFacts(sdk, err), message: err.message };
      }

      if (outcome.error && error === undefined) {
        actual = outcome.error;
        throw failure(`the call failed: ${outcome.message}`);
      }
      if (!outcome.error && error !== undefined) {
        actual = outcome.value;
        throw failure('the call succeeded, but the step expects an error');
      }
      actual = outcome.error ?? outcome.value;
      if (step.save !== undefined) {
        if (reserved.has(step.save)) throw new ScenarioError(`save: ${step.save} is a reserved name`);
        scope[step.save] = actual;
      }
      const matcher = error !== undefined ? error : expect;
      if (error !== undefined || hasOwn(raw, 'expect')) {
        const why = explainMismatch(actual, resolve(matcher, scope));
        if (why) throw failure(`${error !== undefined ? 'error' : 'expect'} failed ${why}`);
      }
    } catch (err) {
      if (err instanceof StepFailure) throw err;
      if (err instanceof ScenarioError) throw failure(`error of the scenario: ${err.message}`);
      throw err;
    }
  }
  return { steps: scenario.steps.length };
}
