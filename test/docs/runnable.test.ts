import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connect, type RedisExpertClient } from 'redis-expert'
import { freePort, type RedisServer, startRedis } from 'redis-expert/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allBlocks, blockModules, type DocBlock } from '../../scripts/docs/blocks.js'

/*
 * Docs that cannot drift (issue 16): `npm run check` type-checks every ```ts block of README.md and
 * docs/*.md (scripts/check-docs.ts); the blocks marked ```ts runnable also run, here, each in a
 * process of its own (tsx, as a user would run it), against a real redis-server with AOF (the
 * README's keyspace declares a source-of-truth entry). A runnable block is the module the type
 * check saw (the imports of the blocks above it in its file, then its own code); what it takes from
 * the application around it is given real values first: `db`, a client on the test's server
 * (closed after the block), and `userId` / `id`. It must finish, exit 0 and print no error within
 * its deadline.
 */

const root = fileURLToPath(new URL('../../', import.meta.url))
const modules = blockModules(allBlocks(root))
const runnable = modules.filter(({ block }) => block.runnable)
// Inside the repository (in .scratch/, which git ignores), so that the blocks' imports (express,
// keyv, ...) resolve from its node_modules; not inside node_modules, where tsx applies no paths.
const dir = join(root, '.scratch', `docs-run-${process.pid}`)

const SETUP = `import { connect } from 'redis-expert'

// What the docs' blocks take from the application around them (the type check's prelude declares them).
const globals = globalThis as Record<string, unknown>
globals.db = await connect({ url: process.env.REDIS_URL })
globals.userId = 'user-42'
globals.id = '1'
`

let server: RedisServer
let db: RedisExpertClient

beforeAll(async () => {
  server = await startRedis({ config: { appendonly: 'yes', appendfsync: 'everysec' } })
  db = await connect({ url: server.url })
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n')
  // tsx reads the paths: `redis-expert` is the sources, as in the type check.
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        baseUrl: root,
        paths: { 'redis-expert': ['src/index.ts'], 'redis-expert/*': ['src/*/index.ts'] },
      },
    }),
  )
  writeFileSync(join(dir, 'setup.ts'), SETUP)
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/**
 * `node --import tsx <file>`: one process, which a kill ends. (The `tsx` command runs the file in
 * a child process of its own, which outlives a SIGKILL of the command.)
 */
const tsxArgs = (file: string) => ['--import', 'tsx', file]

function runTsx(
  file: string,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      tsxArgs(file),
      {
        cwd: dir,
        env: { ...process.env, REDIS_URL: server.url, NODE_OPTIONS: '' },
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    )
  })
}

describe('the runnable blocks of the docs', () => {
  it('there are some, in the README and in docs/', () => {
    expect(runnable.map(({ block }) => block.file)).toContain('README.md')
    expect(runnable.some(({ block }) => block.file.startsWith('docs/'))).toBe(true)
  })

  for (const { block, source } of runnable) {
    it(`${block.file}:${block.line} runs against a real server`, { timeout: 60_000 }, async () => {
      await db.call(['FLUSHDB', 'ASYNC'])
      writeFileSync(join(dir, `${block.name}.ts`), source)
      const runner = `run-${block.name}.ts`
      writeFileSync(
        join(dir, runner),
        `import './setup.js'\nimport type { RedisExpertClient } from 'redis-expert'\n` +
          `try {\n  await import('./${block.name}.js')\n} finally {\n` +
          `  await ((globalThis as Record<string, unknown>).db as RedisExpertClient).close()\n}\n`,
      )
      const result = await runTsx(runner, 45_000)
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' })
    })
  }
})

/** The README's Express app: the block after its `<!-- tested: test/docs/runnable.test.ts ... -->`. */
function expressApp(): { block: DocBlock; source: string } {
  const readme = readFileSync(join(root, 'README.md'), 'utf8').split('\n')
  const marker = readme.findIndex((line) => line.startsWith('<!-- tested: test/docs/runnable.test.ts'))
  // The fence is the line after the marker; blocks carry the 1-based line of their fence.
  const found = modules.find(({ block }) => block.file === 'README.md' && block.line === marker + 2)
  if (marker < 0 || !found) throw new Error('README.md: no ts block after the <!-- tested: ... --> marker')
  return found
}

describe("the README's Express app", () => {
  let app: ChildProcess | undefined
  afterAll(() => {
    app?.kill('SIGKILL')
  })

  it('serves sessions, rate-limit headers and cached products from a real server', {
    timeout: 90_000,
  }, async () => {
    await db.call(['FLUSHDB', 'ASYNC'])
    const { block, source } = expressApp()
    expect(source).toContain('app.listen(Number(process.env.PORT ?? 3000))')
    writeFileSync(join(dir, `${block.name}.ts`), source)
    const port = await freePort()
    let output = ''
    app = spawn(process.execPath, tsxArgs(`${block.name}.ts`), {
      cwd: dir,
      env: { ...process.env, REDIS_URL: server.url, PORT: String(port), NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    app.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    app.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    const base = `http://127.0.0.1:${port}`
    // Up within 45 s (tsx compiles the sources first), or fail with what it printed.
    const deadline = Date.now() + 45_000
    for (;;) {
      const up = await fetch(`${base}/products/1`, { signal: AbortSignal.timeout(2000) }).then(
        () => true,
        () => false,
      )
      if (up) break
      if (app.exitCode !== null || Date.now() > deadline) throw new Error(`the app did not start: ${output}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    const get = (path: string, init?: RequestInit) =>
      fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(5000) })

    const product = await get('/products/1')
    expect(product.status).toBe(200)
    expect(await product.json()).toEqual({ id: '1', name: 'Tea', priceCents: 450 })
    expect(product.headers.get('ratelimit-limit')).toBe('100')
    expect(Number(product.headers.get('ratelimit-remaining'))).toBeLessThan(100)
    expect(await db.call(['PTTL', 'shop:product:1'])).toBeGreaterThan(0) // cached, with its TTL
    expect((await get('/products/2')).status).toBe(404)

    const login = await get('/login/ann', { method: 'POST' })
    expect(await login.text()).toBe('hello ann')
    const cookie = login.headers.get('set-cookie')?.split(';')[0]
    expect(cookie).toMatch(/^connect\.sid=/)
    const sessionKeys = async () => {
      const keys: string[] = []
      for await (const key of db.scan({ match: 'sess:{*}', count: 100 })) keys.push(String(key))
      return keys
    }
    expect(await sessionKeys()).toHaveLength(1)

    const logout = await get('/logout-everywhere', { method: 'POST', headers: { cookie: cookie ?? '' } })
    expect(await logout.text()).toBe('bye')
    expect(await sessionKeys()).toEqual([]) // every session of ann is gone
    expect(app.exitCode).toBeNull()

    // Stopped, the app serves nothing more: no process of it outlives the test.
    app.kill('SIGKILL')
    const stopped = Date.now() + 5000
    while (
      await fetch(`${base}/products/1`, { signal: AbortSignal.timeout(500) }).then(
        () => true,
        () => false,
      )
    ) {
      if (Date.now() > stopped) throw new Error('the app still answers after it was killed')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })
})
