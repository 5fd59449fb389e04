// Copies the non-TypeScript files the runtime reads (Lua scripts) from src/ to dist/.
import { cpSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path)
    else if (path.endsWith('.lua')) cpSync(path, join('dist', relative('src', path)))
  }
}
walk('src')
