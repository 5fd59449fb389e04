import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { translateError } from '../../src/client/errors.js'
import { resolveOptions } from '../../src/client/options.js'
import { ReplyError } from '../../src/client/resp.js'
import { ClientOfflineError, RespDriver } from '../../src/client/resp-driver.js'
import { connect, type RedisExpertClient } from '../../src/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'

let server: RedisServer
let db: RedisExpertClient
/** The same server through node-redis: both transports must answer alike. */
let viaNodeRedis: RedisExpertClient

const FAST = { commandTimeoutMs: 2000, offlineWaitMs: 200, reconnect: { baseDelayMs: 20, maxDelayMs: 200 } }

beforeAll(async () => {
  server = await startRedis({
    users: [
      { name: 'app', password: 'app-pass', rules: ['~*', '&*', '+@all'] },
      {
        name: 'reader',
        password: 'reader-pass',
        rules: ['~*', '+@read', '+ping', '+client', '+select', '+info'],
      },
    ],
  })
  db = await connect({ url: server.url, guard: 'off', ...FAST })
  viaNodeRedis = await connect({ url: server.url, guard: 'off', transport: 'node-redis', ...FAST })
})
afterAll(async () => {
  await db?.close()
  await viaNodeRedis?.close()
  await server?.stop()
})

async function eventually<T>(fn: () => Promise<T>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      return await fn()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((r) => setTimeout(r, 25))
    }
  }
}

/** What a call settles to, errors as their typed code, message and details. */
async function outcome(client: RedisExpertClient, run: (c: RedisExpertClient) => Promise<unknown>) {
  try {
    return { value: await run(client) }
  } catch (error) {
    const e = error as { code?: string; message: string; details?: unknown }
    return { code: e.code, message: e.message, details: e.details }
  }
}

describe('the builtin transport is the default', () => {
  it('is chosen unless transport says node-redis; a bad transport is INVALID_ARGUMENT', async () => {
    expect(db.options.transport).toBe('builtin')
    expect(viaNodeRedis.options.transport).toBe('node-redis')
    await expect(
      connect({ url: server.url, transport: 'ioredis' as unknown as 'builtin' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})

describe('replies, as node-redis gives them', () => {
  const big = `${'é'.repeat(400_000)}end`
  const cases: [string, (c: RedisExpertClient) => Promise<unknown>][] = [
    ['simple string', (c) => c.call(['SET', 't:s', 'v'])],
    ['bulk string', (c) => c.call(['GET', 't:s'])],
    [
      'empty bulk',
      async (c) => {
        await c.call(['SET', 't:e', ''])
        return c.call(['GET', 't:e'])
      },
    ],
    ['nil', (c) => c.call(['GET', 't:missing'])],
    ['integer', (c) => c.call(['STRLEN', 't:s'])],
    ['negative integer', (c) => c.call(['TTL', 't:s'])],
    [
      'unicode',
      async (c) => {
        await c.call(['SET', 't:u', 'ü€😀'])
        return c.call(['GET', 't:u'])
      },
    ],
    [
      'big bulk',
      async (c) => {
        await c.call(['SET', 't:big', big])
        return (await c.call(['GET', 't:big'])) === big
      },
    ],
    [
      'array',
      async (c) => {
        await c.call(['DEL', 't:l'])
        await c.call(['RPUSH', 't:l', 'a', 'b', ''])
        return c.call(['LRANGE', 't:l', 0, -1])
      },
    ],
    ['empty array', (c) => c.call(['LRANGE', 't:none', 0, -1])],
    ['nested arrays with nil', (c) => c.call(['EVAL', "return {1, 'a', {2, {'b'}}, false, {}}", 0])],
    ['error reply', (c) => c.call(['HGET', 't:s', 'f'])],
    ['unknown command', (c) => c.call(['NOSUCHCOMMAND', 'x'])],
    ['script error', (c) => c.call(['EVAL', "return redis.error_reply('MYCODE bad thing')", 0])],
    [
      'MULTI with a runtime error inside',
      (c) =>
        c.batch(
          [
            ['SET', 't:m', 'x'],
            ['HGET', 't:m', 'f'],
            ['GET', 't:m'],
          ],
          { atomic: true },
        ),
    ],
    [
      'MULTI with a command refused when queued',
      (c) => c.batch([['SET', 't:m', 'x'], ['GET']], { atomic: true }),
    ],
    [
      'MULTI',
      (c) =>
        c.batch(
          [
            ['SET', 't:m2', 'x'],
            ['INCR', 't:c'],
            ['GET', 't:m2'],
            ['LRANGE', 't:l', 0, 1],
          ],
          { atomic: true },
        ),
    ],
    [
      'pipeline',
      (c) =>
        c.batch([
          ['SET', 't:p', 'x'],
          ['GET', 't:p'],
          ['GET', 't:missing'],
        ]),
    ],
    [
      'pipeline with an error',
      (c) =>
        c.batch([
          ['SET', 't:p', 'x'],
          ['HGET', 't:p', 'f'],
          ['GET', 't:p'],
        ]),
    ],
    [
      'node executor MULTI',
      async (c) =>
        (await c.masters())[0]?.batch(
          [
            ['GET', 't:s'],
            ['HGET', 't:s', 'x'],
          ],
          { atomic: true },
        ),
    ],
    ['node executor call', async (c) => (await c.masters())[0]?.call(['ECHO', 'hi'])],
  ]
  for (const [name, run] of cases)
    it(name, async () => {
      const builtin = await outcome(db, run)
      const reference = await outcome(viaNodeRedis, run)
      // INCR advances the counter between the two runs.
      if (name === 'MULTI')
        expect((builtin.value as unknown[])[1]).toBe(((reference.value as number[])[1] as number) - 1)
      else expect(builtin).toEqual(reference)
    })

  it('a MULTI error names the failing command', async () => {
    await expect(
      db.batch(
        [
          ['SET', 't:m', 'x'],
          ['HGET', 't:m', 'f'],
        ],
        { atomic: true },
      ),
    ).rejects.toMatchObject({ code: 'COMMAND_ERROR', details: { command: 'HGET', redisCode: 'WRONGTYPE' } })
  })
})

describe('buffers', () => {
  it('returns bulk strings as Buffers, nested ones and MULTI replies included', async () => {
    const bytes = Buffer.from([0, 255, 13, 10, 1])
    await db.call(['SET', 'b:1', bytes])
    await db.call(['DEL', 'b:l'])
    await db.call(['RPUSH', 'b:l', bytes, 'text'])
    const one = await db.call(['GET', 'b:1'], { buffers: true })
    expect(Buffer.isBuffer(one) && one.equals(bytes)).toBe(true)
    const list = (await db.call(['LRANGE', 'b:l', 0, -1], { buffers: true })) as Buffer[]
    expect(list.map((b) => Buffer.isBuffer(b))).toEqual([true, true])
    expect(list[0]?.equals(bytes)).toBe(true)
    // Simple strings and integers keep their types.
    expect(await db.call(['SET', 'b:2', 'x'], { buffers: true })).toBe('OK')
    expect(await db.call(['STRLEN', 'b:1'], { buffers: true })).toBe(5)
    expect(await db.call(['GET', 'b:missing'], { buffers: true })).toBeNull()
    // Interleaved with text replies in the same round trip.
    const [a, b, c] = await Promise.all([
      db.call(['GET', 'b:1'], { buffers: true }),
      db.call(['GET', 'b:2']),
      db.call(['GET', 'b:1'], { buffers: true }),
    ])
    expect([Buffer.isBuffer(a), b, Buffer.isBuffer(c)]).toEqual([true, 'x', true])
    const multi = await db.batch(
      [
        ['GET', 'b:1'],
        ['SET', 'b:3', bytes],
      ],
      { atomic: true, buffers: true },
    )
    expect(Buffer.isBuffer(multi[0]) && (multi[0] as Buffer).equals(bytes)).toBe(true)
    expect(multi[1]).toBe('OK')
    const piped = await db.batch(
      [
        ['GET', 'b:3'],
        ['GET', 'b:2'],
      ],
      { buffers: true },
    )
    expect(piped.every((r) => Buffer.isBuffer(r))).toBe(true)
  })

  it('sends Buffer arguments mixed with strings in one write', async () => {
    const values = Array.from({ length: 200 }, (_, i) => (i % 2 ? Buffer.from([i & 255, 0, 255]) : `s${i}`))
    await Promise.all(values.map((v, i) => db.call(['SET', `b:mix:${i}`, v])))
    const back = await Promise.all(values.map((_, i) => db.call(['GET', `b:mix:${i}`], { buffers: true })))
    back.forEach((reply, i) => {
      const expected = values[i] as string | Buffer
      expect((reply as Buffer).equals(Buffer.isBuffer(expected) ? expected : Buffer.from(expected))).toBe(
        true,
      )
    })
  })
})

describe('pipelining', () => {
  it('answers 50k commands issued at once, in order', async () => {
    const n = 50_000
    const replies = await Promise.all(Array.from({ length: n }, (_, i) => db.call(['ECHO', `m${i}`])))
    expect(replies.every((r, i) => r === `m${i}`)).toBe(true)
  })

  it('an error reply fails only its own command', async () => {
    await db.call(['SET', 'p:s', 'x'])
    const results = await Promise.allSettled([
      db.call(['GET', 'p:s']),
      db.call(['HGET', 'p:s', 'f']),
      db.call(['GET', 'p:s']),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
  })

  it('the driver keeps error replies in place in a non-atomic sendBatch', async () => {
    const driver = new RespDriver(server.url, resolveOptions({ url: server.url }))
    try {
      await driver.connect()
      const replies = await driver.sendBatch(
        [
          ['SET', 'p:d', 'x'],
          ['HGET', 'p:d', 'f'],
          ['GET', 'p:d'],
        ],
        undefined,
        false,
        false,
      )
      expect(replies[0]).toBe('OK')
      expect(replies[1]).toBeInstanceOf(ReplyError)
      expect(replies[2]).toBe('x')
    } finally {
      await driver.close()
    }
  })
})

describe('handshake', () => {
  const url = (user: string, pass: string, db = '') => `redis://${user}:${pass}@127.0.0.1:${server.port}${db}`

  it('AUTH as an ACL user from the URL or the options, SELECT, CLIENT SETNAME', async () => {
    const fromUrl = await connect({
      url: url('reader', 'reader-pass', '/3'),
      clientName: 'resp-test',
      guard: 'off',
    })
    const fromOptions = await connect({
      url: server.url,
      username: 'app',
      password: 'app-pass',
      database: 2,
      guard: 'off',
    })
    try {
      expect(
        await fromUrl.call(['ACL', 'WHOAMI']).catch((e: { details: unknown }) => e.details),
      ).toMatchObject({ redisCode: 'NOPERM' })
      const info = String(await fromUrl.call(['CLIENT', 'INFO']))
      expect(info).toContain('user=reader')
      expect(info).toContain('db=3')
      expect(info).toContain('name=resp-test')
      await expect(fromUrl.call(['SET', 'k', 'v'])).rejects.toMatchObject({
        details: { redisCode: 'NOPERM' },
      })
      expect(await fromOptions.call(['ACL', 'WHOAMI'])).toBe('app')
      expect(String(await fromOptions.call(['CLIENT', 'INFO']))).toContain('db=2')
      // The database and name survive a reconnect.
      const id = await fromUrl.call(['CLIENT', 'ID'])
      await db.call(['CLIENT', 'KILL', 'ID', String(id)])
      const after = await eventually(() => fromUrl.call(['CLIENT', 'INFO']))
      expect(String(after)).toContain('db=3')
      expect(String(after)).toContain('name=resp-test')
      expect(await fromUrl.call(['CLIENT', 'ID'])).not.toBe(id)
    } finally {
      await fromUrl.close()
      await fromOptions.close()
    }
  })

  it('a wrong password fails connect() with CONNECTION_FAILED, like node-redis', async () => {
    const builtin = await connect({ url: url('app', 'nope'), connectRetries: 0 }).catch((e: unknown) => e)
    const reference = await connect({
      url: url('app', 'nope'),
      connectRetries: 0,
      transport: 'node-redis',
    }).catch((e: unknown) => e)
    expect(builtin).toMatchObject({
      code: 'CONNECTION_FAILED',
      message: expect.stringContaining('WRONGPASS'),
    })
    expect((builtin as Error).message).toBe((reference as Error).message)
  })

  it('a server that accepts but never answers the handshake fails within connectTimeoutMs', async () => {
    const stuck = await startRedis()
    process.kill(stuck.pid, 'SIGSTOP')
    try {
      const started = Date.now()
      const error = await connect({
        url: stuck.url,
        clientName: 'x',
        connectTimeoutMs: 300,
        connectRetries: 0,
      }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'CONNECTION_FAILED', message: expect.stringContaining('timeout') })
      expect(Date.now() - started).toBeLessThan(3000)
    } finally {
      process.kill(stuck.pid, 'SIGCONT')
      await stuck.stop()
    }
  })
})

describe('connection loss', () => {
  it('CLIENT KILL: the command in flight fails with CONNECTION_LOST, events fire, the client reconnects', async () => {
    const events: string[] = []
    const onReady = () => events.push('ready')
    const onDown = () => events.push('disconnected')
    db.on('ready', onReady)
    db.on('disconnected', onDown)
    try {
      const id = await db.call(['CLIENT', 'ID'])
      const blocked = db.call(['BLPOP', 'never', '5'], { timeoutMs: 10_000 }).catch((e: unknown) => e)
      await new Promise((r) => setTimeout(r, 50))
      await viaNodeRedis.call(['CLIENT', 'KILL', 'ID', String(id)])
      expect(await blocked).toMatchObject({ code: 'CONNECTION_LOST' })
      expect(await eventually(() => db.call(['PING']))).toBe('PONG')
      expect(await db.call(['CLIENT', 'ID'])).not.toBe(id)
      await eventually(async () => expect(events).toEqual(['disconnected', 'ready']))
    } finally {
      db.off('ready', onReady)
      db.off('disconnected', onDown)
    }
  })

  it('while the server is down, commands fail fast with CONNECTION_UNAVAILABLE; it recovers on restart', async () => {
    const own = await startRedis()
    const client = await connect({ url: own.url, guard: 'off', ...FAST, offlineWaitMs: 0 })
    const driver = new RespDriver(own.url, resolveOptions({ url: own.url, ...FAST }))
    await driver.connect()
    try {
      await client.call(['SET', 'k', 'v'])
      await own.kill()
      await eventually(async () => expect(driver.ready).toBe(false))
      const started = Date.now()
      const errors = await Promise.all(
        Array.from({ length: 50 }, () => client.call(['GET', 'k']).catch((e: unknown) => e)),
      )
      expect(Date.now() - started).toBeLessThan(1000)
      for (const error of errors)
        expect(error).toMatchObject({ code: expect.stringMatching(/^CONNECTION_(UNAVAILABLE|LOST)$/) })
      // At the driver: rejected at once, as node-redis without its offline queue.
      const offline = await driver.send(['PING'], undefined, false, false).catch((e: unknown) => e)
      expect(offline).toBeInstanceOf(ClientOfflineError)
      expect(translateError(offline, ['PING'], false)).toMatchObject({ code: 'CONNECTION_UNAVAILABLE' })
      await own.restart()
      // The server restarts empty (no persistence configured): PING says it is back.
      expect(await eventually(() => client.call(['PING']))).toBe('PONG')
      expect(await driver.waitReady(5000)).toBe(true)
    } finally {
      await client.close()
      await driver.close()
      await own.stop()
    }
  })

  it('recycle() fails what is in flight and connects afresh', async () => {
    const driver = new RespDriver(server.url, resolveOptions({ url: server.url }))
    await driver.connect()
    try {
      const id = await driver.send(['CLIENT', 'ID'], undefined, false, false)
      const blocked = driver.send(['BLPOP', 'never', '5'], undefined, false, false).catch((e: unknown) => e)
      await new Promise((r) => setTimeout(r, 20))
      driver.recycle()
      const error = await blocked
      expect(translateError(error, ['BLPOP'], false)).toMatchObject({ code: 'CONNECTION_LOST' })
      expect(await driver.waitReady(3000)).toBe(true)
      expect(await driver.send(['CLIENT', 'ID'], undefined, false, false)).not.toBe(id)
    } finally {
      await driver.close()
    }
  })

  it('close() lets commands in flight finish, then refuses with CONNECTION_CLOSED', async () => {
    const client = await connect({ url: server.url, guard: 'off' })
    const pending = Array.from({ length: 1000 }, (_, i) => client.call(['ECHO', String(i)]))
    await client.close()
    expect(await Promise.all(pending)).toEqual(Array.from({ length: 1000 }, (_, i) => String(i)))
    await expect(client.call(['PING'])).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' })
  })
})
