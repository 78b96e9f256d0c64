// Entry point of dist/p.js.
import { start } from './tracker.js'

try {
  start(window)
} catch {}
