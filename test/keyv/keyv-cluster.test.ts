import keyvTestSuite, { keyvIteratorTests } from '@keyv/test-suite'
import { createCache } from 'cache-manager'
import Keyv from 'keyv'
import * as test from 'vitest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keySlot } from '../../src/common/slot.js'
import { connect, type RedisExpertClient } from '../../src/connect.js'
import { createKeyvStore } from '../../src/keyv/index.js'
import {
  type RedisCluster,
  type RedisSentinelSetup,
  startCluster,
  startSentinel,
} from '../../src/testing/index.js'

/* The Keyv adapter on a real 3-master Cluster (Keyv's own suite, cache-manager) and behind Sentinel. */

describe('on a 3-master Cluster', () => {
  let cluster: RedisCluster
  let db: RedisExpertClient

  beforeAll(async () => {
    cluster = await startCluster({ masters: 3, replicasPerMaster: 0 })
    db = await connect({ cluster: { rootNodes: cluster.rootNodes } })
  }, 60_000)
  afterAll(async () => {
    await db?.close()
    await cluster?.stop()
  })

  describe('@keyv/test-suite', () => {
    const store = () => createKeyvStore(db)
    keyvTestSuite(test, Keyv, store)
    keyvIteratorTests(test, Keyv, store)
  })

  it('many keys over every master: getMany, clear and the iterator reach them all', async () => {
    const keyv = new Keyv({ store: createKeyvStore(db, { scanCount: 100 }), namespace: 'spread' })
    const other = new Keyv({ store: createKeyvStore(db), namespace: 'other' })
    const keys = Array.from({ length: 400 }, (_, i) => `k${i}`)
    await keyv.setMany(keys.map((key, i) => ({ key, value: i })))
    await other.set('k1', 'kept')
    const slots = new Set(keys.map((k) => keySlot(`keyv:spread:${k}`)))
    expect(slots.size).toBeGreaterThan(300)
    expect(await keyv.getMany(keys)).toEqual(keys.map((_, i) => i))
    let n = 0
    for await (const _ of keyv.iterator!(undefined)) n++
    expect(n).toBe(400)
    await keyv.clear()
    expect(await keyv.getMany(keys.slice(0, 50))).toEqual(keys.slice(0, 50).map(() => undefined))
    expect(await other.get('k1')).toBe('kept')
  })

  it('cache-manager runs on it', async () => {
    const cache = createCache({ stores: [new Keyv({ store: createKeyvStore(db), namespace: 'cmc' })] })
    await cache.mset(Array.from({ length: 20 }, (_, i) => ({ key: `u${i}`, value: { i }, ttl: 30_000 })))
    expect(await cache.mget(['u1', 'u19', 'nope'])).toEqual([{ i: 1 }, { i: 19 }, undefined])
    expect(await cache.wrap('w', async () => 'v', 1000)).toBe('v')
    expect(await cache.mdel(['u1', 'u2'])).toBe(true)
    expect(await cache.get('u1')).toBeUndefined()
    await cache.clear()
    expect(await cache.get('u19')).toBeUndefined()
  })
})

describe('behind Sentinel', () => {
  let setup: RedisSentinelSetup
  let db: RedisExpertClient

  beforeAll(async () => {
    setup = await startSentinel({ replicas: 0, sentinels: 1, quorum: 1 })
    db = await connect({ sentinel: { name: setup.masterName, sentinels: setup.sentinelAddresses } })
  }, 60_000)
  afterAll(async () => {
    await db?.close()
    await setup?.stop()
  })

  it('Keyv and cache-manager on the master the Sentinel names', async () => {
    const keyv = new Keyv({ store: createKeyvStore(db), namespace: 'sen' })
    await keyv.set('a', { x: 1 }, 10_000)
    expect(await keyv.get('a')).toEqual({ x: 1 })
    expect(await keyv.has('a')).toBe(true)
    const cache = createCache({ stores: [keyv] })
    expect(await cache.wrap('b', async () => 2, 5000)).toBe(2)
    expect(await cache.get('b')).toBe(2)
    await keyv.clear()
    expect(await keyv.get('a')).toBeUndefined()
  })
})
