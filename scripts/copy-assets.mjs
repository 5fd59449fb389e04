// After tsc: copies the files the runtime reads besides JavaScript (Lua scripts; the Python
// runtime that `codegen python` copies into the modules it generates) from src/ to dist/, and
// makes the CLI executable for npx and global installs.
import { chmodSync, cpSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

function copyLua(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) copyLua(path)
    else if (path.endsWith('.lua') || path.endsWith('.py')) cpSync(path, join('dist', relative('src', path)))
  }
}
copyLua('src')
chmodSync('dist/cli/main.js', 0o755)
