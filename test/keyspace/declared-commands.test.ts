import { describe, expect, it } from 'vitest'
import type { Executor } from '../../src/common/types.js'
import { defineKeyspace, t } from '../../src/keyspace/index.js'
import { bindKeyspace } from '../../src/ops/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'

/*
 * Issue 17: a typed operation hands the guard its entry's policy with the command, instead of the
 * client parsing the key string back into the declaration. Seen from outside: a handle bound
 * through an executor that never declares the keyspace to the client is still judged by its own
 * entry — a persistent entry writes without a TTL under the strict guard — while the same
 * command sent raw, for the same key, is judged as an undeclared key.
 */

const ks = defineKeyspace('dc', {
  kept: { pattern: 'kept:<id>', type: t.hash(), role: 'state', ttl: 'persistent' },
  big: { pattern: 'big:<id>', type: t.hash(), role: 'state', ttl: '1h', maxItems: 5 },
})

const { db } = await startRedisForFile()

/** The client's call and batch, without `declare`: the keyspace stays unknown to the client. */
const undeclaring = (): Executor => ({
  call: (command, options) => db.call(command, options),
  batch: (commands, options) => db.batch(commands, options),
})

describe('typed operations carry their entry to the guard', () => {
  it('a persistent entry writes without a TTL although the client never saw its declaration', async () => {
    const app = bindKeyspace(undeclaring(), ks)
    await app.kept({ id: '1' }).hset({ a: '1' })
    expect(db.keyspaces()).not.toContain(ks)
    expect(await db.call(['PTTL', 'dc:kept:1'])).toBe(-1)
    // The same write sent raw is an undeclared key's: a TTL is required.
    await expect(db.call(['HSET', 'dc:kept:2', 'a', '1'])).rejects.toMatchObject({
      code: 'GUARD_TTL_REQUIRED',
    })
  })

  it('a bounded entry reads whole although the client never saw its declaration', async () => {
    const app = bindKeyspace(undeclaring(), ks)
    await app.big({ id: '1' }).hset({ a: '1', b: '2' })
    expect(await app.big({ id: '1' }).get()).toEqual({ a: '1', b: '2' })
    await expect(db.call(['HGETALL', 'dc:big:1'])).rejects.toMatchObject({ code: 'GUARD_UNBOUNDED' })
  })
})
