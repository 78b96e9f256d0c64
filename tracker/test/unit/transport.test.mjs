import assert from 'node:assert/strict'
import { test } from 'node:test'

import {
  BACKOFF_MS,
  BATCH,
  FLUSH_MS,
  MAX_ATTEMPTS,
  MAX_QUEUE,
  transport,
} from '../../src/transport.js'
import { fakeWindow } from '../fake-window.mjs'

const URL_ = 'https://c.example.net/x/b'
const ev = (i) => ({ event_id: `e${i}` })
const ids = (events) => events.map((e) => e.event_id)

const setup = (options) => {
  const w = fakeWindow(options)
  return { w, t: transport(w, URL_) }
}

test('events pushed together go in one POST after FLUSH_MS', async () => {
  const { w, t } = setup()
  t.push(ev(1))
  await w.tick(FLUSH_MS / 2)
  t.push(ev(2))
  assert.equal(w.requests.length, 0, 'nothing before the flush delay')
  await w.tick(FLUSH_MS / 2)
  assert.equal(w.requests.length, 1)
  const [r] = w.requests
  assert.equal(r.url, URL_)
  assert.deepEqual(ids(r.events), ['e1', 'e2'])
  // a string body and no headers: text/plain;charset=UTF-8, a CORS simple request
  assert.equal(r.init.method, 'POST')
  assert.equal(typeof r.init.body, 'string')
  assert.equal(r.init.headers, undefined)
  assert.equal(r.init.keepalive, true)
})

test('more than BATCH events go in several requests', async () => {
  const { w, t } = setup()
  for (let i = 0; i < BATCH * 2 + 3; i++) t.push(ev(i))
  await w.tick(FLUSH_MS)
  assert.deepEqual(
    w.requests.map((r) => r.events.length),
    [BATCH, BATCH, 3],
  )
  assert.deepEqual(ids(w.requests.flatMap((r) => r.events)), ids([...Array(BATCH * 2 + 3).keys()].map(ev)))
})

test('network errors are retried with exponential backoff, then the batch goes through', async () => {
  const { w, t } = setup({ responses: ['error', 'error', 'error', 202] })
  const sentAt = []
  const fetch = w.fetch
  w.fetch = (...a) => (sentAt.push(w.clock.now), fetch(...a))
  t.push(ev(1))
  await w.tick(60_000)
  assert.equal(w.requests.length, 4)
  const gaps = sentAt.slice(1).map((at, i) => at - sentAt[i])
  assert.deepEqual(gaps, [BACKOFF_MS, BACKOFF_MS * 2, BACKOFF_MS * 4])
  for (const r of w.requests) assert.deepEqual(ids(r.events), ['e1'])
})

test('5xx and 429 are retried; other 4xx are not', async () => {
  for (const status of [500, 502, 503, 429]) {
    const { w, t } = setup({ responses: [status] })
    t.push(ev(1))
    await w.tick(60_000)
    assert.equal(w.requests.length, 2, `status ${status}`)
  }
  for (const status of [400, 401, 403, 404, 413, 422]) {
    const { w, t } = setup({ responses: [status] })
    t.push(ev(1))
    await w.tick(60_000)
    assert.equal(w.requests.length, 1, `status ${status}`)
  }
})

test('a batch is given up after MAX_ATTEMPTS, and later events still go', async () => {
  const { w, t } = setup({ responses: Array(MAX_ATTEMPTS).fill(503) })
  t.push(ev(1))
  await w.tick(10 * 60_000)
  assert.equal(w.requests.length, MAX_ATTEMPTS)
  t.push(ev(2))
  await w.tick(FLUSH_MS)
  assert.equal(w.requests.length, MAX_ATTEMPTS + 1)
  assert.deepEqual(ids(w.requests.at(-1).events), ['e2'])
})

test('events pushed while a batch waits to be retried go after it, in order', async () => {
  const { w, t } = setup({ responses: ['error'] })
  t.push(ev(1))
  await w.tick(FLUSH_MS)
  t.push(ev(2))
  await w.tick(BACKOFF_MS)
  assert.deepEqual(ids(w.requests.at(-1).events), ['e1', 'e2'])
})

test('the queue is bounded: the oldest events are dropped', async () => {
  const { w, t } = setup()
  for (let i = 0; i < MAX_QUEUE + 5; i++) t.push(ev(i))
  await w.tick(FLUSH_MS)
  const sent = ids(w.requests.flatMap((r) => r.events))
  assert.equal(sent.length, MAX_QUEUE)
  assert.equal(sent[0], 'e5')
  assert.equal(sent.at(-1), `e${MAX_QUEUE + 4}`)
})

test('flush(hiding) sends everything at once by sendBeacon, in batches', async () => {
  const { w, t } = setup()
  for (let i = 0; i < BATCH + 1; i++) t.push(ev(i))
  t.flush(1)
  assert.deepEqual(
    w.beacons.map((b) => b.events.length),
    [BATCH, 1],
  )
  assert.equal(w.beacons[0].url, URL_)
  await w.tick(60_000)
  assert.equal(w.requests.length, 0, 'the flush timer was cancelled')
})

test('flush(hiding) also sends a batch that waits for its retry', async () => {
  const { w, t } = setup({ responses: ['error'] })
  t.push(ev(1))
  await w.tick(FLUSH_MS)
  t.flush(1)
  assert.deepEqual(ids(w.beacons[0].events), ['e1'])
  await w.tick(60_000)
  assert.equal(w.requests.length, 1, 'no retry after the beacon took it')
})

test('when sendBeacon refuses, a keepalive fetch takes the batch', async () => {
  const { w, t } = setup({ beacon: false })
  t.push(ev(1))
  t.flush(1)
  await w.tick()
  assert.equal(w.requests.length, 1)
  assert.equal(w.requests[0].init.keepalive, true)
})

test('clear() drops what is queued', async () => {
  const { w, t } = setup()
  t.push(ev(1))
  t.clear()
  await w.tick(60_000)
  assert.equal(w.requests.length, 0)
})

test('a browser without fetch neither throws nor stops the queue', async () => {
  const { w, t } = setup()
  delete w.fetch
  t.push(ev(1))
  await w.tick(60_000) // rejected, retried, given up: no throw out of a timer
  t.push(ev(2))
  t.flush(1)
  assert.deepEqual(ids(w.beacons[0].events), ['e2'])
})
