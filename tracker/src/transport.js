// Delivery of events to the collector: batched, retried with exponential backoff on network
// errors, 5xx and 429 (never on other 4xx: the collector has refused those for good), with a
// bounded queue. While the page is being hidden or unloaded, everything left goes by
// sendBeacon, which outlives the page.
//
// The body is a string, so both fetch and sendBeacon send it as text/plain;charset=UTF-8 with
// no custom header: a CORS simple request, no preflight.

export const FLUSH_MS = 1000 // gather events for this long before a request
export const BATCH = 20 // events per request (far below the 64 KB keepalive/beacon limit)
export const MAX_QUEUE = 100 // oldest events are dropped beyond this
export const MAX_ATTEMPTS = 5 // tries per batch, then it is dropped
export const BACKOFF_MS = 1000 // first retry delay, doubled on every further failure

export const transport = (w, url) => {
  let queue = []
  let timer = 0
  let busy = 0
  let tries = 0
  // Promise.resolve first: a missing fetch becomes a rejection, not a throw.
  const post = (body) =>
    Promise.resolve().then(() => w.fetch(url, { method: 'POST', body, keepalive: true }))
  const later = (ms) => {
    timer ||= w.setTimeout(() => {
      timer = 0
      flush()
    }, ms)
  }
  const flush = (hiding) => {
    if (hiding) {
      w.clearTimeout(timer)
      timer = 0
      while (queue.length) {
        const body = JSON.stringify(queue.splice(0, BATCH))
        // sendBeacon refuses what it cannot queue: then a keepalive fetch, which also outlives the page.
        w.navigator.sendBeacon(url, body) || post(body).catch(() => 0)
      }
    } else if (!busy && queue.length) {
      const sent = queue.splice(0, BATCH)
      busy = 1
      post(JSON.stringify(sent))
        .then(
          (r) => r.status < 500 && r.status != 429,
          () => 0,
        )
        .then((done) => {
          busy = 0
          // done: delivered or refused for good; otherwise retry until MAX_ATTEMPTS.
          if (done || ++tries >= MAX_ATTEMPTS) tries = 0
          else queue = sent.concat(queue).slice(-MAX_QUEUE)
          queue.length && later(tries && BACKOFF_MS << (tries - 1))
        })
    }
  }
  return {
    push(event) {
      queue.push(event) > MAX_QUEUE && queue.shift()
      later(FLUSH_MS)
    },
    flush,
    clear() {
      queue = []
    },
  }
}
