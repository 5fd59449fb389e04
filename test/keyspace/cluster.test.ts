import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { keySlot } from '../../src/common/index.js'
import { defineKeyspace, t } from '../../src/keyspace/index.js'
import { bindKeyspace } from '../../src/ops/index.js'
import { startClusterForFile } from '../support/redis-fixture.js'

/** Entries that share the hash tag {<uid>}: every key of one user lands in one slot. */
const ks = defineKeyspace('shop', {
  cart: { pattern: 'cart:{<uid>}', type: t.hash<number>(), role: 'state', ttl: '7d' },
  seen: { pattern: 'seen:{<uid>}', type: t.set(), role: 'state', ttl: '7d', maxItems: 100 },
  visits: { pattern: 'visits:{<uid>}:<day>', type: t.hll(), role: 'analytics', ttl: '30d' },
  views: { pattern: 'views:{<uid>}', type: t.counter(), role: 'counter', ttl: '7d' },
  user: { pattern: 'user:<uid>', type: t.hash(), role: 'state', ttl: '7d' },
})

const { db } = await startClusterForFile({ masters: 3, replicasPerMaster: 0 })

async function serverSlot(key: string): Promise<number> {
  return (await db.call(['CLUSTER', 'KEYSLOT', key])) as number
}

describe('hash tags on a 3-master Cluster', () => {
  it('keySlot agrees with CLUSTER KEYSLOT, hostile parameters included', async () => {
    const uids = fc.sample(
      fc.oneof(fc.string({ unit: 'binary' }), fc.constantFrom('{', '}', '{}', 'a}b{', ':', '')),
      100,
    )
    for (const uid of uids) {
      for (const key of [
        ks.cart.key({ uid }),
        ks.visits.key({ uid, day: `${uid}}` }),
        ks.user.key({ uid }),
      ]) {
        expect(keySlot(key), key).toBe(await serverSlot(key))
      }
      expect(ks.visits.slot({ uid, day: '{x}' })).toBe(ks.cart.slot({ uid }))
    }
  })

  it('every key sharing a tag value lands in one slot, and multi-key commands across them succeed', async () => {
    const app = bindKeyspace(db, ks)
    for (const uid of ['42', 'a:b', '{evil}', 'ünï']) {
      const cart = app.cart({ uid })
      const seen = app.seen({ uid })
      const monday = app.visits({ uid, day: 'mon' })
      const tuesday = app.visits({ uid, day: 'tue' })
      const views = app.views({ uid })
      await cart.hset({ sku1: 2 })
      await seen.add('sku1')
      await monday.add('s1', 's2')
      await tuesday.add('s2', 's3')
      await views.incr()
      const slots = await Promise.all([cart, seen, monday, tuesday, views].map((h) => serverSlot(h.key)))
      expect(new Set(slots).size, uid).toBe(1)
      // Multi-key commands: PFCOUNT over two keys, PFMERGE, and a raw multi-key command and MULTI.
      expect(await monday.count(tuesday)).toBe(3)
      const week = app.visits({ uid, day: 'week' })
      await week.merge(monday, tuesday)
      expect(await week.count()).toBe(3)
      expect(await db.call(['EXISTS', cart.key, seen.key, views.key, week.key])).toBe(4)
      // Raw writes to keys that already carry their TTL: the guard cannot know that, hence unsafe.
      const replies = await db.unsafe({ reason: 'keys exist with their TTL' }, (raw) =>
        raw.batch(
          [
            ['HINCRBY', cart.key, 'sku1', 1],
            ['SADD', seen.key, '"sku2"'],
            ['INCR', views.key],
          ],
          { atomic: true },
        ),
      )
      expect(replies).toEqual([3, 1, 2])
    }
  })

  it('keys without a shared tag are spread, and multi-key use of them is refused before sending', async () => {
    const app = bindKeyspace(db, ks)
    const slots = new Set(['1', '2', '3', '4', '5', '6', '7', '8'].map((uid) => ks.user.slot({ uid })))
    expect(slots.size).toBeGreaterThan(1)
    const a = app.visits({ uid: '1', day: 'mon' })
    const b = app.visits({ uid: '2', day: 'mon' })
    expect(keySlot(a.key)).not.toBe(keySlot(b.key))
    await expect(a.count(b)).rejects.toMatchObject({ code: 'CROSS_SLOT' })
  })
})
