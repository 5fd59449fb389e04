import { describe, expect, it } from 'vitest'
import { connectionSettings } from '../../src/audit/audit.js'
import { AuditConnection } from '../../src/audit/connection.js'
import type { ScannedKey } from '../../src/audit/inspect.js'
import { connectionPort, type ScanPort, scanNode } from '../../src/audit/scan.js'
import type { KeyRecord } from '../../src/audit/types.js'
import type { Command, Executor, Reply } from '../../src/index.js'
import { callsBetween, commandCalls } from '../support/commandstats.js'
import { startRedisForFile } from '../support/redis-fixture.js'

const { db } = await startRedisForFile({ guard: 'off' })

/**
 * The real master, with another client's writes slipped in between SCAN and the pipeline that
 * follows it: the race a live audit meets on a busy server, made deterministic.
 */
function racing(
  node: Executor,
  between: (keys: Buffer[]) => Promise<void>,
  afterFirstRound: (commands: readonly Command[]) => Promise<void> = async () => {},
): Executor {
  return {
    async call<T extends Reply = Reply>(command: Command, options?: Parameters<Executor['call']>[1]) {
      const reply = await node.call<T>(command, options)
      if (String(command[0]) === 'SCAN') await between((reply as unknown as [Buffer, Buffer[]])[1])
      return reply
    },
    async batch(commands, options) {
      const replies = await node.batch(commands, options)
      if (String(commands[0]?.[0]) === 'PTTL') await afterFirstRound(commands)
      return replies
    },
  }
}

async function collect(node: Executor, limit: number | null = null) {
  const records: KeyRecord[] = []
  const result = await scanNode(node, 0, {
    count: 100,
    samples: 5,
    limit,
    bucket: null,
    onRecords: (batch) => records.push(...batch),
  })
  return { records, result }
}

describe('scanNode', () => {
  it('tolerates keys deleted, or turned into another type, between SCAN and the pipeline', async () => {
    await db.call(['FLUSHALL'])
    const keys = Array.from({ length: 1000 }, (_, i) => `race:${i}`)
    await db.batch(keys.map((key) => ['SET', key, 'v']))
    const [master] = await db.masters()
    let deleted = 0
    let retyped = 0
    const node = racing(master as Executor, async (batch) => {
      // Half of each batch disappears; some keys become hashes.
      const gone = batch.filter((_, i) => i % 2 === 0)
      if (gone.length > 0) deleted += Number(await db.call(['UNLINK', ...gone]))
      for (const key of batch.filter((_, i) => i % 10 === 1)) {
        await db.batch([
          ['DEL', key],
          ['HSET', key, 'f', 'v'],
        ])
        retyped++
      }
    })
    const { records, result } = await collect(node)
    expect(deleted).toBeGreaterThan(400)
    expect(result.vanished).toBe(deleted)
    expect(result.keys).toBe(1000 - deleted)
    expect(records).toHaveLength(1000 - deleted)
    expect(result.complete).toBe(true)
    // The keys that changed type are reported as what they are now.
    expect(records.filter((r) => r.type === 'hash')).toHaveLength(retyped)
    expect(records.filter((r) => r.type === 'string')).toHaveLength(1000 - deleted - retyped)
  })

  it('recovers when a key changes type between the first round and its size command', async () => {
    await db.call(['FLUSHALL'])
    await db.batch(Array.from({ length: 300 }, (_, i) => ['SET', `flip:${i}`, 'v']))
    const [master] = await db.masters()
    let flipped = 0
    const node = racing(
      master as Executor,
      async () => {},
      // The encoding said string; before STRLEN, some keys become hashes: STRLEN fails with
      // WRONGTYPE, the batch is retried command by command, and TYPE then HLEN are asked.
      async (commands) => {
        const turned = await turnSomeIntoHashes(commands)
        flipped += turned
      },
    )
    const { records, result } = await collect(node)
    expect(result.keys).toBe(300)
    const hashes = records.filter((r) => r.type === 'hash')
    expect(hashes).toHaveLength(flipped)
    expect(hashes.every((r) => r.size === 2)).toBe(true)
    expect(records.filter((r) => r.type === 'string').every((r) => r.size === 1)).toBe(true)
  })

  it('stops at the limit and says the scan is incomplete', async () => {
    await db.call(['FLUSHALL'])
    await db.batch(Array.from({ length: 1000 }, (_, i) => ['SET', `k:${i}`, 'v']))
    const [master] = await db.masters()
    const { records, result } = await collect(master as Executor, 250)
    expect(records).toHaveLength(250)
    expect(result.complete).toBe(false)
    const all = await collect(master as Executor, 5000)
    expect(all.result.complete).toBe(true)
    expect(all.records).toHaveLength(1000)
  })

  it('reads every type with its size command', async () => {
    await db.call(['FLUSHALL'])
    await db.batch([
      ['SET', 's', 'hello'],
      ['HSET', 'h', 'a', '1', 'b', '2'],
      ['RPUSH', 'l', '1', '2', '3'],
      ['SADD', 'set', 'x', 'y', 'z', 'w'],
      ['SADD', 'ints', '1', '2'],
      ['ZADD', 'z', '1', 'a'],
      ['XADD', 'x', '*', 'f', 'v'],
      ['PFADD', 'hll', 'a'],
      ['SET', 'n', '12345', 'PX', 60_000],
    ])
    const [master] = await db.masters()
    const { records } = await collect(master as Executor)
    const byKey = Object.fromEntries(records.map((r) => [r.key, [r.type, r.size, r.encoding]]))
    expect(byKey).toEqual({
      s: ['string', 5, 'embstr'],
      h: ['hash', 2, 'listpack'],
      l: ['list', 3, expect.stringMatching(/^(quicklist|listpack)$/)],
      set: ['set', 4, expect.stringMatching(/^(hashtable|listpack)$/)],
      ints: ['set', 2, 'intset'],
      z: ['zset', 1, 'listpack'],
      x: ['stream', 1, 'stream'],
      hll: ['string', expect.any(Number), expect.stringMatching(/^(raw|embstr)$/)],
      n: ['string', 5, 'int'],
    })
    expect(records.find((r) => r.key === 'n')?.ttlMs).toBeGreaterThan(50_000)
    expect(records.every((r) => (r.bytes ?? 0) > 0)).toBe(true)
  })
})

/** The audit's own connection to the test server's master, scanning with or without the script. */
async function ownPort(script: boolean): Promise<{ port: ScanPort; close(): void }> {
  const [master] = await db.masters()
  const connection = await AuditConnection.open(
    connectionSettings(db.options, (master as Executor & { address: string }).address),
  )
  return { port: connectionPort(connection, { script }), close: () => connection.close() }
}

/** A port with another client's writes slipped in after each SCAN page and after the first round. */
function racingPort(
  port: ScanPort,
  between: (keys: readonly ScannedKey[]) => Promise<void>,
  afterFirstRound: (commands: readonly Command[]) => Promise<void> = async () => {},
): ScanPort {
  return {
    async scan(cursor, count) {
      const page = await port.scan(cursor, count)
      await between(page.keys)
      return page
    },
    async run(commands) {
      const settled = await port.run(commands)
      if (String(commands[0]?.[0]) === 'PTTL') await afterFirstRound(commands)
      return settled
    },
    ...(port.inspect ? { inspect: port.inspect.bind(port) } : {}),
  }
}

async function collectFrom(port: Executor | ScanPort, count = 100) {
  const records: KeyRecord[] = []
  const result = await scanNode(port, 0, {
    count,
    samples: 5,
    limit: null,
    bucket: null,
    onRecords: (batch) => records.push(...batch),
  })
  return { records, result }
}

/** Records in key order, TTLs rounded to the minute (they tick between two scans). */
const comparable = (records: readonly KeyRecord[]) =>
  [...records]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => ({ ...r, ttlMs: r.ttlMs < 0 ? r.ttlMs : Math.round(r.ttlMs / 60_000) }))

describe('the audit connection, with and without the script', () => {
  it('reads exactly what the client path reads, binary and UTF-8 keys included', async () => {
    await db.call(['FLUSHALL'])
    const commands: Command[] = [
      ['PFADD', 'hll', 'a'],
      ['XADD', 'x', '*', 'f', 'v'],
      ['SET', Buffer.from([0x62, 0x69, 0x6e, 0x00, 0xff, 0x0a]), 'binary'],
      ['SET', 'ключ:1', 'utf-8'],
      ['SET', 'big', 'x'.repeat(5000), 'PX', 3_600_000],
      ['SADD', 'set:big', ...Array.from({ length: 600 }, (_, i) => `m${i}`)],
      ['ZADD', 'z:big', ...Array.from({ length: 300 }, (_, i) => [i, `p${i}`]).flat()],
    ]
    for (let i = 0; i < 400; i++) {
      const kind = i % 8
      if (kind === 0) commands.push(['SET', `s:${i}`, String(i)])
      else if (kind === 1) commands.push(['SET', `s:${i}`, `value ${i}`, 'EX', 3600])
      else if (kind === 2) commands.push(['HSET', `h:${i}`, 'a', '1', 'b', String(i)])
      else if (kind === 3) commands.push(['RPUSH', `l:${i}`, '1', '2', String(i)])
      else if (kind === 4) commands.push(['SADD', `set:${i}`, 'x', String(i)])
      else if (kind === 5) commands.push(['SADD', `ints:${i}`, '1', String(i)])
      else if (kind === 6) commands.push(['ZADD', `z:${i}`, 1, 'a', 2, String(i)])
      else commands.push(['XADD', `x:${i}`, '*', 'f', String(i)])
    }
    await db.batch(commands)
    const viaClient = await collectFrom((await db.masters())[0] as Executor)
    expect(viaClient.records).toHaveLength(407)
    for (const script of [false, true]) {
      const own = await ownPort(script)
      try {
        const viaConnection = await collectFrom(own.port)
        // The script's own calls count as commands too, beside the commands they run.
        if (script) expect(viaConnection.result.commands).toBeGreaterThan(viaClient.result.commands)
        expect({ ...viaConnection.result, commands: 0 }).toEqual({ ...viaClient.result, commands: 0 })
        if (!script) expect(viaConnection.result.commands).toBe(viaClient.result.commands)
        expect(comparable(viaConnection.records)).toEqual(comparable(viaClient.records))
      } finally {
        own.close()
      }
    }
    const keys = viaClient.records.map((r) => r.key)
    expect(keys).toEqual(expect.arrayContaining(['bin\\x00\\xff\\x0a', 'ключ:1']))
  })

  it('tolerates keys deleted, expired or retyped between SCAN and the reads', async () => {
    for (const script of [false, true]) {
      await db.call(['FLUSHALL'])
      const keys = Array.from({ length: 1000 }, (_, i) => `race:${i}`)
      await db.batch(keys.map((key, i) => (i % 10 === 3 ? ['SET', key, 'v', 'PX', 30] : ['SET', key, 'v'])))
      let deleted = 0
      let retyped = 0
      let first = true
      const own = await ownPort(script)
      try {
        const port = racingPort(own.port, async (page) => {
          if (first) {
            // Past the short TTLs: those keys expire between SCAN and the reads.
            await new Promise((resolve) => setTimeout(resolve, 60))
            first = false
          }
          const texts = page.map((k) => k.text)
          const gone = texts.filter((_, i) => i % 2 === 0)
          if (gone.length > 0) deleted += Number(await db.call(['UNLINK', ...gone]))
          for (const key of texts.filter((k, i) => i % 10 === 1 && Number(k.slice(5)) % 10 !== 3)) {
            await db.batch([
              ['DEL', key],
              ['HSET', key, 'f', 'v'],
            ])
            retyped++
          }
        })
        const { records, result } = await collectFrom(port)
        expect(result.keys).toBe(records.length)
        // Keys that expired before SCAN reached them are not seen at all.
        expect(result.keys + result.vanished).toBeLessThanOrEqual(1000)
        expect(result.keys + result.vanished).toBeGreaterThanOrEqual(900)
        // Every key that expired or was deleted is counted as vanished, none recorded.
        expect(records.some((r) => Number(r.key.slice(5)) % 10 === 3)).toBe(false)
        expect(result.vanished).toBeGreaterThanOrEqual(deleted)
        expect(records.filter((r) => r.type === 'hash')).toHaveLength(retyped)
        expect(records.filter((r) => r.type === 'string').every((r) => r.size === 1)).toBe(true)
        expect(records.filter((r) => r.type === 'hash').every((r) => r.size === 1)).toBe(true)
      } finally {
        own.close()
      }
    }
  })

  it('recovers when a key changes type between the first round and its size command', async () => {
    await db.call(['FLUSHALL'])
    await db.batch(Array.from({ length: 300 }, (_, i) => ['SET', `flip:${i}`, 'v']))
    let flipped = 0
    const own = await ownPort(false)
    try {
      const port = racingPort(
        own.port,
        async () => {},
        async (commands) => {
          const turned = await turnSomeIntoHashes(commands)
          flipped += turned
        },
      )
      const { records, result } = await collectFrom(port)
      expect(result.keys).toBe(300)
      const hashes = records.filter((r) => r.type === 'hash')
      expect(hashes).toHaveLength(flipped)
      expect(hashes.every((r) => r.size === 2)).toBe(true)
      expect(records.filter((r) => r.type === 'string').every((r) => r.size === 1)).toBe(true)
    } finally {
      own.close()
    }
  })
})

/** Every 7th key a batch reads (its PTTL) becomes a 2-field hash before its size is asked. */
async function turnSomeIntoHashes(commands: readonly (readonly unknown[])[]): Promise<number> {
  const keys = commands.filter((c) => String(c[0]) === 'PTTL').map((c) => String(c[1]))
  const chosen = keys.filter((_, i) => i % 7 === 0)
  for (const key of chosen)
    await db.batch([
      ['DEL', key],
      ['HSET', key, 'a', '1', 'b', '2'],
    ])
  return chosen.length
}

describe('the audit script after SCRIPT FLUSH', () => {
  it('sends the source again on NOSCRIPT (the one script fallback) and keeps reading by script', async () => {
    await db.call(['FLUSHALL'])
    await db.batch(Array.from({ length: 300 }, (_, i) => ['SET', `f:${i}`, String(i)] as Command))
    const viaClient = await collectFrom((await db.masters())[0] as Executor, 50)
    const own = await ownPort(true)
    try {
      const before = await commandCalls(db)
      // Every page after the first finds the script cache empty: EVALSHA_RO gets NOSCRIPT.
      const flushing = racingPort(own.port, async () => {
        await db.call(['SCRIPT', 'FLUSH'])
      })
      const { records } = await collectFrom(flushing, 50)
      const calls = callsBetween(before, await commandCalls(db))
      expect(comparable(records)).toEqual(comparable(viaClient.records))
      // The source went again after each NOSCRIPT, and no page fell back to the per-key rounds.
      expect(calls.EVAL_RO ?? 0).toBeGreaterThan(1)
      expect(calls.EVALSHA_RO ?? 0).toBeGreaterThan(0)
      // Every key read inside the script (PTTL), none by the per-key rounds (which send TYPE).
      expect(calls.PTTL ?? 0).toBe(300)
      expect(calls.TYPE ?? 0).toBe(0)
    } finally {
      own.close()
    }
  })
})
