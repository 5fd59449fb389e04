import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectionSettings } from '../../src/audit/audit.js'
import { AuditConnection } from '../../src/audit/connection.js'
import { WireError, WireReader, type WireReply, WireWriter } from '../../src/audit/resp.js'
import { connect, type RedisExpertClient } from '../../src/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'

describe('the audit connection codec', () => {
  it('writes commands as RESP, bytes as given (latin1)', () => {
    const writer = new WireWriter(8)
    writer.command(['PTTL', 'k\u00ff'])
    writer.command(['MEMORY', 'USAGE', 'a'.repeat(12)])
    expect(writer.take().toString('latin1')).toBe(
      `*2\r\n$4\r\nPTTL\r\n$2\r\nk\u00ff\r\n*3\r\n$6\r\nMEMORY\r\n$5\r\nUSAGE\r\n$12\r\n${'a'.repeat(12)}\r\n`,
    )
    expect(writer.take()).toHaveLength(0)
  })

  it('reads every reply type, whatever the chunking', () => {
    const wire = Buffer.concat([
      Buffer.from(':-2\r\n:1234567890123\r\n$6\r\nembstr\r\n$-1\r\n+hash\r\n-NOPERM no\r\n'),
      Buffer.from('*2\r\n$1\r\n0\r\n*3\r\n$3\r\na:1\r\n$0\r\n\r\n$2\r\n'),
      Buffer.from([0xff, 0x00]),
      Buffer.from('\r\n*-1\r\n*0\r\n'),
    ])
    const expected: WireReply[] = [
      -2,
      1234567890123,
      'embstr',
      null,
      'hash',
      new WireError('NOPERM no'),
      ['0', ['a:1', '', '\u00ff\u0000']],
      null,
      [],
    ]
    for (let size = 1; size <= wire.length; size++) {
      const got: WireReply[] = []
      const reader = new WireReader((reply) => got.push(reply))
      for (let at = 0; at < wire.length; at += size) reader.feed(wire.subarray(at, at + size))
      expect(got).toEqual(expected)
    }
  })

  it('refuses bytes that are not RESP', () => {
    const reader = new WireReader(() => {})
    expect(() => reader.feed(Buffer.from('?what\r\n'))).toThrow(/RESP/)
  })
})

describe('AuditConnection', () => {
  let server: RedisServer
  let db: RedisExpertClient

  beforeAll(async () => {
    server = await startRedis({
      requirepass: 'wire-secret',
      users: [
        { name: 'reader', password: 'reader-secret', rules: ['~*', '-@all', '+scan', '+pttl', '+select'] },
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
      expect(replies.slice(1)).toEqual(['string', 1, expect.any(WireError), -2])
      expect(String((replies[3] as WireError).message)).toMatch(/^WRONGTYPE/)
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
    await expect(AuditConnection.open({ ...settings, password: 'wrong' })).rejects.toMatchObject({
      code: 'CONNECTION_FAILED',
    })
    const reader = await AuditConnection.open({ ...settings, username: 'reader', password: 'reader-secret' })
    try {
      const replies = await reader.pipeline([
        ['PTTL', 'here'],
        ['TYPE', 'here'],
      ])
      expect(typeof replies[0]).toBe('number')
      expect((replies[1] as WireError).message).toMatch(/^NOPERM/)
    } finally {
      reader.close()
    }
    await expect(reader.pipeline([['PTTL', 'here']])).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' })
  })
})
