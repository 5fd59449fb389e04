/**
 * Keyv on redis-expert/keyv against Keyv on @keyv/redis (node-redis), same server, same run:
 * get and set from 1000 concurrent callers, through Keyv itself (its serialization, hooks and
 * expiry check are the same on both sides; only the storage adapter and its client differ).
 */

import { createKeyv } from '@keyv/redis'
import Keyv from 'keyv'
import { connect } from '../../src/index.js'
import { createKeyvStore } from '../../src/keyv/index.js'
import type { BenchCase, Suite } from '../harness.js'

const CONCURRENCY = 1000
const PAIRS = 50_000
const KEYS = 10_000
const TTL_MS = 60_000

const value = (i: number) => ({ id: i, name: `user ${i}`, roles: ['reader', 'writer'], active: true })

/** `PAIRS` set+get pairs from CONCURRENCY callers, each awaiting one at a time; counts operations. */
function pairs(name: string, keyv: Keyv): BenchCase {
  return {
    name,
    async run() {
      let next = 0
      const worker = async () => {
        while (next < PAIRS) {
          const i = next++
          const key = `k${i % KEYS}`
          await keyv.set(key, value(i), TTL_MS)
          await keyv.get(key)
        }
      }
      await Promise.all(Array.from({ length: CONCURRENCY }, worker))
      return 2 * PAIRS
    },
  }
}

export const keyvSuite: Suite = {
  name: `keyv: get+set, ${PAIRS / 1000}k pairs from ${CONCURRENCY} concurrent callers`,
  description:
    `Each caller sets a key (a ${JSON.stringify(value(0)).length}-byte object, TTL ${TTL_MS / 1000} s) and reads it back, over ${KEYS / 1000}k keys, through Keyv 5. ` +
    "@keyv/redis: createKeyv(url, { namespace }) — node-redis, one SET PX and one GET. Ours: new Keyv({ store: createKeyvStore(db), namespace }) — one SET PX and one GET through the toolkit's client and guard. Figures count operations (2 per pair).",
  baseline: '@keyv/redis (node-redis)',
  targets: [{ case: 'redis-expert/keyv', minRatio: 1.5 }],
  async setup(server) {
    const peer = createKeyv(server.url, { namespace: 'bench-peer' })
    await peer.set('warm', 1)
    const db = await connect({ url: server.url })
    const ours = new Keyv({ store: createKeyvStore(db, { name: 'bench-kv' }), namespace: 'bench-ours' })
    return {
      cases: [pairs('@keyv/redis (node-redis)', peer), pairs('redis-expert/keyv', ours)],
      async teardown() {
        await peer.disconnect()
        await db.close()
      },
    }
  },
}
