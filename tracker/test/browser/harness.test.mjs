// The harness that other end-to-end tests reuse: launch, run a script in a page, close.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { runInBrowser } from '../browser.mjs'
import { startSiteServer } from '../site-server.mjs'

test('runInBrowser opens a URL, runs a script (after an init script) and returns its result', async () => {
  const site = await startSiteServer()
  try {
    const result = await runInBrowser(site.pageUrl('harness'), () => ({
      title: document.title,
      headless: navigator.userAgent.includes('Headless') || navigator.webdriver,
    }))
    assert.deepEqual(result, { title: 'Test page', headless: true })
    const withInit = await runInBrowser(site.pageUrl('harness'), 'window.fromInit', {
      initScript: 'window.fromInit = 42',
    })
    assert.equal(withInit, 42)
  } finally {
    await site.close()
  }
})

test('a missing browser is a clear error, not a download', async () => {
  await assert.rejects(
    runInBrowser('about:blank', '1', { executablePath: '/nonexistent/chromium', timeoutMs: 5000 }),
    /nonexistent\/chromium/,
  )
})
