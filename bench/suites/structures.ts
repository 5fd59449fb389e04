/**
 * Structures against their peers, same server, same run:
 * - rate-limit decisions/s vs rate-limiter-flexible on ioredis (EVALSHA through defineCommand);
 * - session set+get pairs vs connect-redis on node-redis (per-command timeout off);
 * - compact map bytes per item vs one string key per item, 1M items (INFO memory deltas).
 */

import { RedisStore } from 'connect-redis'
import express from 'express-session'
import { Redis } from 'ioredis'
import { RateLimiterRedis } from 'rate-limiter-flexible'
import { createClient } from 'redis'
import { connect, type RedisExpertClient } from '../../src/index.js'
import {
  type Algorithm,
  createCompactMap,
  createRateLimiter,
  createSessionStore,
} from '../../src/structures/index.js'
import type { BenchCase, Suite } from '../harness.js'

const CONCURRENCY = 1000
const DECISIONS = 100_000
const PAIRS = 50_000
const IDS = 10_000

/** `total` operations from CONCURRENCY callers, each awaiting one at a time. */
function concurrent(name: string, total: number, op: (i: number) => Promise<unknown>): BenchCase {
  return {
    name,
    async run() {
      let next = 0
      const worker = async () => {
        while (next < total) await op(next++)
      }
      await Promise.all(Array.from({ length: CONCURRENCY }, worker))
      return total
    },
  }
}

// -- rate limiting ------------------------------------------------------------------------------

export const rateLimitSuite: Suite = {
  name: `structures: rate-limit decisions, ${DECISIONS / 1000}k from ${CONCURRENCY} concurrent callers`,
  description:
    `Each decision is one script on the server, for ${IDS / 1000}k ids under a limit never reached (so every decision goes to Redis). ` +
    'rate-limiter-flexible: RateLimiterRedis on ioredis, its Lua script registered with defineCommand (EVALSHA); ' +
    'its fixed window is the same policy as ours (anchored at the first hit; the key expiry ends it). Our token bucket and sliding window read the server clock (TIME) in the script.',
  baseline: 'rate-limiter-flexible (ioredis, EVALSHA)',
  targets: [{ case: 'createRateLimiter fixed-window', minRatio: 1.2 }],
  async setup(server) {
    const io = new Redis(server.port, '127.0.0.1')
    const ioAuto = new Redis(server.port, '127.0.0.1', { enableAutoPipelining: true })
    const rlf = new RateLimiterRedis({ storeClient: io, points: 1_000_000, duration: 60, keyPrefix: 'rlf' })
    const rlfAuto = new RateLimiterRedis({
      storeClient: ioAuto,
      points: 1_000_000,
      duration: 60,
      keyPrefix: 'rlfa',
    })
    const db = await connect({ url: server.url })
    const ours = (algorithm: Algorithm) =>
      createRateLimiter(db, { algorithm, limit: 1_000_000, windowMs: 60_000, name: `bench:${algorithm}` })
    const fixed = ours('fixed-window')
    const gcra = ours('token-bucket')
    const sliding = ours('sliding-window')
    return {
      cases: [
        concurrent('rate-limiter-flexible (ioredis, EVALSHA)', DECISIONS, (i) => rlf.consume(`u${i % IDS}`)),
        concurrent('rate-limiter-flexible (ioredis auto-pipelining)', DECISIONS, (i) =>
          rlfAuto.consume(`u${i % IDS}`),
        ),
        concurrent('createRateLimiter fixed-window', DECISIONS, (i) => fixed.consume(`u${i % IDS}`)),
        concurrent('createRateLimiter token-bucket (GCRA)', DECISIONS, (i) => gcra.consume(`u${i % IDS}`)),
        concurrent('createRateLimiter sliding-window', DECISIONS, (i) => sliding.consume(`u${i % IDS}`)),
      ],
      async teardown() {
        io.disconnect()
        ioAuto.disconnect()
        await db.close()
      },
    }
  },
}

// -- sessions -----------------------------------------------------------------------------------

function sessionData(i: number) {
  return {
    cookie: {
      originalMaxAge: 86_400_000,
      expires: new Date(Date.now() + 86_400_000).toISOString(),
      secure: false,
      httpOnly: true,
      path: '/',
    },
    views: i,
    cart: ['sku-1', 'sku-2'],
  }
}

const promised = <T>(fn: (cb: (error: unknown, value?: T) => void) => void) =>
  new Promise<T | undefined>((resolve, reject) =>
    fn((error, value) => (error ? reject(error) : resolve(value))),
  )

export const sessionSuite: Suite = {
  name: `structures: session set+get pairs, ${PAIRS / 1000}k from ${CONCURRENCY} concurrent callers`,
  description:
    `Each pair saves a session (${JSON.stringify(sessionData(0)).length} bytes of JSON) and reads it back, through the ` +
    'callback interface express-session uses, over 10k session ids. connect-redis 9 on node-redis with the per-command ' +
    'timeout off (one SET EX, one GET). Ours: an update is one SET XX, a new session adds the tombstone-checking script, the read one GET.',
  baseline: 'connect-redis (node-redis, timeout off)',
  targets: [{ case: 'createSessionStore', minRatio: 1.2 }],
  async setup(server) {
    const client = createClient({ url: server.url, RESP: 2, commandOptions: { timeout: 0 } })
    await client.connect()
    const peer = new RedisStore({ client, prefix: 'peer:' })
    const db = await connect({ url: server.url })
    const ours = createSessionStore(db, { namespace: 'bench:sess' }).forExpress(express)
    const pair = (store: typeof peer) => async (i: number) => {
      const sid = `s${i % IDS}`
      await promised((cb) => store.set(sid, sessionData(i) as never, cb))
      await promised((cb) => store.get(sid, cb))
    }
    return {
      cases: [
        concurrent('connect-redis (node-redis, timeout off)', PAIRS, pair(peer)),
        concurrent('createSessionStore', PAIRS, pair(ours as unknown as typeof peer)),
      ],
      async teardown() {
        await client.close()
        await db.close()
      },
    }
  },
}

// -- compact map ----------------------------------------------------------------------------------

const ITEMS = 1_000_000
const CHUNK = 10_000

async function usedMemory(db: RedisExpertClient): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(String(await db.call(['INFO', 'memory'])))?.[1])
}

/** A value like a foreign id: 7 digits. */
const value = (i: number) => String(1_000_000 + ((i * 7919) % 9_000_000))

export const compactMapSuite: Suite = {
  name: `structures: compact map memory, ${ITEMS / 1_000_000}M items`,
  description:
    'The figure is items per MiB of server memory (used_memory delta after filling with pipelining; higher is better), ' +
    `so the ratio is how many times smaller. Items: integer ids 0..${ITEMS - 1} → a 7-digit value. Baseline: one string ` +
    'key per item (SET item:<id> <value>, no TTL). Compact map: integer layout, buckets of 100 fields (listpack).',
  unit: 'items per MiB',
  baseline: 'one string key per item',
  targets: [{ case: 'createCompactMap (buckets of 100)', minRatio: 5 }],
  async setup(server) {
    const db = await connect({ url: server.url })
    const map = createCompactMap(db, { name: 'bench', keys: 'integer', perBucket: 100 })
    const flush = () => db.unsafe({ reason: 'benchmark reset' }, (raw) => raw.call(['FLUSHDB', 'SYNC']))
    const measure = async (fill: () => Promise<void>) => {
      await flush()
      const before = await usedMemory(db)
      await fill()
      const bytes = (await usedMemory(db)) - before
      await flush()
      return { opsPerSecond: ITEMS / (bytes / 2 ** 20), bytesPerItem: bytes / ITEMS }
    }
    const report = (name: string) => (result: { opsPerSecond: number; bytesPerItem: number }) => {
      console.log(`  ${name}: ${result.bytesPerItem.toFixed(1)} bytes per item`)
      return { opsPerSecond: result.opsPerSecond }
    }
    return {
      cases: [
        {
          name: 'one string key per item',
          run: () =>
            measure(async () => {
              for (let i = 0; i < ITEMS; i += CHUNK)
                await db.unsafe({ reason: 'the baseline is one string key per item, without TTL' }, (raw) =>
                  raw.batch(Array.from({ length: CHUNK }, (_, j) => ['SET', `item:${i + j}`, value(i + j)])),
                )
            }).then(report('one string key per item')),
        },
        {
          name: 'createCompactMap (buckets of 100)',
          run: () =>
            measure(async () => {
              for (let i = 0; i < ITEMS; i += CHUNK)
                await map.setMany(Array.from({ length: CHUNK }, (_, j) => [i + j, value(i + j)] as const))
            }).then(report('createCompactMap')),
        },
      ],
      teardown: () => db.close(),
    }
  },
}

export const structureSuites: readonly Suite[] = [rateLimitSuite, sessionSuite, compactMapSuite]
