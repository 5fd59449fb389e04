import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type RedisExpertClient, RedisExpertError } from '../../src/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'

let server: RedisServer
let db: RedisExpertClient

beforeAll(async () => {
  server = await startRedis({
    requirepass: 'top-secret',
    users: [
      { name: 'app', password: 'app-pass', rules: ['~*', '&*', '+@all', '-config'] },
      { name: 'admin', password: 'admin-pass' },
    ],
  })
  // The transport is under test here, not the hard stops (test/guard covers those).
  db = await connect({ url: server.url, username: 'admin', password: 'admin-pass', guard: 'off' })
})
afterAll(async () => {
  await db?.close()
  await server?.stop()
})

const authUrl = (user: string, password: string) => `redis://${user}:${password}@127.0.0.1:${server.port}`

describe('connect() and call()', () => {
  it('runs commands, turning numbers into wire text', async () => {
    expect(await db.call(['SET', 'n', 42, 'PX', 60_000])).toBe('OK')
    expect(await db.call(['INCRBY', 'n', 8])).toBe(50)
    expect(await db.call(['GET', 'missing'])).toBeNull()
    expect(await db.call(['RPUSH', 'list', 'a', 'b'])).toBe(2)
    expect(await db.call(['LRANGE', 'list', 0, 10])).toEqual(['a', 'b'])
  })

  it('returns Buffers when asked, for binary codecs', async () => {
    await db.call(['SET', 'bin', Buffer.from([0, 255, 1])])
    const reply = await db.call(['GET', 'bin'], { buffers: true })
    expect(Buffer.isBuffer(reply) && [...reply]).toEqual([0, 255, 1])
  })

  it('turns an error reply into COMMAND_ERROR with the Redis code', async () => {
    await db.call(['SET', 'str', 'x'])
    const error = await db.call(['HGET', 'str', 'f']).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RedisExpertError)
    expect(error).toMatchObject({
      code: 'COMMAND_ERROR',
      details: { command: 'HGET', redisCode: 'WRONGTYPE' },
    })
  })

  it('runs a batch in one round trip, atomically or not', async () => {
    expect(
      await db.batch(
        [
          ['SET', 'b1', 'v', 'PX', 5000],
          ['PTTL', 'b1'],
        ],
        { atomic: true },
      ),
    ).toEqual(['OK', 5000])
    expect(
      await db.batch([
        ['SET', 'b2', 'v', 'PX', 5000],
        ['GET', 'b2'],
      ]),
    ).toEqual(['OK', 'v'])
    await expect(
      db.batch(
        [
          ['SET', 'b3', 'v'],
          ['HGET', 'b3', 'f'],
        ],
        { atomic: true },
      ),
    ).rejects.toMatchObject({
      code: 'COMMAND_ERROR',
      details: { redisCode: 'WRONGTYPE' },
    })
  })

  it('refuses malformed commands and options with INVALID_ARGUMENT', async () => {
    await expect(db.call([] as string[])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(db.call(['SET', 'k', { not: 'wire' } as unknown as string])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    await expect(db.call(['SET', 'k', Number.NaN])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(db.batch([])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(connect({ url: 'http://x' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(connect({ url: 'not a url' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(connect({ url: server.url, commandTimeoutMs: -1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    await expect(connect({ url: server.url, cluster: { rootNodes: [server.url] } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    await expect(connect({ cluster: { rootNodes: [] } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('refuses bad input to the connection options, waitReplicas and scan with INVALID_ARGUMENT', async () => {
    const refused = async (run: () => unknown) => {
      try {
        await run()
      } catch (error) {
        return (error as { code?: string }).code
      }
      return 'accepted'
    }
    const bad: [string, () => unknown][] = [
      ['waitReplicas 0', () => db.call(['SET', 'w', '1'], { waitReplicas: 0 })],
      ['waitReplicas 1.5', () => db.call(['SET', 'w', '1'], { waitReplicas: 1.5 })],
      ['replicaTimeoutMs 0', () => db.call(['SET', 'w', '1'], { waitReplicas: 1, replicaTimeoutMs: 0 })],
      ['batch waitReplicas -1', () => db.batch([['SET', 'w', '1']], { waitReplicas: -1 })],
      ['closeTimeoutMs 0', () => connect({ url: server.url, closeTimeoutMs: 0 })],
      ['tls as a string', () => connect({ url: server.url, tls: 'yes' as never })],
      ['a database path that is no number', () => connect({ url: `${server.url}/abc` })],
      [
        'useReplicas not a boolean',
        () => connect({ cluster: { rootNodes: [server.url], useReplicas: 'yes' as never } }),
      ],
      [
        'an unknown cluster option',
        () => connect({ cluster: { rootNodes: [server.url], nodes: [] } as never }),
      ],
      ['a Cluster with database 2', () => connect({ cluster: { rootNodes: [server.url] }, database: 2 })],
      ['a node address without a port', () => connect({ cluster: { rootNodes: [{ host: 'h' } as never] } })],
      ['scan buffers not a boolean', () => db.scan({ buffers: 'yes' as never })],
    ]
    const codes = await Promise.all(bad.map(async ([name, run]) => [name, await refused(run)]))
    expect(codes).toEqual(bad.map(([name]) => [name, 'INVALID_ARGUMENT']))
    // Nothing was written by the refused calls.
    expect(await db.call(['EXISTS', 'w'])).toBe(0)
  })

  it('subscribe() delivers messages on a connection of its own, and says when it is up', async () => {
    const messages: string[] = []
    let ups = 0
    const subscriber = db.subscribe('news', {
      message: (m) => messages.push(m),
      up: () => ups++,
      down: () => {},
    })
    try {
      expect(await subscriber.start(3000)).toBe(true)
      expect(ups).toBe(1)
      expect(await db.call(['PUBLISH', 'news', 'hello'])).toBe(1)
      const deadline = Date.now() + 2000
      while (messages.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
      expect(messages).toEqual(['hello'])
    } finally {
      await subscriber.close()
    }
    expect(() => db.subscribe('', { message: () => {}, up: () => {}, down: () => {} })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })

  it('fails with CONNECTION_CLOSED after close()', async () => {
    const client = await connect({ url: authUrl('admin', 'admin-pass') })
    await client.close()
    await expect(client.call(['PING'])).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' })
  })
})

describe('connection failures', () => {
  it('a wrong port gives CONNECTION_FAILED naming the target', async () => {
    const started = Date.now()
    const error = await connect({ url: 'redis://127.0.0.1:1' }).catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: 'CONNECTION_FAILED',
      message: expect.stringContaining('127.0.0.1:1'),
    })
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('a wrong password gives CONNECTION_FAILED without the password anywhere', async () => {
    const error = await connect({ url: authUrl('app', 'wrong-secret') }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED', message: expect.stringContaining('WRONGPASS') })
    const everything = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack}`
    expect(everything).not.toContain('wrong-secret')
    expect((error as Error).message).toContain('app:***@')

    const viaOption = await connect({ url: server.url, username: 'app', password: 'other-secret' }).catch(
      (e: unknown) => e,
    )
    expect(viaOption).toMatchObject({ code: 'CONNECTION_FAILED' })
    expect(String(viaOption)).not.toContain('other-secret')
  })
})

describe('probe()', () => {
  it('reads version, mode, persistence, memory policy and listpack limits', async () => {
    await db.call(['CONFIG', 'SET', 'hash-max-listpack-entries', '77'])
    const probe = await db.probe()
    expect(probe.mode).toBe('standalone')
    expect(probe.version).toMatch(/^\d+\.\d+\.\d+/)
    expect(probe.configReadable).toBe(true)
    expect(probe.persistence).toEqual({
      aof: false,
      appendfsync: 'everysec',
      rdbSaveRules: [],
      lastBgsaveOk: true,
    })
    expect(probe.maxmemoryPolicy).toBe('noeviction')
    expect(probe.listpack.hashEntries).toBe(77)
    expect(probe.masters).toHaveLength(1)
    expect(probe.modules).toEqual([])
  })

  it('falls back to INFO for an ACL user that may not run CONFIG', async () => {
    const app = await connect({ url: authUrl('app', 'app-pass') })
    try {
      await expect(app.call(['CONFIG', 'GET', 'maxmemory'])).rejects.toMatchObject({
        details: { redisCode: 'NOPERM' },
      })
      const probe = await app.probe()
      expect(probe.configReadable).toBe(false)
      expect(probe.persistence.aof).toBe(false)
      expect(probe.persistence.appendfsync).toBeNull()
      expect(probe.maxmemoryPolicy).toBe('noeviction')
      expect(probe.version).toMatch(/^\d+\./)
    } finally {
      await app.close()
    }
  })
})
