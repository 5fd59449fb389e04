import { execFile } from 'node:child_process'
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, posix, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connect, type RedisExpertClient } from 'redis-expert'
import { type RedisServer, startRedis } from 'redis-expert/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/*
 * Issue 16: a newcomer's app gets the toolkit in. This does what the README's "Use it in your
 * project" section says, on a copy of the working tree (tracked and new files, as a clone would
 * have them after `npm ci`: the repository's node_modules stands in for the install): `npm pack`
 * (whose prepare script builds dist/), then in a new CommonJS app and a new ES module app made by
 * `npm init -y`, `npm install` of the tarball and the README's programs, run against a real
 * redis-server. The programs, the tsconfig and the commands are read from the README, so the
 * README cannot say something this test does not do. `npm pack --dry-run --json` is checked too:
 * what ships and what must not. The registry is only asked for what the npm cache lacks
 * (--prefer-offline); every child process is bounded.
 */

const root = fileURLToPath(new URL('../../', import.meta.url))
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string
  version: string
  exports: Record<string, unknown>
}
const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline']

/** The fenced block after `<!-- install-test: <label> -->` in the README. */
function readmeBlock(label: string): string {
  const marker = `<!-- install-test: ${label} -->`
  const at = readme.indexOf(marker)
  if (at < 0) throw new Error(`README.md has no ${marker}`)
  const match = /^```[\w-]*\n([\s\S]*?)^```$/m.exec(readme.slice(at + marker.length))
  if (!match?.[1]) throw new Error(`README.md: no code block after ${marker}`)
  return match[1]
}

/** npm's own variables of the `npm test` that runs this, which would steer the child npm. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env))
    if (!/^npm_/i.test(name) && name !== 'NODE_OPTIONS') env[name] = value
  return { ...env, NO_UPDATE_NOTIFIER: '1', ...extra }
}

interface Ran {
  stdout: string
  stderr: string
}

/** A child process with a deadline: killed (SIGKILL) and failed once `timeoutMs` has passed. */
function run(
  command: string,
  args: readonly string[],
  cwd: string,
  timeoutMs: number,
  env: Record<string, string> = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, env: cleanEnv(env), timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (error)
          reject(
            new Error(
              `${command} ${args.join(' ')} (in ${cwd}) failed: ${error.message}\n${stdout.slice(-8000)}\n${stderr.slice(-8000)}`,
            ),
          )
        else resolve({ stdout, stderr })
      },
    )
  })
}

let work: string
let stage: string
let tarball: string
let server: RedisServer
let db: RedisExpertClient

beforeAll(async () => {
  server = await startRedis()
  db = await connect({ url: server.url })
  work = mkdtempSync(join(tmpdir(), 'redis-expert-install-'))
  stage = join(work, 'redis-expert')
  // The working tree as a clone would have it: tracked files and new ones not ignored.
  const { stdout } = await run(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    root,
    30_000,
  )
  for (const file of stdout.split('\0')) {
    if (!file) continue
    mkdirSync(join(stage, dirname(file)), { recursive: true })
    try {
      cpSync(join(root, file), join(stage, file))
    } catch (error) {
      // Tracked but deleted in the working tree: not in a clone of it either.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
  symlinkSync(join(root, 'node_modules'), join(stage, 'node_modules'), 'dir')
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], stage, 240_000)
  const [info] = JSON.parse(packed.stdout) as [{ filename: string }]
  tarball = join(work, info.filename)
}, 300_000)

afterAll(async () => {
  await db?.close()
  await server?.stop()
  if (work) rmSync(work, { recursive: true, force: true })
})

describe('the README install commands', () => {
  it('are the ones this test runs', () => {
    const commands = readmeBlock('commands')
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter(Boolean)
    expect(commands).toEqual([
      'npm ci',
      'npm pack',
      'npm init -y',
      'npm pkg set type=module',
      `npm install ../redis-expert/${pkg.name}-${pkg.version}.tgz`,
    ])
    expect(readmeBlock('typescript').trim()).toBe('npm install -D typescript@5.9 tsx @types/node@20')
    expect(tarball.endsWith(`${pkg.name}-${pkg.version}.tgz`)).toBe(true)
  })
})

describe('npm pack --dry-run --json', () => {
  let files: string[]
  beforeAll(async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], stage, 120_000)
    files = (JSON.parse(stdout) as [{ files: { path: string }[] }])[0].files.map((f) => f.path)
  }, 180_000)

  it('ships the LICENSE, the README, the docs it links to, the build and its Lua scripts', () => {
    for (const file of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts'])
      expect(files).toContain(file)
    for (const entry of Object.values(pkg.exports))
      if (typeof entry === 'object' && entry)
        for (const target of Object.values(entry as Record<string, string>))
          expect(files).toContain(posix.normalize(target))
    expect(files).toContain('dist/cli/main.js')
    // Every Lua script beside the sources is beside the build, where the code reads it.
    const lua = (readdirSync(join(stage, 'src'), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.lua'))
      .map((f) => `src/${f.split(sep).join('/')}`)
    expect(lua.length).toBeGreaterThan(20)
    expect(lua.map((f) => f.replace(/^src\//, 'dist/')).filter((f) => !files.includes(f))).toEqual([])
    expect(readFileSync(join(stage, 'LICENSE'), 'utf8')).toContain('MIT License')
  })

  it('every relative link of the shipped markdown leads to a shipped file', () => {
    const broken: string[] = []
    for (const doc of files.filter((f) => f.endsWith('.md'))) {
      const text = readFileSync(join(stage, doc), 'utf8')
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const path = target!.split('#')[0]!
        if (!path || /^[a-z]+:/i.test(path)) continue
        const resolved = posix.normalize(posix.join(posix.dirname(doc), path))
        if (!files.includes(resolved) && !files.some((f) => f.startsWith(`${resolved}/`)))
          broken.push(`${doc} → ${target}`)
      }
    }
    expect(broken).toEqual([])
  })

  it('ships no source maps, no tests, no benchmarks, no examples', () => {
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([])
    expect(files.filter((f) => /^(test|bench|examples|scripts|\.ci)\//.test(f))).toEqual([])
    expect(files.filter((f) => /\.test\.[jt]s$/.test(f))).toEqual([])
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([])
  })
})

/** A new app made by `npm init -y` with the tarball installed, as the README says. */
async function newApp(name: string, esm: boolean): Promise<string> {
  const dir = join(work, name)
  mkdirSync(dir)
  await run('npm', ['init', '-y'], dir, 60_000)
  if (esm) await run('npm', ['pkg', 'set', 'type=module'], dir, 60_000)
  await run('npm', ['install', tarball, ...NPM_FLAGS], dir, 180_000)
  return dir
}

const entryPoints = Object.keys(pkg.exports)
  .filter((path) => path !== './package.json')
  .map((path) => posix.join(pkg.name, path))

describe('a new CommonJS app', () => {
  it("requires every entry point and runs the README's CommonJS program against a real server", {
    timeout: 300_000,
  }, async () => {
    const app = await newApp('app-cjs', false)
    writeFileSync(join(app, 'index.js'), readmeBlock('cjs index.js'))
    const { stdout, stderr } = await run('node', ['index.js'], app, 30_000, { REDIS_URL: server.url })
    expect(stdout.trim()).toBe('hello from CommonJS true false')
    expect(stderr).toBe('')
    // It really ran there: the key it wrote carries the TTL it set.
    expect(await db.call(['PTTL', 'greeting:cjs'])).toBeGreaterThan(50_000)

    const requireAll = `for (const p of ${JSON.stringify(entryPoints)}) { const m = require(p); if (Object.keys(m).length === 0) throw new Error(p + ' is empty') }; console.log('ok')`
    const all = await run('node', ['-e', requireAll], app, 30_000)
    expect(all.stdout.trim()).toBe('ok')
  })
})

describe('a new ES module app', () => {
  it("imports it and runs the README's ES module program, then type-checks and runs it as TypeScript", {
    timeout: 300_000,
  }, async () => {
    const app = await newApp('app-esm', true)
    const program = readmeBlock('esm index.js')
    writeFileSync(join(app, 'index.js'), program)
    const first = await run('node', ['index.js'], app, 30_000, { REDIS_URL: server.url })
    expect(first.stdout.trim()).toBe('hello from ESM true false')
    expect(first.stderr).toBe('')
    expect(await db.call(['PTTL', 'greeting:esm'])).toBeGreaterThan(50_000)

    const importAll = `for (const p of ${JSON.stringify(entryPoints)}) await import(p); console.log('ok')`
    const all = await run('node', ['--input-type=module', '-e', importAll], app, 30_000)
    expect(all.stdout.trim()).toBe('ok')

    // TypeScript, as the README sets it up: the same program as app.ts, top-level await and all.
    await run('npm', ['install', '-D', 'typescript@5.9', 'tsx', '@types/node@20', ...NPM_FLAGS], app, 180_000)
    writeFileSync(join(app, 'tsconfig.json'), readmeBlock('esm tsconfig.json'))
    writeFileSync(join(app, 'app.ts'), program)
    await run('npx', ['--no-install', 'tsc', '-p', '.'], app, 120_000)
    // A window of its own: the limiter of the first run has counted 'me' already.
    await db.call(['FLUSHDB', 'ASYNC'])
    const ts = await run('npx', ['--no-install', 'tsx', 'app.ts'], app, 60_000, { REDIS_URL: server.url })
    expect(ts.stdout.trim()).toBe('hello from ESM true false')
  })
})
