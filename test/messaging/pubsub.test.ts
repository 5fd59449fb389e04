import { afterAll, describe, expect, it } from 'vitest'
import { createPubSub, defineChannels, message, type PubSub } from '../../src/messaging/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { codeOf, commandsOf, sleep, waitFor } from './helpers.js'

const { db } = await startRedisForFile()
const opened: PubSub<never>[] = []

type Order = { id: number; total: number }

const channels = defineChannels('app', {
  orders: { pattern: 'orders:<region>', message: message<Order>() },
  ticker: { pattern: 'ticker', message: message<{ price: number }>() },
  room: { pattern: 'room:{<room>}', message: message<string>(), sharded: true },
  blobs: { pattern: 'blobs', message: message<{ bytes: Buffer }>(), codec: 'msgpack' },
})

function pubsub(options = {}) {
  const ps = createPubSub(db, channels, options)
  opened.push(ps as unknown as PubSub<never>)
  return ps
}

afterAll(async () => {
  await Promise.all(opened.map((ps) => ps.close()))
})

describe('channel declarations', () => {
  it('build escaped channel names and parse them back', () => {
    expect(channels.orders.channel({ region: 'eu' })).toBe('app:orders:eu')
    // A parameter can never widen a pattern subscription or address another channel.
    const sneaky = channels.orders.channel({ region: 'eu:*' })
    expect(sneaky).not.toContain('*')
    expect(channels.orders.parse(sneaky)).toEqual({ region: 'eu:*' })
    expect(channels.orders.pattern.match).toBe('app:orders:*')
    expect(channels.ticker.channel()).toBe('app:ticker')
    expect(channels.room.sharded).toBe(true)
  })

  it('refuse bad declarations', async () => {
    expect(await codeOf(() => defineChannels('a b', {}))).toBeDefined()
    expect(await codeOf(() => defineChannels('a', { x: { pattern: 'x', bogus: 1 } as never }))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await codeOf(() => defineChannels('a', { x: { pattern: 'x', codec: 'pickle' as never } }))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await codeOf(() => defineChannels('a', { entries: { pattern: 'x' } }))).toBe('INVALID_ARGUMENT')
  })
})

describe('pub/sub on a standalone server', () => {
  it('typed publish and subscribe: one PUBLISH per message, decoded with params', async () => {
    const ps = pubsub()
    const got: [Order, string, Record<string, string>][] = []
    await ps.subscribe('orders', { region: 'eu' }, (order, { channel, params }) => {
      got.push([order, channel, params])
    })
    expect(await commandsOf(db, () => ps.publish('orders', { region: 'eu' }, { id: 1, total: 9.5 }))).toEqual(
      {
        PUBLISH: 1,
      },
    )
    expect(await ps.publish('orders', { region: 'us' }, { id: 2, total: 1 })).toBe(0)
    await waitFor('message', () => got.length === 1)
    expect(got[0]).toEqual([{ id: 1, total: 9.5 }, 'app:orders:eu', { region: 'eu' }])
  })

  it('pattern subscriptions cover every channel of the entry', async () => {
    const ps = pubsub()
    const got: string[] = []
    await ps.psubscribe('orders', (order, { params }) => void got.push(`${params.region}:${order.id}`))
    await ps.publish('orders', { region: 'eu' }, { id: 1, total: 0 })
    await ps.publish('orders', { region: 'a:b' }, { id: 2, total: 0 })
    await waitFor('two messages', () => got.length === 2)
    expect(got.sort()).toEqual(['a:b:2', 'eu:1'])
  })

  it('sharded channels use SPUBLISH/SSUBSCRIBE; binary codecs survive', async () => {
    const ps = pubsub()
    const lines: string[] = []
    const blobs: Buffer[] = []
    await ps.subscribe('room', { room: 'lobby' }, (line) => void lines.push(line))
    await ps.subscribe('blobs', (m) => void blobs.push(Buffer.from(m.bytes)))
    expect(await commandsOf(db, () => ps.publish('room', { room: 'lobby' }, 'hi'))).toEqual({ SPUBLISH: 1 })
    await ps.publish('blobs', { bytes: Buffer.from([0, 255, 128]) })
    await waitFor('both', () => lines.length === 1 && blobs.length === 1)
    expect(lines).toEqual(['hi'])
    expect([...blobs[0]!]).toEqual([0, 255, 128])
  })

  it('resubscribes after CLIENT KILL and reports the gap', async () => {
    const states: string[] = []
    const ps = pubsub({ onStateChange: (state: string) => states.push(state) })
    const got: number[] = []
    await ps.subscribe('orders', { region: 'k' }, (order) => void got.push(order.id))
    await ps.psubscribe('orders', (order) => void got.push(-order.id))
    await ps.subscribe('room', { room: 'k' }, (line) => void got.push(Number(line)))
    await db.unsafe({ reason: 'test: kill the subscriber connection' }, (raw) =>
      raw.call(['CLIENT', 'KILL', 'TYPE', 'pubsub']),
    )
    await waitFor('down then up', () => states.join() === 'down,up')
    await waitFor('resubscribed', async () => {
      await ps.publish('orders', { region: 'k' }, { id: 7, total: 0 })
      await ps.publish('room', { room: 'k' }, '8')
      await sleep(20)
      return got.includes(7) && got.includes(-7) && got.includes(8)
    })
  })

  it('a slow subscriber keeps at most bufferSize messages: drop-oldest counts what it drops', async () => {
    const ps = pubsub({ bufferSize: 10 })
    let release = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const got: number[] = []
    const sub = await ps.subscribe('orders', { region: 'slow' }, async (order) => {
      got.push(order.id)
      await gate
    })
    for (let id = 0; id < 50; id++) await ps.publish('orders', { region: 'slow' }, { id, total: 0 })
    await waitFor('drops', () => sub.dropped === 39)
    release()
    await waitFor('drained', () => got.length === 11)
    // The first went straight to the handler; the newest ten waited.
    expect(got).toEqual([0, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49])
  })

  it("overflow 'disconnect' ends the subscription with PUBSUB_OVERFLOW", async () => {
    const errors: string[] = []
    const ps = pubsub({
      bufferSize: 5,
      overflow: 'disconnect',
      onError: (error: { code?: string }) => errors.push(error.code ?? 'none'),
    })
    const sub = await ps.subscribe('orders', { region: 'slow2' }, () => new Promise(() => {}))
    for (let id = 0; id < 10; id++) await ps.publish('orders', { region: 'slow2' }, { id, total: 0 })
    await waitFor('overflow', () => sub.closed)
    expect(errors).toContain('PUBSUB_OVERFLOW')
  })

  it('undecodable messages and failing handlers are reported, and the subscription goes on', async () => {
    const errors: string[] = []
    const ps = pubsub({
      onError: (error: { code?: string; message: string }) => errors.push(error.code ?? error.message),
    })
    const got: number[] = []
    await ps.subscribe('orders', { region: 'bad' }, (order) => {
      if (order.id === 1) throw new Error('handler failed')
      got.push(order.id)
    })
    await db.call(['PUBLISH', 'app:orders:bad', '{nope'])
    await ps.publish('orders', { region: 'bad' }, { id: 1, total: 0 })
    await ps.publish('orders', { region: 'bad' }, { id: 2, total: 0 })
    await waitFor('the good one', () => got.length === 1)
    expect(errors).toEqual(['DECODE_FAILED', 'handler failed'])
  })

  it('refuses bad input', async () => {
    const ps = pubsub()
    expect(await codeOf(() => ps.psubscribe('room', () => {}))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => ps.psubscribe('ticker', () => {}))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => ps.publish('nope' as 'ticker', { price: 1 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => ps.subscribe('ticker', 'x' as never))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => ps.publish('orders', { region: {} as never }, { id: 1, total: 1 }))).toBe(
      'KEY_PARAM_INVALID',
    )
    expect(await codeOf(() => ps.publish('ticker', { price: 10n as never }))).toBe('ENCODE_FAILED')
    expect(await codeOf(() => createPubSub(db, channels, { overflow: 'block' as never }))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await codeOf(() => createPubSub(db, {} as never))).toBe('INVALID_ARGUMENT')
  })
})
