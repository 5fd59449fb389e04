import type { Client } from '../../client/client.js'
import { assertClient, optionNames, positiveInt, strictOptions } from '../../common/validate.js'
import { invalidArgument, RedisExpertError } from '../../errors.js'
import type { KeyArgs, ParsedParams } from '../../keyspace/define.js'
import { messagingError } from '../errors.js'
import type { Channel, ChannelDeclarations, Channels, MessageOf } from './channels.js'
import { Inbox, type OverflowPolicy } from './inbox.js'
import type { RawListener, SubscriberPort, SubscriptionKind } from './port.js'

/** How a subscription behaves when its handler falls behind: its buffer and what happens past it. */
export interface PubSubOptions {
  /** Messages waiting per subscription while its handler is busy; default 1000. */
  readonly bufferSize?: number
  /** What happens beyond `bufferSize`; default `drop-oldest` (see inbox.ts). */
  readonly overflow?: OverflowPolicy
  /** Handler failures, undecodable messages, overflow and connection loss; they never throw. */
  readonly onError?: (error: unknown, channel?: string) => void
  /** `down`: messages published meanwhile are missed (pub/sub is at-most-once); `up`: resubscribed. */
  readonly onStateChange?: (state: 'up' | 'down') => void
  /** A subscriber connection to use instead of opening one (the client's, once it has one). */
  readonly subscriber?: SubscriberPort
}

/** Where a received message came from: the channel and its parsed parameters. */
export interface Delivery<P> {
  /** The channel the message was published to. */
  readonly channel: string
  /** Its parameters, parsed back from the channel name. */
  readonly params: P
}

/** Handles one message; messages of one subscription are handled one at a time, in order. */
export type MessageHandler<T, P> = (message: T, delivery: Delivery<P>) => Promise<void> | void

/** One subscription: what it listens to, how many messages it dropped, and how to end it. */
export interface Subscription {
  /** The channel, or the glob of a pattern subscription. */
  readonly name: string
  readonly kind: SubscriptionKind
  /** Messages discarded by the drop-oldest policy. */
  readonly dropped: number
  readonly delivered: number
  readonly closed: boolean
  /** Stops listening; the handler is not called after. */
  close(): Promise<void>
}

type Params<D extends ChannelDeclarations, K extends keyof D> = ParsedParams<D[K]['pattern']>

/** Publishing and subscribing on declared channels. */
export interface PubSub<D extends ChannelDeclarations> {
  /** PUBLISH (SPUBLISH for a sharded channel): one round trip; resolves to the receivers counted by Redis. */
  publish<K extends keyof D & string>(
    name: K,
    ...args: [...KeyArgs<D[K]['pattern']>, message: MessageOf<D[K]>]
  ): Promise<number>
  /** SUBSCRIBE (SSUBSCRIBE when sharded) to one channel of the entry. */
  subscribe<K extends keyof D & string>(
    name: K,
    ...args: [...KeyArgs<D[K]['pattern']>, handler: MessageHandler<MessageOf<D[K]>, Params<D, K>>]
  ): Promise<Subscription>
  /** PSUBSCRIBE to every channel of the entry (each parameter a wildcard); not for sharded entries. */
  psubscribe<K extends keyof D & string>(
    name: K,
    handler: MessageHandler<MessageOf<D[K]>, Params<D, K>>,
  ): Promise<Subscription>
  /** Closes every subscription and the subscriber connection. */
  close(): Promise<void>
}

const PUBSUB_OPTIONS = optionNames<PubSubOptions>({
  bufferSize: true,
  overflow: true,
  onError: true,
  onStateChange: true,
  subscriber: true,
})

/**
 * Typed publish and subscribe over declared channels, with bounded per-subscription buffers and
 * resubscription after reconnects.
 */
export function createPubSub<const D extends ChannelDeclarations>(
  db: Client,
  channels: Channels<string, D>,
  options?: PubSubOptions,
): PubSub<D> {
  assertClient(db, 'createPubSub: db')
  if (!channels || !Array.isArray((channels as Channels).entries))
    throw invalidArgument('createPubSub: channels must come from defineChannels()')
  const o = strictOptions('createPubSub options', options, PUBSUB_OPTIONS) as PubSubOptions
  const bufferSize = positiveInt('bufferSize', o.bufferSize, 1000, 10_000_000)
  const overflow = o.overflow ?? 'drop-oldest'
  if (overflow !== 'drop-oldest' && overflow !== 'disconnect')
    throw invalidArgument("overflow must be 'drop-oldest' or 'disconnect'", { overflow })
  const onError = o.onError ?? (() => {})
  let port: Promise<SubscriberPort> | null = o.subscriber ? Promise.resolve(o.subscriber) : null
  const owned = !o.subscriber
  const open = new Set<Subscription>()

  const entryOf = (name: unknown): Channel => {
    const entry =
      typeof name === 'string' ? (channels as Channels).entries.find((e) => e.name === name) : undefined
    if (!entry) throw invalidArgument(`no channel entry named ${JSON.stringify(name)}`, { name })
    return entry
  }
  const subscriber = () => {
    if (!port) {
      port = db.subscriber().then((p) => {
        p.onStateChange((state, error) => {
          if (error !== undefined) onError(error)
          o.onStateChange?.(state)
        })
        return p
      })
      port.catch(() => {
        port = null
      })
    }
    return port
  }

  const listen = async (
    entry: Channel,
    kind: SubscriptionKind,
    name: string,
    handler: MessageHandler<unknown, unknown>,
  ): Promise<Subscription> => {
    if (typeof handler !== 'function') throw invalidArgument('the last argument must be a handler function')
    const p = await subscriber()
    let closed = false
    const close = async () => {
      if (closed) return
      closed = true
      inbox.close()
      open.delete(subscription)
      await p.unsubscribe(kind, name, listener)
    }
    const inbox = new Inbox<{ message: unknown; channel: string }>(
      bufferSize,
      overflow,
      ({ message, channel }) => handler(message, { channel, params: entry.parse(channel) ?? {} }),
      (error) => onError(error, name),
      () => {
        onError(
          messagingError(
            'PUBSUB_OVERFLOW',
            `subscription to ${name}: more than ${bufferSize} messages waiting`,
            {
              channel: name,
              bufferSize,
            },
          ),
          name,
        )
        close().catch((error: unknown) => onError(error, name))
      },
    )
    const listener: RawListener = (payload, channel) => {
      // A pattern can match a channel that is not this entry's (same prefix, other shape): skip it.
      if (kind === 'pattern' && entry.parse(channel) === null) return
      let message: unknown
      try {
        message = entry.codec.decode(entry.codec.binary ? payload : payload.toString())
      } catch (error) {
        onError(
          new RedisExpertError('DECODE_FAILED', `message on ${channel}: ${(error as Error).message}`, {
            cause: error,
            details: { channel, codec: entry.codec.name },
          }),
          channel,
        )
        return
      }
      inbox.push({ message, channel })
    }
    const subscription: Subscription = {
      name,
      kind,
      get dropped() {
        return inbox.dropped
      },
      get delivered() {
        return inbox.delivered
      },
      get closed() {
        return closed
      },
      close,
    }
    await p.subscribe(kind, name, listener)
    open.add(subscription)
    return subscription
  }

  return Object.freeze({
    async publish(name: string, ...args: unknown[]) {
      const entry = entryOf(name)
      const channel = entry.channel(...((args.length > 1 ? [args[0]] : []) as []))
      let payload: string | Buffer
      try {
        payload = entry.codec.encode(args.at(-1))
      } catch (error) {
        throw new RedisExpertError('ENCODE_FAILED', `message for ${channel}: ${(error as Error).message}`, {
          cause: error,
          details: { channel, codec: entry.codec.name },
        })
      }
      return Number(await db.call([entry.sharded ? 'SPUBLISH' : 'PUBLISH', channel, payload]))
    },
    subscribe(name: string, ...args: unknown[]) {
      try {
        const entry = entryOf(name)
        const channel = entry.channel(...((args.length > 1 ? [args[0]] : []) as []))
        const handler = args.at(-1) as MessageHandler<unknown, unknown>
        return listen(entry, entry.sharded ? 'shard' : 'channel', channel, handler)
      } catch (error) {
        return Promise.reject(error)
      }
    },
    psubscribe(name: string, handler: MessageHandler<unknown, unknown>) {
      try {
        const entry = entryOf(name)
        if (entry.sharded)
          throw invalidArgument(
            `channel entry '${name}' is sharded: Redis has no sharded pattern subscription; subscribe per channel`,
          )
        if (entry.pattern.params.length === 0)
          throw invalidArgument(`channel entry '${name}' has no parameters: use subscribe`)
        return listen(entry, 'pattern', entry.pattern.match, handler)
      } catch (error) {
        return Promise.reject(error)
      }
    },
    async close() {
      for (const subscription of [...open]) await subscription.close().catch(() => {})
      if (port && owned) {
        const p = await port.catch(() => null)
        port = null
        await p?.close()
      }
    },
  }) as unknown as PubSub<D>
}
