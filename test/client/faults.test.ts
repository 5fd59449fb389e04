import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type RedisExpertClient } from '../../src/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'
import { codeOf } from '../support/errors.js'
import { startFakeServer } from '../support/fake-server.js'
import { sleep } from '../support/wait.js'

/**
 * The connection layer under faults: every case of issue 13's list, each on a real server
 * or a real socket that misbehaves. What must hold: every promise settles within its bound,
 * every caller gets its own reply, no secret appears anywhere.
 */

let server: RedisServer
let db: RedisExpertClient

beforeAll(async () => {
  server = await startRedis()
  db = await connect({ url: server.url, guard: 'off', commandTimeoutMs: 2000 })
})
afterAll(async () => {
  await db?.close()
  await server?.stop()
})

/** Runs `fn` with the server stopped (SIGSTOP); always resumes it. */
async function whileStopped<T>(target: RedisServer, fn: () => Promise<T>): Promise<T> {
  process.kill(target.pid, 'SIGSTOP')
  try {
    return await fn()
  } finally {
    process.kill(target.pid, 'SIGCONT')
  }
}

async function timed<T>(promise: Promise<T>): Promise<{ ms: number; code: string | undefined }> {
  const started = Date.now()
  const code = await codeOf(promise)
  return { ms: Date.now() - started, code }
}

describe('a server that accepts and stays silent', () => {
  it('connect() fails within connectTimeoutMs with CONNECTION_FAILED (a socket that never writes)', async () => {
    const silent = await startFakeServer('silent')
    try {
      const { ms, code } = await timed(connect({ url: silent.url, connectTimeoutMs: 500 }))
      expect(code).toBe('CONNECTION_FAILED')
      expect(ms).toBeGreaterThanOrEqual(450)
      expect(ms).toBeLessThan(1500)
    } finally {
      await silent.close()
    }
  })

  it('connect() fails within connectTimeoutMs on a SIGSTOPped redis-server', async () => {
    const stopped = await startRedis()
    try {
      const { ms, code } = await whileStopped(stopped, () =>
        timed(connect({ url: stopped.url, connectTimeoutMs: 600, connectRetries: 5 })),
      )
      expect(code).toBe('CONNECTION_FAILED')
      expect(ms).toBeLessThan(1600)
    } finally {
      await stopped.stop()
    }
  })

  it('connect() to a refused port retries within the same budget, then fails', async () => {
    const gone = await startRedis()
    const url = gone.url
    await gone.stop()
    const { ms, code } = await timed(connect({ url, connectTimeoutMs: 800, connectRetries: 50 }))
    expect(code).toBe('CONNECTION_FAILED')
    expect(ms).toBeLessThan(1800)
  })
})

describe('close()', () => {
  it('settles within closeTimeoutMs with a command in flight to a stopped server; the command fails typed', async () => {
    const target = await startRedis()
    const client = await connect({
      url: target.url,
      guard: 'off',
      closeTimeoutMs: 300,
      commandTimeoutMs: 60_000,
    })
    try {
      await whileStopped(target, async () => {
        const inFlight = client.call(['GET', 'k']).catch((error: { code: string }) => error.code)
        await sleep(50)
        const started = Date.now()
        await client.close()
        expect(Date.now() - started).toBeLessThan(1500)
        expect(await inFlight).toBe('CONNECTION_LOST')
      })
      expect(await codeOf(client.call(['PING']))).toBe('CONNECTION_CLOSED')
    } finally {
      await target.stop()
    }
  })

  it('lets commands in flight finish when the server answers', async () => {
    const client = await connect({ url: server.url, guard: 'off' })
    const replies = Array.from({ length: 100 }, (_, i) => client.call(['ECHO', String(i)]))
    await client.close()
    expect(await Promise.all(replies)).toEqual(Array.from({ length: 100 }, (_, i) => String(i)))
  })
})

describe('deadlines are per command', () => {
  it("a long timeoutMs on one call does not delay another call's COMMAND_TIMEOUT", async () => {
    const target = await startRedis()
    const client = await connect({ url: target.url, guard: 'off', commandTimeoutMs: 300 })
    try {
      await client.call(['PING'], { timeoutMs: 30_000 })
      const results = await whileStopped(target, async () => {
        const long = client.call(['PING'], { timeoutMs: 30_000 }).catch((e: { code: string }) => e.code)
        const short = timed(client.call(['PING']))
        const shortResult = await short
        return { shortResult, long }
      })
      expect(results.shortResult.code).toBe('COMMAND_TIMEOUT')
      expect(results.shortResult.ms).toBeLessThan(700)
      // The long one is still within its deadline: the connection was not dropped for it.
      expect(await results.long).toBe('PONG')
      expect(await client.call(['PING'])).toBe('PONG')
    } finally {
      await client.close()
      await target.stop()
    }
  })

  it('when the oldest command is overdue the stuck connection is dropped and reopened', async () => {
    const target = await startRedis()
    const client = await connect({ url: target.url, guard: 'off', commandTimeoutMs: 250 })
    let timeouts = 0
    client.on('timeout', () => timeouts++)
    try {
      const codes = await whileStopped(target, async () =>
        Promise.all(Array.from({ length: 5 }, () => codeOf(client.call(['PING'])))),
      )
      expect(codes).toEqual(Array(5).fill('COMMAND_TIMEOUT'))
      expect(timeouts).toBeGreaterThanOrEqual(1)
      await sleep(300)
      expect(await client.call(['PING'])).toBe('PONG')
    } finally {
      await client.close()
      await target.stop()
    }
  })
})

describe('the shared connection: state commands never reach it', () => {
  const refused: [string, (string | number)[]][] = [
    ['CLIENT REPLY SKIP', ['CLIENT', 'REPLY', 'SKIP']],
    ['client reply off (any case)', ['client', 'reply', 'off']],
    ['MULTI', ['MULTI']],
    ['EXEC', ['EXEC']],
    ['DISCARD', ['DISCARD']],
    ['WATCH', ['WATCH', 'k']],
    ['UNWATCH', ['UNWATCH']],
    ['SELECT 1', ['SELECT', 1]],
    ['HELLO 3', ['HELLO', '3']],
    ['AUTH', ['AUTH', 'x']],
    ['RESET', ['RESET']],
    ['QUIT', ['QUIT']],
    ['SUBSCRIBE', ['SUBSCRIBE', 'c']],
    ['PSUBSCRIBE', ['PSUBSCRIBE', 'c*']],
    ['SSUBSCRIBE', ['SSUBSCRIBE', 'c']],
    ['UNSUBSCRIBE', ['UNSUBSCRIBE']],
    ['MONITOR', ['MONITOR']],
    ['CLIENT TRACKING ON', ['CLIENT', 'TRACKING', 'on']],
    ['READONLY', ['READONLY']],
  ]
  for (const [name, command] of refused)
    it(`${name} is refused with CONNECTION_STATE naming the right API, in every guard mode`, async () => {
      const error = await db.call(command).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'CONNECTION_STATE', message: expect.stringContaining('use ') })
      expect(await codeOf(db.batch([['SET', 'a', '1'], command]))).toBe('CONNECTION_STATE')
      expect(await codeOf(db.batch([['SET', 'a', '1'], command], { atomic: true }))).toBe('CONNECTION_STATE')
    })

  it('after every refusal, concurrent callers still get their own values', async () => {
    await Promise.all(Array.from({ length: 50 }, (_, i) => db.call(['SET', `own:${i}`, `v${i}`])))
    const attempts = refused.map(([, command]) => db.call(command).catch(() => null))
    const reads = Array.from({ length: 50 }, (_, i) => db.call(['GET', `own:${i}`]))
    await Promise.all(attempts)
    expect(await Promise.all(reads)).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`))
    expect(await db.call(['CLIENT', 'INFO'])).toContain('db=0')
  })

  it('a blocking command runs on a dedicated connection: others are not stalled', async () => {
    const blocked = timed(db.call(['BLPOP', 'nothing:here', '0.6']))
    await sleep(20)
    const started = Date.now()
    expect(await db.call(['PING'])).toBe('PONG')
    expect(Date.now() - started).toBeLessThan(200)
    const result = await blocked
    expect(result.code).toBeUndefined()
    expect(result.ms).toBeGreaterThanOrEqual(550)
  })

  it('BLPOP gets the value pushed while it waits; XREAD BLOCK likewise', async () => {
    const popped = db.call(['BLPOP', 'q:blocking', '2'])
    await sleep(50)
    await db.call(['RPUSH', 'q:blocking', 'job'])
    expect(await popped).toEqual(['q:blocking', 'job'])
    const read = db.call(['XREAD', 'COUNT', '1', 'BLOCK', '2000', 'STREAMS', 's:blocking', '$'])
    await sleep(50)
    await db.call(['XADD', 's:blocking', '*', 'f', 'v'])
    const reply = (await read) as [string, [string, string[]][]][]
    expect(reply[0]?.[0]).toBe('s:blocking')
  })

  it('BLPOP q 0 waits at most its timeoutMs, then fails COMMAND_TIMEOUT without hurting the shared connection', async () => {
    const { code, ms } = await timed(db.call(['BLPOP', 'never', '0'], { timeoutMs: 300 }))
    expect(code).toBe('COMMAND_TIMEOUT')
    expect(ms).toBeLessThan(900)
    expect(await db.call(['PING'])).toBe('PONG')
  })
})

describe('secrets', () => {
  const secrets = ['pa/ss@w0rd', 'p%2Fword', 'sec@ret/x%zz']

  it.each(secrets)('a password like %s never appears in errors, inspect or JSON', async (secret) => {
    const locked = await startRedis({ requirepass: secret })
    try {
      const encoded = encodeURIComponent(secret)
      const client = await connect({ url: `redis://:${encoded}@127.0.0.1:${locked.port}`, guard: 'off' })
      try {
        expect(await client.call(['PING'])).toBe('PONG')
        for (const shown of [
          inspect(client, { depth: 10 }),
          inspect(client.options, { depth: 10, showHidden: false }),
          JSON.stringify(client.options),
          String(client.options.target.kind === 'standalone' ? client.options.target.endpoint : ''),
        ]) {
          expect(shown).not.toContain(secret)
          expect(shown).not.toContain(encoded)
        }
      } finally {
        await client.close()
      }
      // The raw secret in a URL breaks it: the error shows the URL with *** and never the secret.
      for (const url of [
        `redis://:${secret}@127.0.0.1:${locked.port}`,
        `redis://user:${secret}@127.0.0.1:1`,
      ]) {
        const error = (await connect({ url, connectTimeoutMs: 300 }).catch((e: unknown) => e)) as Error
        expect(error).toBeInstanceOf(Error)
        expect(error.message).not.toContain(secret)
        expect(JSON.stringify(error)).not.toContain(secret)
        expect(inspect(error)).not.toContain(secret.slice(0, 6))
      }
      // A wrong password: CONNECTION_FAILED, nothing echoed.
      const wrong = (await connect({
        url: `redis://127.0.0.1:${locked.port}`,
        password: `${secret}-wrong`,
        connectTimeoutMs: 500,
      }).catch((e: unknown) => e)) as { code: string; message: string }
      expect(wrong.code).toBe('CONNECTION_FAILED')
      expect(wrong.message).not.toContain(secret)
    } finally {
      await locked.stop()
    }
  })

  it('a malformed % escape in the password is INVALID_ARGUMENT, not a URIError, and not echoed', async () => {
    const error = (await connect({ url: 'redis://:bad%zzsecret@127.0.0.1:6399' }).catch(
      (e: unknown) => e,
    )) as {
      code: string
      message: string
    }
    expect(error.code).toBe('INVALID_ARGUMENT')
    expect(error.message).not.toContain('bad%zzsecret')
    expect(error.message).toContain('***')
  })

  it('a URL password and a different password option are refused, not silently chosen', async () => {
    expect(await codeOf(connect({ url: 'redis://:a@127.0.0.1:1', password: 'b' }))).toBe('INVALID_ARGUMENT')
  })

  it('unknown connect options are refused', async () => {
    expect(await codeOf(connect({ url: server.url, commandTimeout: 5 } as never))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(db.call(['PING'], { timeout: 5 } as never))).toBe('INVALID_ARGUMENT')
  })
})

describe('replies the stream cannot trust', () => {
  it('after a protocol error, commands in flight fail CONNECTION_LOST (they may have run), not COMMAND_ERROR', async () => {
    const fake = await startFakeServer((socket) => socket.write('!garbage\r\n'))
    const client = await connect({ url: fake.url, guard: 'off', connectTimeoutMs: 500 })
    try {
      const codes = await Promise.all([codeOf(client.call(['GET', 'a'])), codeOf(client.call(['GET', 'b']))])
      expect(codes).toEqual(['CONNECTION_LOST', 'CONNECTION_LOST'])
    } finally {
      await client.close()
      await fake.close()
    }
  })

  it('a half-written reply and then a closed socket: CONNECTION_LOST', async () => {
    const fake = await startFakeServer((socket) => {
      socket.write('$10\r\nhalf')
      setTimeout(() => socket.destroy(), 20)
    })
    const client = await connect({ url: fake.url, guard: 'off', connectTimeoutMs: 500 })
    try {
      expect(await codeOf(client.call(['GET', 'a']))).toBe('CONNECTION_LOST')
    } finally {
      await client.close()
      await fake.close()
    }
  })

  it('an absurd bulk length is a protocol error, not a wait for 1 TB', async () => {
    const fake = await startFakeServer((socket) => socket.write('$1099511627776\r\n'))
    const client = await connect({
      url: fake.url,
      guard: 'off',
      connectTimeoutMs: 500,
      commandTimeoutMs: 5000,
    })
    try {
      const { code, ms } = await timed(client.call(['GET', 'a']))
      expect(code).toBe('CONNECTION_LOST')
      expect(ms).toBeLessThan(1000)
    } finally {
      await client.close()
      await fake.close()
    }
  })
})

describe('binary safety and exact integers', () => {
  it('scan({ buffers: true }) keeps binary names apart, and UNLINK of one deletes exactly it', async () => {
    const names = [Buffer.from([0x62, 0x3a, 0xfe]), Buffer.from([0x62, 0x3a, 0xff]), Buffer.from('b:\uFFFD')]
    for (const name of names) await db.call(['SET', name, 'x'])
    const found: Buffer[] = []
    for await (const key of db.scan({ match: 'b:*', buffers: true })) found.push(key)
    expect(found).toHaveLength(3)
    expect(found.map((b) => b.toString('hex')).sort()).toEqual(names.map((b) => b.toString('hex')).sort())
    await db.call(['UNLINK', names[0] as Buffer])
    expect(await db.call(['EXISTS', names[1] as Buffer, names[2] as Buffer])).toBe(2)
    expect(await db.call(['EXISTS', names[0] as Buffer])).toBe(0)
  })

  it('integers beyond 2^53 come back as exact bigints; smaller ones stay numbers', async () => {
    await db.call(['SET', 'big', '9007199254740993'])
    expect(await db.call(['INCR', 'big'])).toBe(9007199254740994n)
    expect(await db.call(['DECRBY', 'big', '9007199254740995'])).toBe(-1)
    await db.call(['SET', 'min', '-9223372036854775807'])
    expect(await db.call(['DECR', 'min'])).toBe(-9223372036854775808n)
  })
})
