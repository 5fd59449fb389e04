import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type RedisExpertClient } from '../../../src/connect.js'
import { bindKeyspace } from '../../../src/ops/index.js'
import { type RedisCluster, startCluster } from '../../../src/testing/index.js'
import { every } from './fixtures/every.js'
import { FIXTURES, type Generated, generateFixture, python } from './helpers.js'

/**
 * The generated module on a real 3-master Cluster through redis-py's redis.cluster.RedisCluster
 * (Debian's python3-redis 4.3): single operations on keys spread over the masters, the typed
 * pipeline on one hash tag as one MULTI/EXEC on its master, and a batch across slots refused when
 * it is queued, before anything is sent. TypeScript's Cluster client reads what Python wrote.
 */

interface ClusterRun {
  reads: Record<string, unknown>
  slots: number[]
  nodes: string[]
  pttl: Record<string, number>
  pipeline: {
    name_before: string | null
    feed_length: number
    profile: string
    prices: number
    feed: unknown[]
    pttl: number[]
    multi: number
  }
  cross: { refused: string[]; queued: number; exists: number; multi: number }
}

let cluster: RedisCluster
let generated: Generated
let db: RedisExpertClient
let run: ClusterRun

beforeAll(async () => {
  ;[cluster, generated] = await Promise.all([startCluster({ masters: 3 }), generateFixture()])
  const node = cluster.rootNodes[0]!.replace('redis://', '')
  run = JSON.parse(await python([join(FIXTURES, 'cluster_ops.py'), generated.dir, node])) as ClusterRun
  db = await connect({ cluster: { rootNodes: [...cluster.rootNodes] } })
}, 120_000)
afterAll(async () => {
  await db?.close()
  await cluster?.stop()
  if (generated) rmSync(generated.dir, { recursive: true, force: true })
})

describe('the generated module on a Redis Cluster (redis.cluster.RedisCluster)', () => {
  it('writes and reads entries on keys spread over the masters, each with its TTL', () => {
    expect(run.nodes.length).toBeGreaterThan(1)
    expect(run.reads).toMatchObject({
      text: 'héllo',
      hits: 3,
      profile: 'Ann',
      board: [
        ['ann', 10],
        ['bob', 20],
      ],
      sess: 'v',
    })
    expect(run.reads.doc).toMatchObject({ title: 't', n: 1 })
    for (const [key, pttl] of Object.entries(run.pttl)) {
      expect(pttl, key).toBeGreaterThan(0)
    }
  })

  it('TypeScript’s Cluster client reads what Python wrote', async () => {
    const fx = bindKeyspace(db, every)
    expect(await fx.text({ id: 'a' }).get()).toBe('héllo')
    expect(await fx.profile({ uid: 7 }).hget('name')).toBe('Ann')
    expect(await fx.profile({ uid: 9 }).hget('name')).toBe('Bea')
    expect(await fx.feed({ uid: 9 }).range(0, -1)).toEqual([
      { kind: 'click', at: 1 },
      { kind: 'view', at: 2 },
    ])
  })

  it('the typed pipeline on one hash tag is one MULTI/EXEC on its master, with every TTL', () => {
    expect(run.pipeline).toMatchObject({
      name_before: null,
      feed_length: 2,
      profile: 'Bea',
      prices: 3.5,
      multi: 1,
    })
    for (const pttl of run.pipeline.pttl) expect(pttl).toBeGreaterThan(0)
  })

  it('a batch across slots is refused when queued (CrossSlot), before anything is sent', () => {
    expect(run.cross.refused[0]).toBe('CrossSlot')
    expect(run.cross.refused[1]).toMatch(
      /fx:prices:\{10\} and fx:profile:\{11\} hash to different Cluster slots/,
    )
    expect(run.cross).toMatchObject({ queued: 1, exists: 0, multi: 0 })
  })
})
