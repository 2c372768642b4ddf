// The `import` entry of the Node build: the CommonJS build re-exported, so
// that `import` and `require` in one program share one Client and one set of
// error classes (see scripts/bundle.mjs).
export * from './node.cjs';
