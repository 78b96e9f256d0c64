// Builds dist/p.js (one minified IIFE) and prints its size against the budget.
//   node build.mjs          write dist/p.js
// bundle() and gzipSize() are also used by the test that keeps dist/ in step with src/.
// esbuild bundles; terser minifies, a few percent smaller than esbuild's own minifier, which
// matters under a 2 KB budget.
import { build } from 'esbuild'
import { minify } from 'terser'
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

export const ROOT = dirname(fileURLToPath(import.meta.url))
export const DIST = join(ROOT, 'dist', 'p.js')
export const BUDGET_GZIP_BYTES = 2048

export const bundle = async () => {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ['src/p.js'],
    bundle: true,
    format: 'iife',
    target: 'es2019',
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    logLevel: 'silent',
  })
  const minified = await minify(result.outputFiles[0].text, {
    ecma: 2019,
    compress: { passes: 3, unsafe_arrows: true, toplevel: true },
    mangle: { toplevel: true },
    format: { comments: false },
  })
  return minified.code
}

// gzip at zlib's default level, what web servers typically use.
export const gzipSize = (code) => gzipSync(Buffer.from(code)).length

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const code = await bundle()
  writeFileSync(DIST, code)
  const gz = gzipSize(code)
  console.log(
    `dist/p.js: ${Buffer.byteLength(code)} bytes, ${gz} bytes gzipped (budget ${BUDGET_GZIP_BYTES})`,
  )
  if (gz > BUDGET_GZIP_BYTES) {
    console.error('dist/p.js is over its gzip budget')
    process.exit(1)
  }
}
