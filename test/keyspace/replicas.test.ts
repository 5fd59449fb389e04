import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisExpertError } from '../../src/errors.js'
import { connect, defineKeyspace, type RedisExpertClient, t } from '../../src/index.js'
import { decideEntry, type EntryDeclaration } from '../../src/keyspace/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'
import { commandCalls, commandsBetween } from '../support/commandstats.js'
import { waitFor } from '../support/wait.js'

/*
 * `replicas: n` on a keyspace entry: every typed write waits (WAIT, same round trip) until n
 * replicas have it, and fails with NOT_REPLICATED when fewer acknowledge in time.
 */

const REPLICA_TIMEOUT_MS = 1000

const bank = defineKeyspace('bank', {
  balance: {
    pattern: 'balance:<account>',
    type: t.counter(),
    role: 'state',
    ttl: 'persistent',
    replicas: 1,
    replicaTimeoutMs: REPLICA_TIMEOUT_MS,
  },
  profile: {
    pattern: 'profile:<id>',
    type: t.hash<{ name: string }>(),
    role: 'state',
    ttl: '1h',
    replicas: 1,
  },
  note: { pattern: 'note:<id>', type: t.string(), role: 'cache', ttl: '1m' },
})

function defineError(entry: Record<string, unknown>): RedisExpertError {
  try {
    defineKeyspace('ns', { a: entry as unknown as EntryDeclaration })
  } catch (error) {
    if (error instanceof RedisExpertError) return error
    throw error
  }
  throw new Error('defineKeyspace accepted the declaration')
}

describe('the declaration', () => {
  const base = { pattern: 'a', type: t.counter(), role: 'state', ttl: 'persistent' }

  it('replicas is a positive integer; replicaTimeoutMs defaults to 1000 and needs replicas', () => {
    for (const replicas of [0, -1, 1.5, '1', Number.NaN])
      expect(defineError({ ...base, replicas }).code, String(replicas)).toBe('KEYSPACE_INVALID')
    expect(defineError({ ...base, replicas: 1, replicaTimeoutMs: 0 }).code).toBe('KEYSPACE_INVALID')
    expect(defineError({ ...base, replicaTimeoutMs: 500 }).message).toContain('needs replicas')
    const ks = defineKeyspace('ns', {
      a: { pattern: 'a', type: t.counter(), role: 'state', ttl: 'persistent', replicas: 2 },
    })
    expect(ks.entries[0]?.policy).toMatchObject({ replicas: 2, replicaTimeoutMs: 1000 })
    expect(bank.entries.find((e) => e.name === 'note')?.policy.replicas).toBeNull()
  })

  it('the decision log says that writes wait for the replicas', () => {
    const policy = bank.entries.find((e) => e.name === 'balance')?.policy
    if (!policy) throw new Error('no balance entry')
    const record = decideEntry(policy)
    expect(record.persistence).toContain('waits for 1 replica')
    expect(record.persistence).toContain(`NOT_REPLICATED after ${REPLICA_TIMEOUT_MS} ms`)
  })
})

describe('on a master with one replica', () => {
  let master: RedisServer
  let replica: RedisServer
  let db: RedisExpertClient

  beforeAll(async () => {
    master = await startRedis({ config: { 'repl-diskless-sync-delay': 0 } })
    replica = await startRedis({ config: { replicaof: `127.0.0.1 ${master.port}` } })
    db = await connect({ url: master.url, keyspaces: [bank] })
    await waitFor('the replica to be in sync', async () =>
      /state=online/.test(String(await db.call(['INFO', 'replication']))),
    )
  })
  afterAll(async () => {
    await db?.close()
    await Promise.all([replica?.stop(), master?.stop()])
  })

  it('a typed write waits for the replica (WAIT beside it); reads and undeclared entries do not', async () => {
    const ks = db.keyspace(bank)
    // Caches the typed-write script: a server's first EVALSHA is NOSCRIPT, resent as EVAL (and
    // both wait for the replica); the steady state is pinned below.
    await ks.profile({ id: 'warm' }).hset({ name: 'warm' })
    const before = await commandCalls(db)
    expect(await ks.balance({ account: 'a' }).incrBy(7)).toBe(7)
    await ks.balance({ account: 'a' }).set(10)
    expect(await ks.profile({ id: '1' }).hset({ name: 'Ada' })).toBeDefined()
    expect(await ks.balance({ account: 'a' }).get()).toBe(10)
    await ks.note({ id: '1' }).set('x')
    const ran = commandsBetween(before, await commandCalls(db), { upper: true })
    // incrBy, set and hset waited; get and the undeclared note did not.
    expect(ran.WAIT).toBe(3)
    // The replica has them.
    const onReplica = await connect({ url: replica.url, guard: 'off' })
    try {
      expect(await onReplica.call(['GET', bank.balance.key({ account: 'a' })])).toBe('10')
    } finally {
      await onReplica.close()
    }
  })

  it('with the replica stopped, the write fails with NOT_REPLICATED within replicaTimeoutMs (+ margin)', async () => {
    const counter = db.keyspace(bank).balance({ account: 'b' })
    process.kill(replica.pid, 'SIGSTOP')
    try {
      const started = Date.now()
      const error = await counter.incrBy(1).catch((e: unknown) => e)
      const took = Date.now() - started
      expect(error).toMatchObject({
        code: 'NOT_REPLICATED',
        details: { wanted: 1, acknowledged: 0 },
      })
      expect(took).toBeGreaterThanOrEqual(REPLICA_TIMEOUT_MS - 20)
      expect(took).toBeLessThan(REPLICA_TIMEOUT_MS + 1000)
    } finally {
      process.kill(replica.pid, 'SIGCONT')
    }
    // The write is on the master (NOT_REPLICATED is "applied, not yet safe"), and once the
    // replica is back the next one succeeds.
    expect(await counter.get()).toBe(1)
    await waitFor('writes to be replicated again', () =>
      counter.incrBy(1).then(
        () => true,
        () => false,
      ),
    )
  })
})
