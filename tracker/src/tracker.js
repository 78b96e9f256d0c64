// The tracker: reads its configuration from its own <script> tag, sends pageviews (SPA
// navigation included), outbound and download clicks, engagement per page and the commands of
// the global queue `pq`. `w` is the window, passed in so that unit tests can give a fake one.
// Nothing here may throw into the host page: every entry point is wrapped by `safe`.

import { linkEvent } from './links.js'
import { transport } from './transport.js'
import { VERSION } from './version.js'

const KEY = 'p:' // localStorage key prefix

const safe =
  (f) =>
  (...a) => {
    try {
      return f(...a)
    } catch {}
  }

// Bounded as events.v1 bounds them, so that the collector never rejects an event for length.
const cut = (v, max) => (v ? ('' + v).slice(0, max) : void 0)

// properties are a flat string -> string map; null and undefined values are left out. A cut
// is marked as the collector marks its own: values past 1024 characters are cut, past 64
// entries the first ones are kept, and then _truncated names 'properties', taking its room
// from the entries (the collector's _dropped_properties count is not worth its bytes here).
const flat = (props, e = [], over) => {
  for (const k in props) {
    let v = props[k]
    if (v != null) {
      v = typeof v == 'object' ? JSON.stringify(v) : '' + v
      over ||= v[1024]
      e.push([k, v.slice(0, 1024)])
    }
  }
  if (e.length > 63 + !over) e.length = over = 63
  if (over) e.push(['_truncated', 'properties'])
  if (e[0]) return Object.fromEntries(e)
}

export const start = (w) => {
  const d = w.document
  const nav = w.navigator
  const loc = w.location
  const queued = w.pq
  if (queued && queued.v) return // loaded twice
  const script = d.currentScript
  const attr = (k) => script.getAttribute('data-' + k)
  const on = (k) => attr(k) != 'false'
  const site = attr('site')
  if (!site) return
  // Do-Not-Track or Global Privacy Control: everything runs, nothing is sent or stored.
  const dnt = on('respect-dnt') && (nav.doNotTrack == '1' || nav.globalPrivacyControl)
  const cookieless = dnt || on('cookieless')
  const api = attr('api') || new URL(script.src).origin
  const t = transport(w, api.replace(/\/+$/, '') + '/x/b')
  const now = () => w.Date.now()

  // localStorage: store(k) reads, store(k, v) writes and returns v, store(k, null) removes.
  // Where storage is blocked, reads give undefined and writes do nothing.
  const store = (k, v) => {
    try {
      const ls = w.localStorage
      if (v === void 0) return ls[KEY + k]
      v === null ? delete ls[KEY + k] : (ls[KEY + k] = v)
    } catch {}
    return v
  }
  // randomUUID exists only in secure contexts (https, localhost); the fallback is a v4 UUID too.
  const uuid = () => {
    try {
      return w.crypto.randomUUID()
    } catch {
      return ([1e7] + -1e3 + -4e3 + -8e3 + -1e11).replace(/[018]/g, (c) =>
        (c ^ (w.crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16),
      )
    }
  }

  // Identifiers exist only outside cookieless mode; memory backs them where storage is blocked.
  let out = store('out') == '1'
  let uid = cookieless ? void 0 : store('uid')
  let anon

  const here = () => ({ url: cut(loc.href, 2048), path: cut(loc.pathname, 1024), title: cut(d.title, 512) })
  const send = (type, name, props, page) => {
    if (out || dnt) return
    const event = {
      event_id: uuid(),
      type,
      name,
      site_id: site,
      user_id: uid,
      client_ts: new w.Date().toISOString(),
      ...(page || here()),
      screen_width: w.screen.width,
      screen_height: w.screen.height,
      language: nav.language,
      properties: flat(props),
      library_name: 'beacon-js',
      library_version: VERSION,
    }
    if (!cookieless) event.anonymous_id = anon ||= store('aid') || store('aid', uuid())
    t.push(event)
  }

  // The page being viewed: engagement is reported for it, even after the URL has changed.
  let page
  let path
  let referrer = d.referrer
  let engaged = 0
  let since = 0
  let depth = 0
  const visible = () => d.visibilityState == 'visible'
  const scroll = () => {
    const seen = ((w.scrollY + w.innerHeight) / d.documentElement.scrollHeight) * 100
    depth = Math.max(depth, Math.min(seen, 100) | 0)
  }
  // Report the visible time on `page` since the last report; pause: the page is being hidden.
  const leave = (pause) => {
    if (since) engaged += now() - since
    since = !pause && visible() ? now() : 0
    if (engaged > 0 && page) send('track', 'engagement', { engaged_ms: engaged, scroll_pct: depth }, page)
    engaged = 0
  }
  const pageview = () => {
    leave()
    page = here()
    path = loc.pathname + loc.search
    depth = 0
    since = visible() ? now() : 0
    scroll()
    send('page', 'pageview', 0, { ...page, referrer: cut(referrer, 2048) })
    referrer = loc.href
  }
  // A query change is a new page; a hash or history-state change alone is not.
  const moved = safe(() => loc.pathname + loc.search != path && pageview())
  const hide = () => {
    leave(1)
    t.flush(1)
  }
  const click = (e) => {
    let a = e.target
    if (e.button > 1) return // right button
    while (a && !(a.tagName == 'A' && a.href)) a = a.parentNode
    const link = a && linkEvent(a.href, loc.host)
    if (link) {
      send('track', ...link)
      t.flush(1) // the page may be about to go away
    }
  }

  const commands = {
    page: pageview,
    track: (name, props) => name && send('track', cut(name, 128), props),
    identify: (id, traits) => {
      uid = cut(id, 128)
      cookieless || store('uid', uid || null)
      uid && send('identify', 'identify', traits)
    },
    optOut: () => {
      out = true
      store('out', '1')
      t.clear()
      anon = uid = void 0
      store('aid', null)
      store('uid', null)
    },
    optIn: () => {
      out = false
      store('out', null)
    },
  }
  const pq = (w.pq = safe((name, ...args) => commands[name] && commands[name](...args)))
  pq.v = VERSION

  const listen = (target, type, f) => target.addEventListener(type, safe(f), true)
  listen(d, 'visibilitychange', () => (visible() ? (since = now()) : hide()))
  listen(w, 'pagehide', hide)
  listen(w, 'scroll', scroll)
  listen(d, 'click', click)
  listen(d, 'auxclick', click) // middle button: opens the link in a new tab
  if (on('spa')) {
    const history = w.history
    for (const m of ['pushState', 'replaceState']) {
      const original = history[m]
      history[m] = function () {
        const result = original.apply(this, arguments)
        moved()
        return result
      }
    }
    listen(w, 'popstate', moved)
  }

  // Commands queued by the stub before the script loaded, then the first pageview.
  for (const args of (queued && queued.q) || []) pq(...args)
  pageview()
}
