import { createServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectionSettings } from '../../src/audit/audit.js'
import { AuditConnection } from '../../src/audit/connection.js'
import { resolveEndpoint } from '../../src/client/endpoint.js'
import { ReplyError } from '../../src/client/resp-parser.js'
import { connect, type RedisExpertClient } from '../../src/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'

describe('AuditConnection', () => {
  let server: RedisServer
  let db: RedisExpertClient

  beforeAll(async () => {
    server = await startRedis({
      requirepass: 'wire-secret',
      users: [
        // PING: the handshake's liveness check, which the client's own connect() needs as well.
        {
          name: 'reader',
          password: 'reader-secret',
          rules: ['~*', '-@all', '+scan', '+pttl', '+select', '+ping'],
        },
      ],
    })
    db = await connect({ url: `redis://:wire-secret@${server.host}:${server.port}/2`, guard: 'off' })
  })
  afterAll(async () => {
    await db?.close()
    await server?.stop()
  })

  it("logs in as the client's user, in its database, and pipelines reads", async () => {
    await db.call(['SET', 'here', 'v', 'PX', 60_000])
    const [master] = await db.masters()
    const connection = await AuditConnection.open(connectionSettings(db.options, master!.address))
    try {
      const replies = await connection.pipeline([
        ['PTTL', 'here'],
        ['TYPE', 'here'],
        ['STRLEN', 'here'],
        ['HLEN', 'here'],
        ['PTTL', 'nothing'],
      ])
      expect(replies[0]).toBeGreaterThan(50_000)
      expect(replies.slice(1)).toEqual(['string', 1, expect.any(ReplyError), -2])
      expect(String((replies[3] as ReplyError).message)).toMatch(/^WRONGTYPE/)
    } finally {
      connection.close()
    }
  })

  it('sends nothing but its read-only commands', async () => {
    const [master] = await db.masters()
    const connection = await AuditConnection.open(connectionSettings(db.options, master!.address))
    try {
      for (const command of [
        ['SET', 'x', 'y'],
        ['DEL', 'here'],
        ['KEYS', '*'],
        ['SCAN', '0'],
        ['SCAN', '0', 'MATCH', '*'],
        ['MEMORY', 'DOCTOR'],
        ['OBJECT', 'FREQ', 'here'],
        ['EVAL', 'return 1', '0'],
        ['EVALSHA_RO', 'a'.repeat(40), '0'],
        ['EVAL_RO', "return redis.call('DEL', 'here')", '0'],
      ])
        await expect(connection.pipeline([['PTTL', 'here'], command])).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
        })
      // Nothing of a refused batch was sent: the next one lines up with its replies.
      expect(await connection.pipeline([['TYPE', 'here']])).toEqual(['string'])
      expect(await db.call(['EXISTS', 'here', 'x'])).toBe(1)
    } finally {
      connection.close()
    }
  })

  it('a wrong password: CONNECTION_FAILED; an ACL refusal: the reply, in its place', async () => {
    const [master] = await db.masters()
    const settings = connectionSettings(db.options, master!.address)
    const login = (userinfo: string) => ({
      ...settings,
      endpoint: resolveEndpoint(`redis://${userinfo}@${master!.address}/2`),
    })
    const wrong = await AuditConnection.open(login(':not%2Fthe@secret')).catch((error: unknown) => error)
    expect(wrong).toMatchObject({ code: 'CONNECTION_FAILED', details: { reason: 'auth' } })
    expect(String((wrong as Error).message)).not.toMatch(/not%2Fthe|not\/the|the@secret/)
    const reader = await AuditConnection.open(login('reader:reader-secret'))
    try {
      const replies = await reader.pipeline([
        ['PTTL', 'here'],
        ['TYPE', 'here'],
      ])
      expect(typeof replies[0]).toBe('number')
      expect((replies[1] as ReplyError).message).toMatch(/^NOPERM/)
    } finally {
      reader.close()
    }
    await expect(reader.pipeline([['PTTL', 'here']])).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' })
  })

  it('binary key names travel as their bytes (latin1), both ways', async () => {
    const key = Buffer.from([0x62, 0x3a, 0xff, 0x00, 0xc3, 0xbc])
    await db.call(['SET', key, 'four', 'PX', 60_000])
    await db.call(['SET', 'b:\u00fc', 'other'])
    const [master] = await db.masters()
    const connection = await AuditConnection.open(connectionSettings(db.options, master!.address))
    try {
      const names: string[] = []
      let cursor = '0'
      do {
        const [page] = await connection.pipeline([['SCAN', cursor, 'COUNT', '100']])
        const [next, keys] = page as [string, string[]]
        names.push(...keys)
        cursor = next
      } while (cursor !== '0')
      const latin1 = key.toString('latin1')
      expect(names).toContain(latin1)
      // 'b:ü' is the key's UTF-8 bytes as chars: a different key, not confused with it.
      expect(names).toContain('b:\u00c3\u00bc')
      const replies = await connection.pipeline([
        ['STRLEN', latin1],
        ['TYPE', latin1],
        ['STRLEN', 'b:\u00c3\u00bc'],
      ])
      expect(replies).toEqual([4, 'string', 5])
      await expect(connection.pipeline([['STRLEN', 'b:\u20ac']])).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      })
      // The refused batch sent nothing: the connection still lines up.
      expect(await connection.pipeline([['TYPE', latin1]])).toEqual(['string'])
    } finally {
      connection.close()
    }
  })

  it('a stopped server: the batch fails with COMMAND_TIMEOUT within commandTimeoutMs', async () => {
    const [master] = await db.masters()
    const connection = await AuditConnection.open({
      ...connectionSettings(db.options, master!.address),
      commandTimeoutMs: 300,
    })
    process.kill(server.pid, 'SIGSTOP')
    try {
      const started = performance.now()
      await expect(connection.pipeline([['PTTL', 'here']])).rejects.toMatchObject({
        code: 'COMMAND_TIMEOUT',
      })
      expect(performance.now() - started).toBeLessThan(300 + 700)
    } finally {
      process.kill(server.pid, 'SIGCONT')
      connection.close()
    }
  })
})

describe('AuditConnection.open against a server that accepts and never answers', () => {
  let silent: Server
  const sockets = new Set<Socket>()
  beforeAll(async () => {
    silent = createServer((socket) => {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => sockets.delete(socket))
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  })
  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => silent.close(() => resolve()))
  })

  // Before, only the TCP connect was timed: the AUTH and SELECT that follow waited forever.
  it('fails within connectTimeoutMs, handshake included, without the password', async () => {
    const { port } = silent.address() as { port: number }
    for (const url of [`redis://127.0.0.1:${port}`, `redis://u:pa%2Fss@127.0.0.1:${port}/3`]) {
      const started = performance.now()
      const error = await AuditConnection.open({
        endpoint: resolveEndpoint(url),
        connectTimeoutMs: 400,
        commandTimeoutMs: 5000,
      }).catch((e: unknown) => e)
      const elapsed = performance.now() - started
      expect(error).toMatchObject({ code: 'CONNECTION_FAILED', details: { reason: 'timeout' } })
      expect(String((error as Error).message)).not.toMatch(/pa\/ss|pa%2Fss/)
      expect(elapsed).toBeGreaterThanOrEqual(390)
      expect(elapsed).toBeLessThan(400 + 600)
    }
  })
})
