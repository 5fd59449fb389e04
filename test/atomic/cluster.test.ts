import { describe, expect, it } from 'vitest'
import { connect, keySlot } from '../../src/index.js'
import { sendCommand } from '../../src/testing/command.js'
import { slotRange } from '../../src/testing/index.js'
import { startClusterForFile } from '../support/redis-fixture.js'
import { cappedIncr } from './fixtures/scripts.js'

const { cluster, db } = await startClusterForFile({ masters: 3, replicasPerMaster: 0 })

/** Which master (0..2) owns a key, from the launcher's even slot split. */
const masterOf = (key: string) =>
  [0, 1, 2].find((i) => {
    const [from, to] = slotRange(i, 3)
    const slot = keySlot(key)
    return slot >= from && slot <= to
  }) as number

/** A key on each master: the first `prefix:<n>` landing there. */
function keysOnEveryMaster(prefix: string): string[] {
  const found: string[] = []
  for (let n = 0; found.length < 3; n++) {
    const key = `${prefix}:${n}`
    if (found.every((k) => masterOf(k) !== masterOf(key))) found.push(key)
  }
  return found
}

describe('pipelines on a 3-master Cluster', () => {
  it('split by master, replies reassembled in order and typed', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `pl:${i}`)
    expect(new Set(keys.map(masterOf)).size).toBe(3)
    const writes = db.pipeline()
    for (const [i, key] of keys.entries()) writes.set(key, `v${i}`, { px: 60_000 })
    expect(await writes.exec()).toEqual(keys.map(() => 'OK'))
    const reads = db.pipeline()
    for (const key of keys) reads.get(key)
    expect(await reads.exec()).toEqual(keys.map((_, i) => `v${i}`))
  })

  it('applies the batch TTL rule across masters', async () => {
    const [a, b] = keysOnEveryMaster('ttl') as [string, string]
    await expect(
      db.pipeline().hset(a, { f: '1' }).pexpire(a, 60_000).hset(b, { f: '1' }).exec(),
    ).rejects.toMatchObject({
      code: 'GUARD_TTL_REQUIRED',
    })
    expect(await db.call(['EXISTS', a])).toBe(0)
  })

  it('refuses a MULTI across slots, runs one within a slot', async () => {
    const [a, b] = keysOnEveryMaster('mx') as [string, string]
    await expect(db.multi().set(a, '1', { px: 1000 }).set(b, '2', { px: 1000 }).exec()).rejects.toMatchObject(
      {
        code: 'GUARD_CROSSSLOT',
      },
    )
    expect(await db.multi().set('{mx}a', '1', { px: 60_000 }).incr('{mx}a').exec()).toEqual(['OK', 2])
  })
})

describe('scripts on a Cluster', () => {
  it('recover from NOSCRIPT on a master that never saw the script', async () => {
    const [a, b, c] = keysOnEveryMaster('sc') as [string, string, string]
    expect(await cappedIncr.run(db, { counter: a }, { cap: 9, ttlMs: 60_000 })).toBe(1)
    // b and c live on masters that have not loaded it yet.
    expect(await cappedIncr.run(db, { counter: b }, { cap: 9, ttlMs: 60_000 })).toBe(1)
    expect(await cappedIncr.run(db, { counter: c }, { cap: 9, ttlMs: 60_000 })).toBe(1)
    for (const url of cluster.rootNodes) {
      const { hostname, port } = new URL(url)
      expect(await sendCommand(hostname, Number(port), ['SCRIPT', 'EXISTS', cappedIncr.sha])).toEqual([1])
    }
  })
})

describe('db.watch on a Cluster', () => {
  it('runs on the master owning the keys', async () => {
    const key = '{acct:7}:balance'
    for (let i = 0; i < 20; i++) {
      await db.watch([key], async (tx) => {
        const value = Number((await tx.call(['GET', key])) ?? 0)
        tx.queue(['SET', key, value + 1, 'PX', 60_000])
      })
    }
    expect(await db.call(['GET', key])).toBe('20')
  })
})

describe('db.scan on a Cluster', () => {
  it('returns every key that existed for the whole scan exactly once, while other clients write', async () => {
    const stable = Array.from({ length: 2000 }, (_, i) => `scan:stable:${i}`)
    const fill = db.pipeline()
    for (const key of stable) fill.set(key, '1', { px: 120_000 })
    await fill.exec()
    expect(new Set(stable.map(masterOf)).size).toBe(3)

    const writer = await connect({ cluster: { rootNodes: cluster.rootNodes } })
    let writing = true
    let churn = 0
    const background = (async () => {
      while (writing) {
        const batch = writer.pipeline()
        for (let i = 0; i < 50; i++) batch.set(`scan:churn:${churn++}`, '1', { px: 120_000 })
        await batch.exec()
      }
    })()
    const seen: string[] = []
    try {
      for await (const key of db.scan({ match: 'scan:*', count: 100 })) seen.push(key)
    } finally {
      writing = false
      await background
      await writer.close()
    }
    const stableSeen = seen.filter((k) => k.startsWith('scan:stable:'))
    expect(new Set(seen).size).toBe(seen.length)
    expect(stableSeen.sort()).toEqual([...stable].sort())
    expect(churn).toBeGreaterThan(0)
  })

  it('refuses a COUNT above maxRange and bad options', async () => {
    await expect(db.scan({ count: 5000 }).next()).rejects.toMatchObject({ code: 'GUARD_UNBOUNDED' })
    expect(() => db.scan({ count: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => db.scan({ type: 'blob' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })
})
