import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RawListener, SubscriberPort } from '../../src/client/subscriptions.js'
import { connect, type RedisExpertClient } from '../../src/connect.js'
import { createPubSub, defineChannels, message } from '../../src/messaging/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'
import { codeOf, sleep, waitFor } from './helpers.js'

/**
 * db.subscriber() — the pub/sub port under pubsub, Celery results and queues — on a real
 * server: confirmations counted per channel, refusals typed, exact up/down across a restart,
 * and a close that settles while the server is stopped.
 */

let server: RedisServer
let db: RedisExpertClient
const ports: SubscriberPort[] = []

async function subscriber(client = db): Promise<SubscriberPort> {
  const port = await client.subscriber()
  ports.push(port)
  return port
}

beforeAll(async () => {
  server = await startRedis()
  db = await connect({ url: server.url, guard: 'off' })
})
afterAll(async () => {
  await Promise.all(ports.map((port) => port.close()))
  await db?.close()
  await server?.stop()
})

/** Runs `fn` with `target` stopped (SIGSTOP); always resumes it. */
async function whileStopped<T>(target: RedisServer, fn: () => Promise<T>): Promise<T> {
  process.kill(target.pid, 'SIGSTOP')
  try {
    return await fn()
  } finally {
    process.kill(target.pid, 'SIGCONT')
  }
}

async function numsub(channel: string, client = db): Promise<number> {
  const reply = (await client.call(['PUBSUB', 'NUMSUB', channel])) as [string, number]
  return Number(reply[1])
}

describe('subscribe and unsubscribe', () => {
  it('resolve on the server confirmation; listeners share one server subscription', async () => {
    const port = await subscriber()
    const a: string[] = []
    const b: string[] = []
    const la: RawListener = (payload, channel) => void a.push(`${channel}=${payload.toString()}`)
    const lb: RawListener = (payload) => void b.push(payload.toString())
    await port.subscribe('channel', 'sub:one', la)
    // Confirmed: a PUBLISH right after the promise reaches it.
    expect(await db.call(['PUBLISH', 'sub:one', 'x'])).toBe(1)
    await waitFor('x', () => a.length === 1)
    await port.subscribe('channel', 'sub:one', lb)
    expect(await numsub('sub:one')).toBe(1)
    await db.call(['PUBLISH', 'sub:one', 'y'])
    await waitFor('both listeners', () => a.length === 2 && b.length === 1)
    expect(a).toEqual(['sub:one=x', 'sub:one=y'])
    await port.unsubscribe('channel', 'sub:one', la)
    expect(await numsub('sub:one')).toBe(1)
    await port.unsubscribe('channel', 'sub:one', lb)
    // Resolved on the server's confirmation: the server has forgotten it.
    expect(await numsub('sub:one')).toBe(0)
    // Unsubscribing what is not subscribed is a no-op.
    await port.unsubscribe('channel', 'sub:one', lb)
    await port.unsubscribe('pattern', 'nothing:*', lb)
  })

  it('channels, patterns and sharded channels on one connection; payloads stay bytes', async () => {
    const port = await subscriber()
    const got: string[] = []
    const listener: RawListener = (payload, channel) => void got.push(`${channel}:${payload.toString('hex')}`)
    await Promise.all([
      port.subscribe('channel', 'bin:c', listener),
      port.subscribe('pattern', 'bin:p:*', listener),
      port.subscribe('shard', 'bin:{s}', listener),
    ])
    const bytes = Buffer.from([0, 0xff, 0xfe, 0x80, 0x0d, 0x0a])
    await db.call(['PUBLISH', 'bin:c', bytes])
    await db.call(['PUBLISH', 'bin:p:1', bytes])
    await db.call(['SPUBLISH', 'bin:{s}', bytes])
    await waitFor('three', () => got.length === 3)
    expect(got.sort()).toEqual(['bin:c:00fffe800d0a', 'bin:p:1:00fffe800d0a', 'bin:{s}:00fffe800d0a'])
    const clients = String(await db.call(['CLIENT', 'LIST', 'TYPE', 'pubsub']))
    expect(
      clients
        .trim()
        .split('\n')
        .filter((line) => /sub=1 psub=1 ssub=1/.test(line)),
    ).toHaveLength(1)
  })

  it('an unsubscribe racing its subscribe leaves nothing subscribed; many channels at once', async () => {
    const port = await subscriber()
    const listener: RawListener = () => {}
    const subscribing = port.subscribe('channel', 'race', listener)
    await port.unsubscribe('channel', 'race', listener)
    await subscribing
    expect(await numsub('race')).toBe(0)
    const names = Array.from({ length: 2000 }, (_, i) => `many:${i}`)
    const got = new Set<string>()
    const hear: RawListener = (_, channel) => void got.add(channel)
    await Promise.all(names.map((name) => port.subscribe('channel', name, hear)))
    expect(await numsub('many:1999')).toBe(1)
    await db.batch(names.map((name) => ['PUBLISH', name, 'x']))
    await waitFor('every channel', () => got.size === names.length)
    await Promise.all(names.map((name) => port.unsubscribe('channel', name, hear)))
    expect(await numsub('many:0')).toBe(0)
  })

  it('refuses bad arguments', async () => {
    const port = await subscriber()
    expect(await codeOf(() => port.subscribe('bogus' as never, 'x', () => {}))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => port.subscribe('channel', '', () => {}))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => port.subscribe('channel', 'x', 'nope' as never))).toBe('INVALID_ARGUMENT')
  })
})

describe('refusals', () => {
  it('SUBSCRIBE refused by the ACL rejects with COMMAND_ERROR / NOPERM; the connection carries on', async () => {
    const acl = await startRedis({
      users: [
        { name: 'nosub', password: 'pw', rules: ['~*', '&*', '+@all', '-subscribe'] },
        { name: 'narrow', password: 'pw', rules: ['~*', '&allowed:*', '+@all'] },
      ],
    })
    const clients: RedisExpertClient[] = []
    try {
      const nosub = await connect({ url: acl.url, username: 'nosub', password: 'pw' })
      const narrow = await connect({ url: acl.url, username: 'narrow', password: 'pw' })
      clients.push(nosub, narrow)
      const states: string[] = []
      const port = await subscriber(nosub)
      port.onStateChange((state) => states.push(state))
      const refused = await port.subscribe('channel', 'any', () => {}).catch((error: unknown) => error)
      expect(refused).toMatchObject({
        code: 'COMMAND_ERROR',
        details: { redisCode: 'NOPERM', command: 'SUBSCRIBE' },
      })
      // The same connection still subscribes to what the user may.
      const got: string[] = []
      await port.subscribe('pattern', 'any*', (payload) => void got.push(payload.toString()))
      await nosub.call(['PUBLISH', 'any', 'hello'])
      await waitFor('pattern message', () => got.length === 1)

      const port2 = await subscriber(narrow)
      port2.onStateChange((state) => states.push(state))
      const error = await port2.subscribe('channel', 'secret', () => {}).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'COMMAND_ERROR', details: { redisCode: 'NOPERM' } })
      const allowed: string[] = []
      await port2.subscribe('channel', 'allowed:1', (payload) => void allowed.push(payload.toString()))
      await narrow.call(['PUBLISH', 'allowed:1', 'ok'])
      await waitFor('allowed message', () => allowed.length === 1)
      // A refusal is not an outage.
      expect(states).toEqual([])
      // Nothing subscribed for the refused channel: the listener is gone with it.
      expect(await numsub('secret', narrow)).toBe(0)
    } finally {
      await Promise.all(clients.map((client) => client.close()))
      await acl.stop()
    }
  })
})

describe('outages', () => {
  it('across a server restart: down, then up once resubscribed, and messages are heard again', async () => {
    const own = await startRedis()
    const client = await connect({ url: own.url, reconnect: { baseDelayMs: 20, maxDelayMs: 200 } })
    try {
      const port = await subscriber(client)
      const states: string[] = []
      port.onStateChange((state) => states.push(state))
      const got: string[] = []
      const listener: RawListener = (payload, channel) => void got.push(`${channel}:${payload.toString()}`)
      await port.subscribe('channel', 'r:c', listener)
      await port.subscribe('pattern', 'r:p:*', listener)
      await port.subscribe('shard', 'r:{s}', listener)
      await own.restart()
      await waitFor('down then up', () => states.join() === 'down,up')
      // Up means every subscription is confirmed again: the next messages are all heard.
      await client.call(['PUBLISH', 'r:c', '1'])
      await client.call(['PUBLISH', 'r:p:x', '2'])
      await client.call(['SPUBLISH', 'r:{s}', '3'])
      await waitFor('three messages', () => got.length === 3)
      expect(got.sort()).toEqual(['r:c:1', 'r:p:x:2', 'r:{s}:3'])
      expect(states).toEqual(['down', 'up'])
    } finally {
      await client.close()
      await own.stop()
    }
  })

  it('a stopped server: its PING goes unanswered → down; subscribe, close() and the pub/sub close all settle', async () => {
    const own = await startRedis()
    const client = await connect({ url: own.url, commandTimeoutMs: 400, connectTimeoutMs: 400 })
    try {
      const port = await subscriber(client)
      const states: string[] = []
      port.onStateChange((state) => states.push(state))
      await port.subscribe('channel', 's:c', () => {})
      const channels = defineChannels('stop', { news: { pattern: 'news', message: message<string>() } })
      const ps = createPubSub(client, channels)
      await ps.subscribe('news', () => {})
      await whileStopped(own, async () => {
        // The PING every few seconds, answered within commandTimeoutMs, or the connection is dropped.
        await waitFor('down', () => states.includes('down'), 6000)
        const started = Date.now()
        const code = await codeOf(() => port.subscribe('channel', 's:other', () => {}))
        expect(['CONNECTION_UNAVAILABLE', 'COMMAND_TIMEOUT']).toContain(code)
        expect(Date.now() - started).toBeLessThan(1500)
        const closing = Date.now()
        await port.close()
        await ps.close()
        expect(Date.now() - closing).toBeLessThan(1500)
      })
      expect(states).toEqual(['down'])
    } finally {
      await client.close()
      await own.stop()
    }
  })

  it('close() settles at once while a subscribe waits on a stopped server', async () => {
    const own = await startRedis()
    const client = await connect({ url: own.url, commandTimeoutMs: 5000 })
    try {
      const port = await subscriber(client)
      await whileStopped(own, async () => {
        const pending = port.subscribe('channel', 'never', () => {})
        await sleep(50)
        const started = Date.now()
        await port.close()
        expect(await codeOf(() => pending)).toBe('CONNECTION_CLOSED')
        expect(Date.now() - started).toBeLessThan(200)
        expect(await codeOf(() => port.subscribe('channel', 'late', () => {}))).toBe('CONNECTION_CLOSED')
      })
    } finally {
      await client.close()
      await own.stop()
    }
  })

  it('db.subscriber() on a stopped server fails within connectTimeoutMs', async () => {
    const own = await startRedis()
    const client = await connect({ url: own.url, connectTimeoutMs: 500 })
    try {
      await whileStopped(own, async () => {
        const started = Date.now()
        expect(await codeOf(() => client.subscriber())).toBe('CONNECTION_FAILED')
        expect(Date.now() - started).toBeLessThan(1500)
      })
    } finally {
      await client.close()
      await own.stop()
    }
  })
})
