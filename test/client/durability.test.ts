import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { durabilityGaps, isDurable } from '../../src/client/gate.js'
import { buildNodeProbe, parseConfig, parseInfo, replicationInfo } from '../../src/client/probe.js'
import type { NodeProbe } from '../../src/client/probe-types.js'
import type { Reply } from '../../src/common/types.js'
import { checkCommand } from '../../src/guard/index.js'
import { durabilityViolation } from '../../src/guard/policy.js'
import { connect, defineKeyspace, type RedisExpertClient, t } from '../../src/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'
import { testContext } from '../guard/keys.js'
import { waitFor } from '../support/wait.js'

/*
 * The fourth hard stop across failover: a master with replicas also needs
 * min-replicas-to-write ≥ 1 for source-of-truth writes, since AOF alone does not survive a
 * failover (the old master keeps acknowledging writes, then drops them when it resyncs).
 */

const info = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([k, v]) => `${k}:${v}`)
    .join('\r\n')
const config = (fields: Record<string, string>): Reply => Object.entries(fields).flat()

const DURABLE_CONFIG = { appendonly: 'yes', appendfsync: 'everysec', 'maxmemory-policy': 'noeviction' }

function probeOf(infoFields: Record<string, string>, configFields: Record<string, string> | null): NodeProbe {
  return buildNodeProbe('h:1', {
    info: info(infoFields),
    config: configFields === null ? null : config(configFields),
  })
}

describe('replicationInfo (pure)', () => {
  it('reads role, connected replicas and the min-replicas settings from CONFIG GET', () => {
    const r = replicationInfo(
      parseInfo(info({ role: 'master', connected_slaves: '2' })),
      parseConfig(config({ 'min-replicas-to-write': '1', 'min-replicas-max-lag': '10' })),
    )
    expect(r).toEqual({
      role: 'master',
      connectedReplicas: 2,
      minReplicasToWrite: 1,
      minReplicasMaxLag: 10,
      writesNeedReplicas: true,
    })
  })

  it('takes the legacy min-slaves-* names, and a max lag of 0 switches the rule off', () => {
    const r = replicationInfo(
      parseInfo(info({ role: 'master', connected_slaves: '1' })),
      parseConfig(config({ 'min-slaves-to-write': '1', 'min-slaves-max-lag': '0' })),
    )
    expect(r).toMatchObject({ minReplicasToWrite: 1, minReplicasMaxLag: 0, writesNeedReplicas: false })
  })

  it('falls back to INFO where CONFIG is refused: min_slaves_good_slaves shows exactly when the rule is on', () => {
    const on = replicationInfo(
      parseInfo(info({ role: 'master', connected_slaves: '1', min_slaves_good_slaves: '1' })),
      null,
    )
    expect(on).toEqual({
      role: 'master',
      connectedReplicas: 1,
      minReplicasToWrite: null,
      minReplicasMaxLag: null,
      writesNeedReplicas: true,
    })
    const off = replicationInfo(parseInfo(info({ role: 'slave' })), null)
    expect(off).toMatchObject({ role: 'replica', connectedReplicas: 0, writesNeedReplicas: false })
  })
})

describe('durabilityGaps (pure)', () => {
  const aof = { aof_enabled: '1', role: 'master' }

  it('a master without replicas needs AOF + fsync and no allkeys-* eviction, nothing more', () => {
    const node = probeOf(
      { ...aof, connected_slaves: '0' },
      { ...DURABLE_CONFIG, 'min-replicas-to-write': '0' },
    )
    expect(durabilityGaps(node)).toEqual([])
    expect(isDurable(node)).toBe(true)
    // A Cluster master without replicas cannot be failed over: the same.
    expect(durabilityGaps(node, 'cluster')).toEqual([])
  })

  it('a master with replicas also needs min-replicas-to-write ≥ 1', () => {
    const replicated = probeOf({ ...aof, connected_slaves: '1' }, DURABLE_CONFIG)
    expect(durabilityGaps(replicated)).toEqual(['min-replicas'])
    expect(durabilityGaps(replicated, 'cluster')).toEqual(['min-replicas'])
    const safe = probeOf(
      { ...aof, connected_slaves: '1' },
      { ...DURABLE_CONFIG, 'min-replicas-to-write': '1', 'min-replicas-max-lag': '1' },
    )
    expect(durabilityGaps(safe)).toEqual([])
  })

  it('behind Sentinel, even while no replica is connected', () => {
    const node = probeOf({ ...aof, connected_slaves: '0' }, DURABLE_CONFIG)
    expect(durabilityGaps(node, 'sentinel')).toEqual(['min-replicas'])
  })

  it('names every gap at once', () => {
    const node = probeOf(
      { role: 'master', connected_slaves: '1' },
      { appendonly: 'no', appendfsync: 'everysec', 'maxmemory-policy': 'allkeys-lru' },
    )
    expect(durabilityGaps(node)).toEqual(['aof', 'eviction', 'min-replicas'])
  })
})

describe('GUARD_DURABILITY says why and what to set', () => {
  it('for min-replicas: a failover drops what the old master acknowledged; min-replicas-to-write 1 and max lag', () => {
    const v = durabilityViolation('acct:1', 'accounts', ['min-replicas'])
    expect(v.message).toContain("source-of-truth entry 'accounts'")
    expect(v.message).toContain('AOF alone does not survive a failover')
    expect(v.message).toContain('old master keeps accepting writes')
    expect(v.message).not.toContain('appendonly yes')
    expect(v.fix).toContain('min-replicas-to-write 1')
    expect(v.fix).toContain('min-replicas-max-lag')
    expect(v.fix).toContain('replicas: n')
  })

  it('for AOF alone it does not talk about replicas; unknown gaps name every requirement', () => {
    const aof = durabilityViolation('k', 'e', ['aof'])
    expect(aof.message).toContain('appendonly yes')
    expect(aof.fix).not.toContain('min-replicas')
    const all = durabilityViolation('k', 'e')
    for (const word of ['appendonly', 'allkeys-*', 'min-replicas-to-write'])
      expect(`${all.message} ${all.fix}`).toContain(word)
  })

  it('the policy uses the gaps of its context', () => {
    const ctx = {
      ...testContext({ declared: { acct: { entry: 'accounts', sourceOfTruth: true } }, durabilityOk: false }),
      durabilityGaps: ['min-replicas'] as const,
    }
    const [v] = checkCommand(['HSET', 'acct', 'f', 'v'], ctx)
    expect(v).toMatchObject({ code: 'GUARD_DURABILITY', key: 'acct' })
    expect(v?.message).toContain('failover')
  })
})

const ledger = defineKeyspace('ledger', {
  balance: {
    pattern: 'balance:<account>',
    type: t.counter(),
    role: 'state',
    durability: 'source-of-truth',
    ttl: 'persistent',
  },
})

describe('on a real master with a replica', () => {
  let master: RedisServer
  let replica: RedisServer
  let db: RedisExpertClient
  let admin: RedisExpertClient

  beforeAll(async () => {
    master = await startRedis({
      config: { appendonly: 'yes', appendfsync: 'everysec', 'repl-diskless-sync-delay': 0 },
      users: [{ name: 'app', password: 'app-pass', rules: ['~*', '&*', '+@all', '-config'] }],
    })
    replica = await startRedis({ config: { replicaof: `127.0.0.1 ${master.port}` } })
    admin = await connect({ url: master.url, guard: 'off' })
    await waitFor('the replica to be in sync', async () =>
      /connected_slaves:1[\s\S]*state=online/.test(String(await admin.call(['INFO', 'replication']))),
    )
    db = await connect({ url: master.url, keyspaces: [ledger] })
  })
  afterAll(async () => {
    await Promise.all([db?.close(), admin?.close()])
    await Promise.all([replica?.stop(), master?.stop()])
  })

  const write = (client: RedisExpertClient) => client.keyspace(ledger).balance({ account: 'a' }).incrBy(5)

  it('AOF + everysec is not enough once the master has a replica: GUARD_DURABILITY says why', async () => {
    const probe = await db.probe()
    expect(probe.replication).toMatchObject({
      role: 'master',
      connectedReplicas: 1,
      writesNeedReplicas: false,
    })
    expect(db.stats().durabilityOk).toBe(false)
    const error = await write(db).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'GUARD_DURABILITY' })
    expect(String((error as Error).message)).toContain('min-replicas-to-write 1')
    expect(String((error as Error).message)).toContain('AOF alone does not survive a failover')
  })

  it('with min-replicas-to-write 1 the write is allowed, once the client rechecks', async () => {
    await admin.call(['CONFIG', 'SET', 'min-replicas-to-write', '1'])
    await admin.call(['CONFIG', 'SET', 'min-replicas-max-lag', '10'])
    // The master counts its good replicas again on its next replication tick (≤ 1 s).
    await waitFor('the replica to count as good', async () =>
      String(await admin.call(['INFO', 'replication'])).includes('min_slaves_good_slaves:1'),
    )
    expect(await db.checkDurability()).toBe(true)
    expect(await write(db)).toBe(5)
  })

  it('an ACL user that may not run CONFIG gets the same verdict from INFO', async () => {
    const app = await connect({ url: master.url, username: 'app', password: 'app-pass', keyspaces: [ledger] })
    try {
      const probe = await app.probe()
      expect(probe.configReadable).toBe(false)
      expect(probe.replication).toMatchObject({ connectedReplicas: 1, writesNeedReplicas: true })
      expect(app.stats().durabilityOk).toBe(true)
      await admin.call(['CONFIG', 'SET', 'min-replicas-to-write', '0'])
      expect(await app.checkDurability()).toBe(false)
      await expect(write(app)).rejects.toMatchObject({ code: 'GUARD_DURABILITY' })
    } finally {
      await app.close()
    }
  })
})
