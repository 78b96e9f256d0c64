// The committed dist/p.js: built from src/ as it is now, within its size budget, and working.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import vm from 'node:vm'

import { BUDGET_GZIP_BYTES, DIST, ROOT, bundle, gzipSize } from '../../build.mjs'
import { VERSION } from '../../src/version.js'
import { FLUSH_MS } from '../../src/transport.js'
import { fakeWindow } from '../fake-window.mjs'

const dist = readFileSync(DIST, 'utf8')

test('dist/p.js is up to date with src/ (run `npm run build` and commit dist/)', async () => {
  assert.ok((await bundle()) === dist, 'dist/p.js differs from a fresh build of src/')
})

test(`dist/p.js is within its budget of ${BUDGET_GZIP_BYTES} bytes gzipped`, () => {
  const size = gzipSize(dist)
  assert.ok(size <= BUDGET_GZIP_BYTES, `${size} bytes gzipped, over the budget of ${BUDGET_GZIP_BYTES}`)
})

test('library_version is the package version', () => {
  assert.equal(VERSION, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version)
})

test("the README's snippet queues commands that the built file then runs", async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const stub = readme.match(/<script>(window\.pq=.*?)<\/script>/)[1]
  const w = fakeWindow()
  w.window = w
  w.URL = URL // not a JavaScript built-in, so not in a fresh context
  vm.createContext(w)
  vm.runInContext(stub, w)
  vm.runInContext("pq('track', 'early', {n: 1})", w)
  vm.runInContext(dist, w)
  vm.runInContext("pq('track', 'late')", w)
  await w.tick(FLUSH_MS)
  assert.deepEqual(
    w.sent().map((e) => [e.name, e.properties]),
    [
      ['early', { n: '1' }],
      ['pageview', undefined],
      ['late', undefined],
    ],
  )
  assert.equal(w.requests[0].url, 'https://c.example.net/x/b')
})
