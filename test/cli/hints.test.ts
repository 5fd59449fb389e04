import { execFile } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, defineKeyspace, type RedisExpertClient, t } from '../../src/index.js'
import { freePort, type RedisServer, startRedis } from '../../src/testing/index.js'

/*
 * Issue 16: the error hints a newcomer needed. Connection refused → "is a redis-server running at
 * host:port? start one, or set REDIS_URL / --url" (library, CLI, quickstart); DECODE_FAILED of a
 * plain string in a JSON entry → "codec: 'raw'".
 */

const root = new URL('../../', import.meta.url).pathname

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

function run(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', ...args],
      { cwd: root, timeout: 60_000, killSignal: 'SIGKILL', env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null
        resolve({ code, stdout, stderr })
      },
    )
  })
}

let nobody: string
let address: string

beforeAll(async () => {
  const port = await freePort()
  address = `127.0.0.1:${port}`
  nobody = `redis://${address}`
})

describe('connection refused', () => {
  it('connect(): CONNECTION_FAILED asks whether a redis-server runs at host:port', async () => {
    const error = await connect({ url: nobody, connectTimeoutMs: 2000 }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED', details: { reason: 'refused' } })
    expect((error as Error).message).toContain(`is a redis-server running at ${address}?`)
  })

  it('the CLI (probe, audit) says to start one or to point --url at one', async () => {
    for (const command of ['probe', 'audit']) {
      const out = await run(['src/cli/main.ts', command, '--url', nobody])
      expect(out.code, command).not.toBe(0)
      expect(out.stderr, command).toContain(`is a redis-server running at ${address}?`)
      expect(out.stderr, command).toMatch(/start one .*--url/)
    }
  })

  it('npm start with REDIS_URL pointing at nothing says to start one or to set REDIS_URL', async () => {
    const out = await run(['examples/quickstart.ts'], { REDIS_URL: nobody })
    expect(out.code).toBe(1)
    const text = out.stdout + out.stderr
    expect(text).toContain(`is a redis-server running at ${address}?`)
    expect(text).toContain('REDIS_URL')
    expect(text).not.toMatch(/\n\s+at .*\.ts:\d+/) // a message, not a stack trace
  })
})

describe('DECODE_FAILED on a plain string', () => {
  let server: RedisServer
  let db: RedisExpertClient
  beforeAll(async () => {
    server = await startRedis()
    db = await connect({ url: server.url })
  })
  afterAll(async () => {
    await db?.close()
    await server?.stop()
  })

  it("suggests codec: 'raw' (t.string()) when a JSON entry holds plain text", async () => {
    const ks = defineKeyspace('hint', {
      greeting: { pattern: 'greeting:<id>', type: t.json<string>(), role: 'cache', ttl: '1m' },
    })
    const greeting = db.keyspace(ks).greeting({ id: 1 })
    await db.call(['SET', greeting.key, 'hello world', 'PX', 60_000])
    const error = await greeting.get().catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'DECODE_FAILED' })
    expect((error as Error).message).toContain("codec: 'raw'")
  })
})
