// A minimal fake browser window for unit tests of the tracker: just the parts it touches,
// with a manual clock, a recording fetch and sendBeacon, and an in-memory localStorage.
import { randomUUID, getRandomValues } from 'node:crypto'

export const T0 = Date.UTC(2025, 0, 15, 12, 0, 0)

class Target {
  listeners = {} // public, not #private: a vm context calls these with its global proxy as `this`
  addEventListener(type, f) {
    ;(this.listeners[type] ||= []).push(f)
  }
  dispatch(type, event = {}) {
    for (const f of this.listeners[type] || []) f({ type, ...event })
  }
}

/** An element for click tests: el('a', { href }, el('span')) nests the span in the link. */
export const el = (tag, props = {}, ...children) => {
  const node = { tagName: tag.toUpperCase(), parentNode: null, ...props }
  for (const child of children) child.parentNode = node
  return node
}

/**
 * A window as the tracker sees it after its <script> tag ran.
 *   url        the page's URL
 *   attrs      the script's data-* attributes (without the data- prefix)
 *   responses  what successive fetches answer: a status number or 'error' (network failure);
 *              202 once they run out
 *   beacon     what sendBeacon returns (false: the browser refused to queue it)
 */
export const fakeWindow = ({
  url = 'https://shop.example/products?page=2',
  attrs = { site: 'site-1' },
  src = 'https://c.example.net/static/p.js',
  title = 'Products',
  referrer = 'https://search.example/?q=shoes',
  dnt = null,
  gpc = undefined,
  storage = {},
  responses = [],
  beacon = true,
  secure = true,
  stub = null,
} = {}) => {
  const w = new Target()
  const clock = { now: T0, timers: [], seq: 0 }
  let current = new URL(url)

  w.Date = class extends Date {
    constructor(...a) {
      super(...(a.length ? a : [clock.now]))
    }
    static now() {
      return clock.now
    }
  }
  w.setTimeout = (f, ms) => {
    const id = ++clock.seq
    clock.timers.push({ id, at: clock.now + (ms || 0), f })
    return id
  }
  w.clearTimeout = (id) => {
    clock.timers = clock.timers.filter((t) => t.id !== id)
  }
  /** Advance the clock, running due timers in order and letting promises settle between. */
  w.tick = async (ms = 0) => {
    const end = clock.now + ms
    await settle()
    for (;;) {
      clock.timers.sort((a, b) => a.at - b.at || a.id - b.id)
      const next = clock.timers[0]
      if (!next || next.at > end) break
      clock.timers.shift()
      clock.now = next.at
      next.f()
      await settle()
    }
    clock.now = end
  }
  w.clock = clock

  w.location = {
    get href() {
      return current.href
    },
    get pathname() {
      return current.pathname
    },
    get search() {
      return current.search
    },
    get host() {
      return current.host
    },
    get hash() {
      return current.hash
    },
  }
  const go = (to) => {
    current = new URL(to, current)
  }
  w.history = {
    pushState(state, unused, to) {
      if (to != null) go(to)
    },
    replaceState(state, unused, to) {
      if (to != null) go(to)
    },
  }
  /** The back button: the URL changes, then popstate fires. */
  w.back = (to) => {
    go(to)
    w.dispatch('popstate')
  }

  const script = { src, getAttribute: (name) => attrs[name.replace(/^data-/, '')] ?? null }
  w.document = new Target()
  Object.assign(w.document, {
    currentScript: script,
    title,
    referrer,
    visibilityState: 'visible',
    documentElement: { scrollHeight: 3000 },
  })
  w.hide = () => {
    w.document.visibilityState = 'hidden'
    w.document.dispatch('visibilitychange')
  }
  w.show = () => {
    w.document.visibilityState = 'visible'
    w.document.dispatch('visibilitychange')
  }
  w.scrollTo = (y) => {
    w.scrollY = y
    w.dispatch('scroll')
  }
  w.click = (target, button = 0) => w.document.dispatch(button ? 'auxclick' : 'click', { target, button })
  w.scrollY = 0
  w.innerHeight = 1000
  w.screen = { width: 1920, height: 1080 }

  w.beacons = []
  w.navigator = {
    language: 'de-CH',
    doNotTrack: dnt,
    globalPrivacyControl: gpc,
    sendBeacon: (to, body) => {
      w.beacons.push({ url: to, body, events: JSON.parse(body) })
      return beacon
    },
  }
  w.requests = []
  w.fetch = async (to, init) => {
    w.requests.push({ url: to, init, events: JSON.parse(init.body) })
    const answer = responses.length ? responses.shift() : 202
    if (answer === 'error') throw new TypeError('Failed to fetch')
    return { status: answer, ok: answer < 300 }
  }
  w.localStorage = storage
  w.crypto = secure
    ? { randomUUID, getRandomValues: (a) => getRandomValues(a) }
    : { getRandomValues: (a) => getRandomValues(a) } // randomUUID is missing on plain http

  /** Everything that left the page, by fetch and by beacon, in order of sending. */
  w.sent = () => [...w.requests, ...w.beacons].flatMap((r) => r.events)
  if (stub) stub(w)
  return w
}

const settle = () => new Promise((resolve) => setImmediate(resolve))

/** The queue stub of the README, as a page runs it before the script loads. */
export const installStub = (w) => {
  w.pq = function () {
    ;(w.pq.q = w.pq.q || []).push(arguments)
  }
}
