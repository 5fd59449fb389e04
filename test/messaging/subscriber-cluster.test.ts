import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseSlots } from '../../src/client/cluster-map.js'
import type { RawListener, SubscriberPort } from '../../src/client/subscriptions.js'
import { keySlot } from '../../src/common/slot.js'
import type { Reply } from '../../src/common/types.js'
import { connect, type RedisExpertClient } from '../../src/connect.js'
import { sendCommand } from '../../src/testing/command.js'
import { type ClusterNode, type RedisCluster, startCluster } from '../../src/testing/index.js'
import { waitFor } from './helpers.js'

/**
 * db.subscriber() on a real 3-master Cluster: sharded channels live on the master that owns
 * their slot and follow the slot when it migrates (IMPORTING / MIGRATING, MIGRATE, SETSLOT
 * NODE), with an exact down/up around the move.
 */

let cluster: RedisCluster
let db: RedisExpertClient
const ports: SubscriberPort[] = []

beforeAll(async () => {
  cluster = await startCluster({ masters: 3, replicasPerMaster: 0 })
  db = await connect({ cluster: { rootNodes: cluster.rootNodes }, guard: 'off' })
}, 60_000)
afterAll(async () => {
  await Promise.all(ports.map((port) => port.close()))
  await db?.close()
  await cluster?.stop()
})

async function subscriber(): Promise<SubscriberPort> {
  const port = await db.subscriber()
  ports.push(port)
  return port
}

function on(node: ClusterNode, args: (string | number)[]) {
  return sendCommand('127.0.0.1', node.port, args)
}

async function ownerOf(slot: number): Promise<ClusterNode> {
  const ranges = parseSlots((await on(cluster.nodes[0] as ClusterNode, ['CLUSTER', 'SLOTS'])) as Reply)
  const range = ranges.find((r) => slot >= r.start && slot <= r.end)
  const owner = cluster.nodes.find((node) => range?.master.endsWith(`:${node.port}`))
  if (!owner) throw new Error(`nobody owns slot ${slot}`)
  return owner
}

/** Sharded subscribers of `channel` on `node` (PUBSUB SHARDNUMSUB). */
async function shardSubscribers(node: ClusterNode, channel: string): Promise<number> {
  const reply = (await on(node, ['PUBSUB', 'SHARDNUMSUB', channel])) as [string, number]
  return Number(reply[1])
}

/** Moves `slot` to another master as redis-cli --cluster reshard does; the client is not told. */
async function migrate(slot: number): Promise<{ from: ClusterNode; to: ClusterNode }> {
  const from = await ownerOf(slot)
  const to = cluster.nodes.find((node) => node !== from) as ClusterNode
  const fromId = String(await on(from, ['CLUSTER', 'MYID']))
  const toId = String(await on(to, ['CLUSTER', 'MYID']))
  await on(to, ['CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId])
  await on(from, ['CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId])
  for (;;) {
    const keys = (await on(from, ['CLUSTER', 'GETKEYSINSLOT', slot, 50])) as string[]
    if (keys.length === 0) break
    await on(from, ['MIGRATE', '127.0.0.1', to.port, '', 0, 5000, 'KEYS', ...keys])
  }
  // The new owner first, then the former one (which then tells its subscribers), then the rest.
  await on(to, ['CLUSTER', 'SETSLOT', slot, 'NODE', toId])
  await on(from, ['CLUSTER', 'SETSLOT', slot, 'NODE', toId])
  for (const node of cluster.nodes)
    if (node !== from && node !== to) await on(node, ['CLUSTER', 'SETSLOT', slot, 'NODE', toId])
  return { from, to }
}

describe('sharded channels on a Cluster', () => {
  it('each SSUBSCRIBE goes to the owner of its slot', async () => {
    const port = await subscriber()
    const rooms = Array.from({ length: 12 }, (_, i) => `own:{r${i}}`)
    const owners = await Promise.all(rooms.map((room) => ownerOf(keySlot(room))))
    expect(new Set(owners).size).toBe(3)
    const got: string[] = []
    const listener: RawListener = (payload, channel) => void got.push(`${channel}=${payload.toString()}`)
    await Promise.all(rooms.map((room) => port.subscribe('shard', room, listener)))
    for (const [i, room] of rooms.entries())
      expect(await shardSubscribers(owners[i] as ClusterNode, room)).toBe(1)
    for (const room of rooms) await db.call(['SPUBLISH', room, 'hi'])
    await waitFor('every room', () => got.length === rooms.length)
    await Promise.all(rooms.map((room) => port.unsubscribe('shard', room, listener)))
    for (const [i, room] of rooms.entries())
      expect(await shardSubscribers(owners[i] as ClusterNode, room)).toBe(0)
  })

  it('a sharded subscription follows its slot to the new owner: down, then up, and messages after', async () => {
    const port = await subscriber()
    const states: string[] = []
    port.onStateChange((state) => states.push(state))
    const channel = 'mig:{follow}'
    const got: string[] = []
    await port.subscribe('shard', channel, (payload) => void got.push(payload.toString()))
    // A classic channel too: it must not move.
    const news: string[] = []
    await port.subscribe('channel', 'mig:news', (payload) => void news.push(payload.toString()))
    await db.call(['SET', 'mig:{follow}:key', 'v'])
    await db.call(['SPUBLISH', channel, 'before'])
    await waitFor('before', () => got.length === 1)
    const { from, to } = await migrate(keySlot(channel))
    await waitFor('down then up', () => states.join() === 'down,up')
    expect(await shardSubscribers(to, channel)).toBe(1)
    expect(await shardSubscribers(from, channel)).toBe(0)
    // The key moved with its slot.
    expect(await on(to, ['GET', 'mig:{follow}:key'])).toBe('v')
    await db.call(['SPUBLISH', channel, 'after'])
    await db.call(['PUBLISH', 'mig:news', 'still'])
    await waitFor('after', () => got.length === 2 && news.length === 1)
    expect(got).toEqual(['before', 'after'])
    expect(states).toEqual(['down', 'up'])
  })

  it('a first SSUBSCRIBE sent to a former owner (stale slot map) follows its MOVED', async () => {
    const port = await subscriber()
    const channel = 'stale:{moved}'
    // The client's map is not told of this move: its first SSUBSCRIBE meets MOVED.
    const { to } = await migrate(keySlot(channel))
    const got: string[] = []
    await port.subscribe('shard', channel, (payload) => void got.push(payload.toString()))
    expect(await shardSubscribers(to, channel)).toBe(1)
    await on(to, ['SPUBLISH', channel, 'x'])
    await waitFor('message', () => got.length === 1)
  })

  it('connections killed on every node: down, then up with every kind resubscribed', async () => {
    const port = await subscriber()
    const states: string[] = []
    port.onStateChange((state) => states.push(state))
    const got: string[] = []
    const listener: RawListener = (payload, channel) => void got.push(`${channel}=${payload.toString()}`)
    const rooms = ['k:{a}', 'k:{b}', 'k:{c}', 'k:{d}']
    for (const room of rooms) await port.subscribe('shard', room, listener)
    await port.subscribe('channel', 'k:c', listener)
    await port.subscribe('pattern', 'k:p:*', listener)
    // `up` says what the port knows: a kill whose close it has not read yet is not in it. So the
    // wait is for the servers too: every subscription on a new connection, and `up` after it.
    const resubscribed = async () => {
      const owners = await Promise.all(rooms.map((room) => ownerOf(keySlot(room))))
      const shards = await Promise.all(
        rooms.map((room, i) => shardSubscribers(owners[i] as ClusterNode, room)),
      )
      const channels = await Promise.all(cluster.nodes.map((node) => on(node, ['PUBSUB', 'NUMSUB', 'k:c'])))
      const patterns = await Promise.all(cluster.nodes.map((node) => on(node, ['PUBSUB', 'NUMPAT'])))
      const total = (counts: number[]) => counts.reduce((sum, n) => sum + n, 0)
      return (
        shards.every((n) => n === 1) &&
        total(channels.map((reply) => Number((reply as Reply[])[1]))) === 1 &&
        total(patterns.map(Number)) === 1 &&
        states.at(-1) === 'up'
      )
    }
    // Two nodes at once, then the third once the port is up again: a connection back before
    // another is killed, which the three kills at once also give when one of them is slow.
    const [late, ...first] = cluster.nodes as [ClusterNode, ...ClusterNode[]]
    await Promise.all(first.map((node) => on(node, ['CLIENT', 'KILL', 'TYPE', 'pubsub'])))
    await waitFor('down then up', resubscribed)
    await on(late, ['CLIENT', 'KILL', 'TYPE', 'pubsub'])
    await waitFor('down then up again', resubscribed)
    expect(states.join()).toMatch(/^down,up(,down,up)*$/)
    for (const room of rooms) await db.call(['SPUBLISH', room, '1'])
    await db.call(['PUBLISH', 'k:c', '2'])
    await db.call(['PUBLISH', 'k:p:x', '3'])
    await waitFor('every message', () => got.length === rooms.length + 2)
  })
})
