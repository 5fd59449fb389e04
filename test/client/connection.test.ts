import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Connection } from '../../src/client/connection.js'
import { resolveEndpoint } from '../../src/client/endpoint.js'
import { ReplyError } from '../../src/client/resp-parser.js'
import { connect, type RedisExpertClient } from '../../src/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'

/**
 * The connection layer on a real server: replies of every RESP type, Buffers, pipelining,
 * the handshake (ACL user, database, name), and connection loss.
 */

let server: RedisServer
let db: RedisExpertClient

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
})
afterAll(async () => {
  await db?.close()
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

describe('replies, as RESP2 defines them', () => {
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
  const expected: Record<string, unknown> = {
    'simple string': { value: 'OK' },
    'bulk string': { value: 'v' },
    'empty bulk': { value: '' },
    nil: { value: null },
    integer: { value: 1 },
    'negative integer': { value: -1 },
    unicode: { value: 'ü€😀' },
    'big bulk': { value: true },
    array: { value: ['a', 'b', ''] },
    'empty array': { value: [] },
    'nested arrays with nil': { value: [1, 'a', [2, ['b']], null, []] },
    'error reply': { code: 'COMMAND_ERROR', details: { command: 'HGET', redisCode: 'WRONGTYPE' } },
    'unknown command': { code: 'COMMAND_ERROR', details: { command: 'NOSUCHCOMMAND', redisCode: 'ERR' } },
    'script error': { code: 'COMMAND_ERROR', details: { command: 'EVAL', redisCode: 'MYCODE' } },
    'MULTI with a runtime error inside': {
      code: 'COMMAND_ERROR',
      details: { command: 'HGET', redisCode: 'WRONGTYPE' },
    },
    'MULTI with a command refused when queued': { code: 'COMMAND_ERROR', details: { command: 'GET' } },
    MULTI: { value: ['OK', expect.any(Number), 'x', ['a', 'b']] },
    pipeline: { value: ['OK', 'x', null] },
    'pipeline with an error': { code: 'COMMAND_ERROR', details: { command: 'HGET', redisCode: 'WRONGTYPE' } },
    'node executor MULTI': { code: 'COMMAND_ERROR', details: { command: 'HGET', redisCode: 'WRONGTYPE' } },
    'node executor call': { value: 'hi' },
  }
  for (const [name, run] of cases)
    it(name, async () => {
      expect(await outcome(db, run)).toMatchObject(expected[name] as object)
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

  it('a Connection keeps each error with its own command in sendAll', async () => {
    const connection = await Connection.open({
      endpoint: resolveEndpoint(server.url),
      connectTimeoutMs: 2000,
      commandTimeoutMs: 2000,
    })
    try {
      const replies = await Promise.allSettled(
        connection.sendAll([
          ['SET', 'p:d', 'x'],
          ['HGET', 'p:d', 'f'],
          ['GET', 'p:d'],
        ]),
      )
      expect(
        replies.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as { code: string }).code)),
      ).toEqual(['OK', 'COMMAND_ERROR', 'x'])
    } finally {
      await connection.close(1000)
    }
  })

  it('sendBatch: one promise for a batch, error replies in place, latin1 strings both ways', async () => {
    const connection = await Connection.open({
      endpoint: resolveEndpoint(server.url),
      connectTimeoutMs: 2000,
      commandTimeoutMs: 2000,
    })
    try {
      const key = '\u00ff\u0000k'
      const replies = await connection.sendBatch(
        [
          ['SET', key, '\u00e9', 'PX', '60000'],
          ['HGET', key, 'f'],
          ['GET', key],
          ['STRLEN', key],
        ],
        { latin1: true },
      )
      expect(replies[0]).toBe('OK')
      expect(replies[1]).toBeInstanceOf(ReplyError)
      expect((replies[1] as ReplyError).message).toMatch(/^WRONGTYPE/)
      // é was written as one byte (0xe9), and comes back as that byte.
      expect(replies.slice(2)).toEqual(['\u00e9', 1])
      // The same key as bytes, outside the batch: the replies stayed in step.
      expect(await connection.send(['STRLEN', Buffer.from([0xff, 0, 0x6b])])).toBe(1)
      await expect(connection.sendBatch([['GET', 'k\u20ac']], { latin1: true })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      })
    } finally {
      await connection.close(1000)
    }
    await expect(connection.sendBatch([['PING']])).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' })
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

  it('a wrong password fails connect() with CONNECTION_FAILED naming WRONGPASS, not the password', async () => {
    const error = await connect({ url: url('app', 'nope-secret'), connectRetries: 0 }).catch(
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED', message: expect.stringContaining('WRONGPASS') })
    expect((error as Error).message).not.toContain('nope-secret')
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
      expect(error).toMatchObject({
        code: 'CONNECTION_FAILED',
        message: expect.stringContaining('connectTimeoutMs'),
      })
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
      // Writes paused: the SET is in flight (sent, unanswered) when its connection is killed.
      const other = await connect({ url: server.url, guard: 'off' })
      await other.call(['CLIENT', 'PAUSE', '2000', 'WRITE'])
      const blocked = db.call(['SET', 'paused', '1']).catch((e: unknown) => e)
      await new Promise((r) => setTimeout(r, 50))
      await other.call(['CLIENT', 'KILL', 'ID', String(id)])
      await other.call(['CLIENT', 'UNPAUSE'])
      await other.close()
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
    try {
      await client.call(['SET', 'k', 'v'])
      await own.kill()
      const started = Date.now()
      const errors = await Promise.all(
        Array.from({ length: 50 }, () => client.call(['GET', 'k']).catch((e: unknown) => e)),
      )
      expect(Date.now() - started).toBeLessThan(1000)
      for (const error of errors)
        expect(error).toMatchObject({ code: expect.stringMatching(/^CONNECTION_(UNAVAILABLE|LOST)$/) })
      await own.restart()
      // The server restarts empty (no persistence configured): PING says it is back.
      expect(await eventually(() => client.call(['PING']))).toBe('PONG')
    } finally {
      await client.close()
      await own.stop()
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
