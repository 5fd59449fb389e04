import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConnectOptions } from '../../src/client/index.js'
import { connect, type RedisExpertClient } from '../../src/connect.js'
import { createStreamProducer, createStreamWorker, type StreamWorker } from '../../src/messaging/index.js'
import { type RedisCluster, type RedisServer, startCluster, startRedis } from '../../src/testing/index.js'
import { pendingCount, spawnFixture, waitFor } from './helpers.js'

/*
 * At-least-once across processes: a consumer process killed with SIGKILL mid-batch loses
 * nothing — the survivors recover what it held and every entry ends processed and acknowledged.
 * On a standalone server and on a 3-master Cluster.
 */

let server: RedisServer
let cluster: RedisCluster
const targets: Record<string, ConnectOptions> = {}

beforeAll(async () => {
  ;[server, cluster] = await Promise.all([startRedis(), startCluster({ masters: 3, replicasPerMaster: 0 })])
  targets.standalone = { url: server.url }
  targets.cluster = { cluster: { rootNodes: cluster.rootNodes } }
}, 60_000)
afterAll(async () => {
  await Promise.all([server?.stop(), cluster?.stop()])
})

describe.each(['standalone', 'cluster'])('SIGKILL of a consumer process (%s)', (kind) => {
  let db: RedisExpertClient
  const survivors: StreamWorker[] = []
  beforeAll(async () => {
    db = await connect(targets[kind]!)
  })
  afterAll(async () => {
    await Promise.all(survivors.map((w) => w.close({ timeoutMs: 2000 })))
    await db?.close()
  })

  it('every entry is still processed by the survivors and acknowledged', async () => {
    const total = 300
    const stream = `kill-${kind}`
    const producer = createStreamProducer<{ n: number }>(db, stream)
    await db.call(['XGROUP', 'CREATE', producer.key, 'g', '0', 'MKSTREAM'])
    await producer.addMany(Array.from({ length: total }, (_, n) => ({ n })))

    const victim = spawnFixture('stream-consumer.ts', [JSON.stringify(targets[kind]), stream, 'victim'])
    const victimHandled = new Set<number>()
    let out = ''
    victim.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      for (const match of out.matchAll(/handled (\d+)/g)) victimHandled.add(Number(match[1]))
    })
    await waitFor(
      'the victim to be mid-batch',
      () => victimHandled.size >= 10 && out.includes('slow'),
      20_000,
    )
    victim.kill('SIGKILL')
    await new Promise((resolve) => victim.once('exit', resolve))
    // It died holding entries: read, not acknowledged.
    const held = (await db.call(['XPENDING', producer.key, 'g', '-', '+', 100, 'victim'])) as [string][]
    expect(held.length).toBeGreaterThan(0)
    const heldIds = new Set(held.map((h) => h[0]))

    const seen = new Map<number, number>()
    const recovered = new Set<string>()
    for (const consumer of ['s1', 's2']) {
      const w = createStreamWorker<{ n: number }>(
        db,
        stream,
        (job, entry) => {
          seen.set(job.n, (seen.get(job.n) ?? 0) + 1)
          if (heldIds.has(entry.id)) recovered.add(entry.id)
        },
        { group: 'g', consumer, concurrency: 10, blockMs: 100, claimIdleMs: 500 },
      )
      survivors.push(w)
      await w.start()
    }
    await waitFor('every entry', () => {
      for (let n = 0; n < total; n++) if (!seen.has(n) && !victimHandled.has(n)) return false
      return true
    })
    await waitFor('all acknowledged', async () => (await pendingCount(db, producer.key, 'g')) === 0)
    // Everything the victim held was processed by a survivor.
    expect(recovered).toEqual(heldIds)
    // Survivors never handled an entry twice; duplicates exist only with the victim (at-least-once).
    expect([...seen.values()].every((count) => count === 1)).toBe(true)
  }, 60_000)
})
