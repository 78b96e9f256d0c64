// Headless Chromium for tests: the system's Chromium (Debian's /usr/bin/chromium, or
// BEACON_CHROMIUM), driven by playwright-core, in a fresh profile that is deleted on close.
// No browser is ever downloaded.
//
//   const browser = await launchChromium()        // one browser, many pages
//   await browser.withPage(url, async (page) => { ... }, { initScript })
//   await browser.close()
//   const result = await runInBrowser(url, () => document.title)   // launch, run, close
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { chromium } from 'playwright-core'

export const CHROMIUM = process.env.BEACON_CHROMIUM || '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** A clear message instead of a launch error when Chromium is not installed. */
export const chromiumMissing = () =>
  existsSync(CHROMIUM)
    ? null
    : `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set BEACON_CHROMIUM)`

/**
 * Launch headless Chromium in a fresh profile directory.
 * Returns { context, withPage(url, fn, options), close() }.
 */
export const launchChromium = async ({ executablePath = CHROMIUM, args = [], timeoutMs = 30_000 } = {}) => {
  const missing = executablePath === CHROMIUM && chromiumMissing()
  if (missing) throw new Error(missing)
  const profile = await mkdtemp(join(tmpdir(), 'beacon-chromium-'))
  let context
  try {
    // A persistent context is how playwright takes a --user-data-dir of our choosing.
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: [...CHROMIUM_ARGS, ...args],
      timeout: timeoutMs,
    })
  } catch (error) {
    await rm(profile, { recursive: true, force: true })
    throw error
  }
  context.setDefaultTimeout(timeoutMs)
  return {
    context,
    /**
     * Open `url` in a new page, await fn(page), close the page; returns fn's result.
     * initScript: JavaScript (string or function) run in the page before its own scripts.
     */
    async withPage(url, fn, { initScript } = {}) {
      const page = await context.newPage()
      try {
        if (initScript) await page.addInitScript(initScript)
        await page.goto(url)
        return await fn(page)
      } finally {
        await page.close()
      }
    },
    async close() {
      try {
        await context.close()
      } finally {
        await rm(profile, { recursive: true, force: true })
      }
    },
  }
}

/**
 * Launch Chromium, open `url`, evaluate `script` (a function or an expression string) in the
 * page, close everything; returns the script's result.
 */
export const runInBrowser = async (url, script, { initScript, ...launch } = {}) => {
  const browser = await launchChromium(launch)
  try {
    return await browser.withPage(url, (page) => page.evaluate(script), { initScript })
  } finally {
    await browser.close()
  }
}
