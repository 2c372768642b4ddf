// The generator: committed output is current, and the description → TypeScript rules.
// It reads sdk-rust/codegen/operations.json, the operation description that
// mismatch-codegen writes from openapi.json.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { camelCase, collectOperations, emitDts, emitJs, tsType } from '../scripts/generate.mjs';

const sdkRoot = fileURLToPath(new URL('..', import.meta.url));
const specPath = fileURLToPath(new URL('../../openapi.json', import.meta.url));
const descriptionPath = fileURLToPath(new URL('../../sdk-rust/codegen/operations.json', import.meta.url));
const generator = join(sdkRoot, 'scripts', 'generate.mjs');

function runGenerator(args) {
  return spawnSync(process.execPath, [generator, ...args], { cwd: sdkRoot, encoding: 'utf8' });
}

test('committed src/generated.js and index.d.ts match the operation description (--check)', () => {
  const result = runGenerator(['--check']);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /up to date/);
});

test('--check fails when the description gains an operation', () => {
  const description = JSON.parse(readFileSync(descriptionPath, 'utf8'));
  description.operations.push({
    id: 'probeGenerator',
    method: 'GET',
    path: '/v1/__generator_probe',
    path_params: [],
    params: [],
    body: null,
    response: { status: 200, kind: 'none' },
    pagination: null,
  });
  const dir = mkdtempSync(join(tmpdir(), 'mm-gen-'));
  const changed = join(dir, 'operations.json');
  writeFileSync(changed, JSON.stringify(description));
  const result = runGenerator(['--check', '--description', changed]);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /out of date/);
  // --check never writes: the committed output still matches the real spec.
  assert.equal(runGenerator(['--check']).status, 0);
});

test('every operation of the spec gets a method and a typed declaration', () => {
  const spec = JSON.parse(readFileSync(specPath, 'utf8'));
  const ids = [];
  for (const item of Object.values(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (['get', 'post', 'put', 'patch', 'delete'].includes(method)) ids.push(op.operationId);
    }
  }
  const js = readFileSync(join(sdkRoot, 'src', 'generated.js'), 'utf8');
  const dts = readFileSync(join(sdkRoot, 'index.d.ts'), 'utf8');
  assert.ok(ids.length > 0);
  for (const id of ids) {
    const name = camelCase(id);
    assert.match(js, new RegExp(`async ${name}\\(`), `generated.js lacks ${name}`);
    assert.match(dts, new RegExp(`  ${name}\\(.*\\): Promise<`), `index.d.ts lacks ${name}`);
  }
  for (const name of Object.keys(spec.components?.schemas ?? {})) {
    assert.match(dts, new RegExp(`export (interface|type) ${name}\\b`), `index.d.ts lacks schema ${name}`);
  }
});

test('OpenAPI 3.1 schemas become the expected TypeScript', () => {
  assert.equal(tsType({ type: ['string', 'null'] }), 'string | null');
  assert.equal(tsType({ type: 'integer', format: 'int64' }), 'number');
  assert.equal(tsType({ type: 'string', format: 'binary' }), 'Uint8Array');
  assert.equal(tsType({ oneOf: [{ type: 'null' }, { $ref: '#/components/schemas/job_status' }] }), 'null | JobStatus');
  assert.equal(tsType({ type: 'string', enum: ['open', 'closed'] }), '"open" | "closed"');
  assert.equal(tsType({ const: 'USD' }), '"USD"');
  assert.equal(tsType({ type: 'array', items: { type: ['number', 'null'] } }), '(number | null)[]');
  assert.equal(tsType({ type: 'object', additionalProperties: { type: 'integer' } }), 'Record<string, number>');
  assert.equal(tsType({}), 'unknown');
  assert.equal(
    tsType({ allOf: [{ $ref: '#/components/schemas/A' }, { $ref: '#/components/schemas/B' }] }),
    'A & B',
  );
  assert.equal(
    tsType({ type: 'object', required: ['id'], properties: { id: { type: 'string' }, 'x-y': { type: 'boolean' } } }),
    '{\n  id: string;\n  "x-y"?: boolean;\n}',
  );
});

test('methods take path parameters, body or bytes, query parameters and options in that order', () => {
  // What mismatch-codegen writes for a binary upload under a path parameter
  // and a bodiless DELETE.
  const thingId = { name: 'thing_id', in: 'path', required: true, description: '', schema: { type: 'string' } };
  const description = {
    title: 'things',
    version: '1',
    operations: [
      {
        id: 'upload_thing_part',
        method: 'POST',
        path: '/v1/things/{thing_id}/parts',
        path_params: ['thing_id'],
        params: [thingId, { name: 'file_name', in: 'query', required: true, description: '', schema: { type: 'string' } }],
        body: { kind: 'binary', content_type: 'application/octet-stream', required: false, schema: null },
        response: { status: 201, kind: 'json', schema: { $ref: '#/components/schemas/Part' } },
        pagination: null,
      },
      {
        id: 'deleteParts',
        method: 'DELETE',
        path: '/v1/things/{thing_id}/parts',
        path_params: ['thing_id'],
        params: [thingId],
        body: null,
        response: { status: 204, kind: 'none', schema: null },
        pagination: null,
      },
    ],
    schemas: { Part: { type: 'object', properties: { id: { type: 'string' } } } },
  };
  const ops = collectOperations(description);
  assert.deepEqual(
    ops.map((op) => [op.name, op.method, op.body.kind, op.response]),
    [
      ['uploadThingPart', 'POST', 'binary', 'Part'],
      ['deleteParts', 'DELETE', 'none', 'null'],
    ],
  );
  const dts = emitDts(description, ops);
  assert.match(
    dts,
    /uploadThingPart\(thingId: string, data: Uint8Array \| ArrayBuffer \| Blob, params: UploadThingPartParams, options\?: RequestOptions\): Promise<Part>;/,
  );
  assert.match(dts, /export interface UploadThingPartParams \{\n  fileName: string;\n\}/);
  const js = emitJs(ops);
  assert.match(js, /async uploadThingPart\(thingId, data, params, options\)/);
  assert.match(js, /\{ fileName: "file_name" \}, \["file_name"\]/);
});
