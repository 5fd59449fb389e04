import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseSlots } from '../../src/client/cluster-map.js'
import { keySlot } from '../../src/common/slot.js'
import type { Reply } from '../../src/common/types.js'
import { connect, type RedisExpertClient } from '../../src/index.js'
import { sendCommand } from '../../src/testing/command.js'
import { type ClusterNode, type RedisCluster, startCluster } from '../../src/testing/index.js'
import { startFakeServer } from '../support/fake-server.js'
import { sleep, waitFor } from '../support/wait.js'

/**
 * The owned Cluster topology under the faults a Cluster lives with: slots migrating while
 * commands run (MOVED and ASK), connections killed, a master paused, a replica promoted. What
 * must hold: every caller gets its own reply or a typed error, and everything settles.
 */

let cluster: RedisCluster
let db: RedisExpertClient

beforeAll(async () => {
  cluster = await startCluster({ masters: 3, replicasPerMaster: 1 })
  db = await connect({ cluster: { rootNodes: cluster.rootNodes }, guard: 'off', commandTimeoutMs: 3000 })
}, 60_000)
afterAll(async () => {
  await db?.close()
  await cluster?.stop()
})

/**
 * One command to one node, for the test's own setup and faults. Retried when its connection is
 * lost: the property test kills every normal client of a master, the test's own included.
 */
async function on(node: ClusterNode, args: (string | number)[]) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await sendCommand('127.0.0.1', node.port, args)
    } catch (error) {
      const code = (error as { code?: string }).code
      if ((code !== 'CONNECTION_LOST' && code !== 'CONNECTION_FAILED') || attempt >= 3) throw error
    }
  }
}

async function masters(): Promise<ClusterNode[]> {
  const roles = await Promise.all(
    cluster.nodes.map(async (node) => {
      try {
        return String(await on(node, ['ROLE'])).startsWith('master') ? node : null
      } catch {
        return null
      }
    }),
  )
  return roles.filter((node): node is ClusterNode => node !== null)
}

async function ownerOf(slot: number): Promise<ClusterNode> {
  const [any] = await masters()
  const ranges = parseSlots((await on(any as ClusterNode, ['CLUSTER', 'SLOTS'])) as Reply)
  const range = ranges.find((r) => slot >= r.start && slot <= r.end)
  const owner = cluster.nodes.find((node) => range?.master.endsWith(`:${node.port}`))
  if (!owner) throw new Error(`nobody owns slot ${slot}`)
  return owner
}

/**
 * Moves `slot` from its owner to another master the way redis-cli --cluster reshard does:
 * IMPORTING / MIGRATING, MIGRATE the keys in batches (`pauseMs` between them, so that
 * commands meet both MOVED and ASK), then SETSLOT NODE everywhere.
 */
async function migrate(slot: number, pauseMs: number): Promise<{ from: ClusterNode; to: ClusterNode }> {
  const { from, to, toId } = await startMigration(slot)
  for (;;) {
    const keys = (await on(from, ['CLUSTER', 'GETKEYSINSLOT', slot, 50])) as string[]
    if (keys.length === 0) break
    await on(from, ['MIGRATE', '127.0.0.1', to.port, '', 0, 5000, 'KEYS', ...keys])
    await sleep(pauseMs)
  }
  for (const node of await masters()) await on(node, ['CLUSTER', 'SETSLOT', slot, 'NODE', toId])
  return { from, to }
}

/** The first step of a migration: `slot`'s owner MIGRATING it to another master, that one IMPORTING it. */
async function startMigration(slot: number) {
  const from = await ownerOf(slot)
  const to = (await masters()).find((node) => node !== from) as ClusterNode
  const fromId = String(await on(from, ['CLUSTER', 'MYID']))
  const toId = String(await on(to, ['CLUSTER', 'MYID']))
  await on(to, ['CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId])
  await on(from, ['CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId])
  return { from, to, toId }
}

/** MOVED / ASK replies sent and ASKING commands run, over every master: proof the redirections happened. */
async function redirections(): Promise<{ moved: number; ask: number; asking: number }> {
  let moved = 0
  let ask = 0
  let asking = 0
  for (const node of cluster.nodes) {
    const info = String(await on(node, ['INFO', 'all']).catch(() => ''))
    moved += Number(/errorstat_MOVED:count=(\d+)/.exec(info)?.[1] ?? 0)
    ask += Number(/errorstat_ASK:count=(\d+)/.exec(info)?.[1] ?? 0)
    asking += Number(/cmdstat_asking:calls=(\d+)/.exec(info)?.[1] ?? 0)
  }
  return { moved, ask, asking }
}

describe('slots that move while commands run', () => {
  it('MOVED and ASK are followed: concurrent GETs of a migrating slot each get their own value', async () => {
    const keys = Array.from({ length: 400 }, (_, i) => `mig:{one}:${i}`)
    await Promise.all(keys.map((key) => db.call(['SET', key, `v-${key}`])))
    const slot = keySlot(keys[0] as string)
    const before = await redirections()
    let migrated = false
    const migration = migrate(slot, 5).then(() => {
      migrated = true
    })
    const wrong: string[] = []
    const failed: string[] = []
    let done = 0
    // Rounds of every key, concurrently, until a few rounds after the slot has moved: the
    // calls meet ASK while keys move and MOVED once the slot belongs to the new owner.
    const reader = async () => {
      let after = 0
      while (!migrated || after++ < 5)
        await Promise.all(
          keys.map(async (key) => {
            try {
              const value = await db.call(['GET', key])
              if (value !== `v-${key}`) wrong.push(`${key} → ${String(value)}`)
            } catch (error) {
              failed.push((error as Error).message)
            }
            done++
          }),
        )
    }
    await Promise.all([migration, ...Array.from({ length: 8 }, reader)])
    expect(done).toBeGreaterThanOrEqual(8 * 5 * keys.length)
    expect(wrong).toEqual([])
    expect(failed).toEqual([])
    const after = await redirections()
    expect(after.moved).toBeGreaterThan(before.moved)
    expect(after.ask).toBeGreaterThan(before.ask)
    expect(after.asking).toBeGreaterThan(before.asking)
    // The client learned the new owner: a write lands there directly.
    expect(await db.call(['SET', keys[0] as string, 'after'])).toBe('OK')
    expect(await db.call(['GET', keys[0] as string])).toBe('after')
  }, 60_000)

  it('a MULTI on a slot that moved is run on the new owner', async () => {
    const key = 'tx:{moving}'
    await db.call(['SET', key, '1'])
    await migrate(keySlot(key), 0)
    const replies = await db.batch(
      [
        ['INCR', key],
        ['GET', key],
      ],
      { atomic: true },
    )
    expect(replies).toEqual([2, '2'])
  }, 30_000)
})

describe('nodes that disagree about a slot', () => {
  it('a command bounced between them (MOVED both ways) is held until they agree, within its deadline', async () => {
    const key = 'bounce:{ping-pong}'
    await db.call(['SET', key, 'v'])
    const slot = keySlot(key)
    const { from, to, toId } = await startMigration(slot)
    await on(from, ['MIGRATE', '127.0.0.1', to.port, '', 0, 5000, 'KEYS', key])
    // The old owner hands the slot over; the new one still thinks it is importing it, so each
    // sends the command to the other (MOVED both ways) until it is told.
    await on(from, ['CLUSTER', 'SETSLOT', slot, 'NODE', toId])
    const reply = db.call(['GET', key])
    await sleep(150)
    for (const node of await masters()) await on(node, ['CLUSTER', 'SETSLOT', slot, 'NODE', toId])
    expect(await reply).toBe('v')
  }, 30_000)
})

describe('a node that redirects every command', () => {
  it('a command redirected until its deadline fails with CONNECTION_UNAVAILABLE (it did not run), not a raw MOVED', async () => {
    // A real socket that answers like a one-node Cluster owning every slot, and sends every
    // command elsewhere: MOVED to itself, forever (two real nodes that disagree about a slot
    // settle it by gossip sooner or later; this one never does).
    let port = 0
    const node = await startFakeServer((socket, command) => {
      const name = command[0]?.toUpperCase()
      if (name === 'CLUSTER' && command[1]?.toUpperCase() === 'SLOTS')
        socket.write(
          `*1\r\n*3\r\n:0\r\n:16383\r\n*3\r\n$9\r\n127.0.0.1\r\n:${port}\r\n$40\r\n${'f'.repeat(40)}\r\n`,
        )
      else if (name === 'CLUSTER') socket.write('-ERR unknown subcommand\r\n')
      else socket.write(`-MOVED ${keySlot(String(command[1]))} 127.0.0.1:${port}\r\n`)
    })
    port = node.port
    const client = await connect({ cluster: { rootNodes: [node.url] }, guard: 'off' })
    try {
      const error = await client.call(['GET', 'k'], { timeoutMs: 400 }).then(
        () => null,
        (e: unknown) => e as { code: string; message: string; details: Record<string, unknown> },
      )
      expect(error?.code).toBe('CONNECTION_UNAVAILABLE')
      expect(error?.message).toMatch(
        /GET: slot \d+ did not settle: redirected \d+ times \(last: MOVED .*\).*did not run/,
      )
      expect(error?.details).toMatchObject({ reason: 'redirections', slot: keySlot('k') })
    } finally {
      await client.close()
      await node.close()
    }
  })
})

describe('the property: under every fault at once, every caller gets its own reply', () => {
  it('≥ 100k concurrent calls with error replies, a migrating slot, a killed connection and a paused master', async () => {
    const callers = 100_000
    const keyCount = 2000
    const keys = Array.from({ length: keyCount }, (_, i) => (i % 10 === 0 ? `prop:{hot}:${i}` : `prop:${i}`))
    // Every tenth key is a hash: GET on it is a WRONGTYPE error, which only its own caller must get.
    await Promise.all(
      keys.map((key, i) =>
        i % 7 === 3 ? db.call(['HSET', key, 'f', 'v']) : db.call(['SET', key, `v:${key}`]),
      ),
    )
    const [first] = await masters()
    const before = await redirections()
    // Calls leave in rounds of 1000 every 5 ms, so that some are always in flight when a fault hits.
    const faults = (async () => {
      await sleep(60)
      const hotSlot = keySlot('prop:{hot}:0')
      const migration = migrate(hotSlot, 2)
      await sleep(60)
      // A killed connection: every normal client of one master (ours included).
      await on(first as ClusterNode, ['CLIENT', 'KILL', 'TYPE', 'normal']).catch(() => null)
      await sleep(60)
      // A paused master: its commands wait, then go on.
      await on(first as ClusterNode, ['CLIENT', 'PAUSE', 300, 'ALL']).catch(() => null)
      await migration
    })()
    const outcomes = { ok: 0, own: 0, typedErrors: new Map<string, number>(), wrong: [] as string[] }
    const started = Date.now()
    const call = async (n: number) => {
      const key = keys[n % keyCount] as string
      const isHash = (n % keyCount) % 7 === 3
      try {
        const value = await db.call(['GET', key])
        if (isHash || value !== `v:${key}`) outcomes.wrong.push(`${key} → ${String(value)}`)
        else outcomes.ok++
      } catch (error) {
        const { code, details } = error as { code: string; details: { redisCode?: string } }
        if (code === 'COMMAND_ERROR' && details.redisCode === 'WRONGTYPE') {
          if (isHash) outcomes.own++
          else outcomes.wrong.push(`${key} → WRONGTYPE`)
          return
        }
        if (!['CONNECTION_LOST', 'COMMAND_TIMEOUT', 'CONNECTION_UNAVAILABLE'].includes(code))
          outcomes.wrong.push(`${key} → ${code}: ${(error as Error).message}`)
        outcomes.typedErrors.set(code, (outcomes.typedErrors.get(code) ?? 0) + 1)
      }
    }
    const calls: Promise<void>[] = []
    for (let round = 0; round < callers / 1000; round++) {
      for (let i = 0; i < 1000; i++) calls.push(call(round * 1000 + i))
      await sleep(5)
    }
    const settled = await Promise.race([
      Promise.all([...calls, faults]).then(() => true),
      sleep(60_000).then(() => false),
    ])
    expect(settled).toBe(true)
    expect(outcomes.wrong.slice(0, 5)).toEqual([])
    const errors = [...outcomes.typedErrors.values()].reduce((a, b) => a + b, 0)
    expect(outcomes.ok + outcomes.own + errors).toBe(callers)
    expect(outcomes.own).toBeGreaterThan(0)
    // Most calls succeed: the faults cost the calls in flight on the killed connection, not the run.
    expect(outcomes.ok).toBeGreaterThan(callers * 0.8)
    const after = await redirections()
    expect(after.moved + after.ask).toBeGreaterThan(before.moved + before.ask)
    console.log(
      `property run: ${callers} calls in ${Date.now() - started} ms — ${outcomes.ok} own values, ${outcomes.own} own errors, typed failures ${JSON.stringify(Object.fromEntries(outcomes.typedErrors))}`,
    )
  }, 120_000)
})

describe('failover', () => {
  it('CLUSTER FAILOVER on a replica: the client follows the promotion, writes keep their own replies', async () => {
    const key = 'fo:{manual}'
    await db.call(['SET', key, '0'])
    const owner = await ownerOf(keySlot(key))
    const replica = cluster.nodes.find(
      (node) => node.role === 'replica' && String(node.port) !== String(owner.port),
    ) as ClusterNode
    // The replica of the owner: the one whose ROLE names the owner's port.
    const replicas = await Promise.all(
      cluster.nodes.map(async (node) => ({
        node,
        role: (await on(node, ['ROLE']).catch(() => null)) as unknown[],
      })),
    )
    const mine =
      replicas.find((r) => r.role?.[0] === 'slave' && Number(r.role[2]) === owner.port)?.node ?? replica
    let writes = 0
    let last = 0
    const errors: string[] = []
    let running = true
    const writer = (async () => {
      while (running) {
        try {
          const value = Number(await db.call(['INCR', key]))
          if (value <= last) errors.push(`INCR went from ${last} to ${value}`)
          last = value
          writes++
        } catch (error) {
          errors.push((error as { code: string }).code)
        }
        await sleep(2)
      }
    })()
    await sleep(200)
    await on(mine, ['CLUSTER', 'FAILOVER'])
    await waitFor('the replica to be promoted', async () =>
      String(await on(mine, ['ROLE'])).startsWith('master'),
    )
    await sleep(500)
    running = false
    await writer
    expect(errors.filter((e) => e.startsWith('INCR'))).toEqual([])
    expect(writes).toBeGreaterThan(50)
    expect(Number(await db.call(['GET', key]))).toBe(last)
  }, 60_000)
})
