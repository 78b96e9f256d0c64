// The official browser trackers, bundled from npm with esbuild, each as one script that sets
// a page global, the way a site that installs them from npm would ship them.
//   node bundles.mjs      bundles both and prints their sizes (a check that the install works)
import { build } from 'esbuild'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = dirname(fileURLToPath(import.meta.url))

// global name -> npm package. Plausible's init() sets window.plausible itself, so its module
// goes by another name.
export const TRACKERS = {
  snowplow: '@snowplow/browser-tracker',
  PlausibleTracker: '@plausible-analytics/tracker',
}

/** { globalName: JavaScript source } for every tracker of TRACKERS. */
export const bundleTrackers = async () => {
  const bundles = {}
  for (const [globalName, pkg] of Object.entries(TRACKERS)) {
    const result = await build({
      stdin: { contents: `export * from '${pkg}'`, resolveDir: ROOT, loader: 'js' },
      bundle: true,
      format: 'iife',
      globalName,
      target: 'es2019',
      write: false,
      logLevel: 'silent',
    })
    bundles[globalName] = result.outputFiles[0].text
  }
  return bundles
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, code] of Object.entries(await bundleTrackers())) {
    console.log(`${name}: ${Buffer.byteLength(code)} bytes`)
  }
}
