// Argument helpers for the generated operation methods (src/generated.js).

import { InvalidArgumentError } from './errors.js';

/** A path parameter must be a non-empty string (ids are strings) or a finite number. */
export function pathArg(operationId, name, value) {
  if ((typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isFinite(value))) {
    return String(value);
  }
  throw new InvalidArgumentError(`${operationId}: \`${name}\` must be a non-empty string`);
}

/**
 * A binary request body: bytes, an ArrayBuffer, or a Blob/File (what a browser
 * file input gives), which is read here.
 * @returns {Promise<Uint8Array>}
 */
export async function bytesArg(operationId, value) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (typeof Blob !== 'undefined' && value instanceof Blob) return new Uint8Array(await value.arrayBuffer());
  throw new InvalidArgumentError(`${operationId}: the request body must be a Uint8Array, ArrayBuffer or Blob`);
}

/**
 * Copy the defined entries of `params` into `target` under their spec names
 * (`map` is camelCase → spec name). Spec names are accepted too, so
 * `{ nextCursor }` and `{ next_cursor }` both work; unknown keys are an error
 * rather than being silently dropped.
 */
export function queryArgs(operationId, params, map, required, target) {
  if (params !== undefined && params !== null) {
    if (typeof params !== 'object') throw new InvalidArgumentError(`${operationId}: parameters must be an object`);
    const specNames = new Set(Object.values(map));
    for (const [key, value] of Object.entries(params)) {
      const specName = map[key] ?? (specNames.has(key) ? key : undefined);
      if (specName === undefined) throw new InvalidArgumentError(`${operationId}: unknown parameter \`${key}\``);
      if (value !== undefined && value !== null) target[specName] = value;
    }
  }
  for (const name of required) {
    if (target[name] === undefined) throw new InvalidArgumentError(`${operationId}: parameter \`${name}\` is required`);
  }
  return target;
}
