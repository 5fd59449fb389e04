import { type Codec, type CodecName, resolveCodec } from '../../codec/index.js'
import { strictOptions } from '../../common/validate.js'
import { invalidArgument } from '../../errors.js'
import type { KeyArgs, ParsedParams } from '../../keyspace/define.js'
import {
  buildKey,
  matchKey,
  type ParsedPattern,
  parsePattern,
  validateNamespace,
} from '../../keyspace/pattern.js'

/**
 * Pub/sub channels, declared the way keys are: a namespace, a pattern with parameters (escaped
 * like key parameters, so a parameter can never widen a subscription with `*` or `:`), a codec,
 * and whether the channel is sharded. Declaring them gives the channel builder, the glob a
 * pattern subscription uses, and the parser that turns a received channel name back into its
 * parameters.
 */
declare const messageType: unique symbol

/** Phantom carrier of a channel's message type: `message: message<Order>()`. */
export interface MessageType<T> {
  readonly [messageType]?: T
}
/** Declares a channel's message type: `message: message<Order>()`. */
export function message<T>(): MessageType<T> {
  return Object.freeze({}) as MessageType<T>
}

/**
 * How a channel is declared: a pattern whose parameters are escaped like key parameters, a message type, a
 * codec and `sharded`.
 */
export interface ChannelDeclaration {
  /** `orders:<region>`; prefixed with the namespace. A sharded channel's `{...}` hash tag picks its shard. */
  readonly pattern: string
  readonly message?: MessageType<unknown>
  /** Default `json`. */
  readonly codec?: CodecName | Codec<never>
  /**
   * SPUBLISH/SSUBSCRIBE: on a Cluster a message travels only within the shard that owns the
   * channel's slot instead of over the whole cluster bus. No pattern subscriptions (Redis has none).
   */
  readonly sharded?: boolean
  readonly description?: string
}

/** The channels of a declaration, by name. */
export type ChannelDeclarations = { readonly [name: string]: ChannelDeclaration }

/** The message type of a channel declaration. */
export type MessageOf<D extends ChannelDeclaration> = D['message'] extends MessageType<infer T> ? T : unknown

/** A declared pub/sub channel: its name pattern, codec and whether it is sharded. */
export interface Channel<D extends ChannelDeclaration = ChannelDeclaration> {
  readonly name: string
  readonly pattern: ParsedPattern
  readonly codec: Codec<MessageOf<D>>
  readonly sharded: boolean
  readonly description: string | null
  /** `channels.orders.channel({ region: 'eu' })` → `'app:orders:eu'`. Throws KEY_PARAM_INVALID. */
  channel(...args: KeyArgs<D['pattern']>): string
  /** The parameters a channel name was built from, or null when it is not one of this entry's. */
  parse(channel: string): ParsedParams<D['pattern']> | null
}

/** Declared channels: the namespace, every channel, and each by name. */
export type Channels<N extends string = string, D extends ChannelDeclarations = ChannelDeclarations> = {
  readonly namespace: N
  readonly entries: readonly Channel[]
} & { readonly [K in keyof D]: Channel<D[K]> }

const OPTIONS = ['pattern', 'message', 'codec', 'sharded', 'description']

/**
 * Declares typed pub/sub channels under a namespace, as keys are declared: parameters escaped (a parameter
 * can never widen a subscription), one codec per channel, sharded channels for Cluster.
 */
export function defineChannels<const N extends string, const D extends ChannelDeclarations>(
  namespace: N,
  declarations: D,
): Channels<N, D> {
  const ns = validateNamespace(namespace)
  if (typeof declarations !== 'object' || declarations === null || Array.isArray(declarations))
    throw invalidArgument('defineChannels: declarations must be an object of channel entries')
  const entries: Channel[] = []
  const out: Record<string, unknown> = { namespace: ns }
  for (const [name, declaration] of Object.entries(declarations)) {
    if (name === 'namespace' || name === 'entries')
      throw invalidArgument(`channel entry '${name}': this name is reserved`)
    const d = declaration as ChannelDeclaration
    strictOptions(`channel entry '${name}'`, d, OPTIONS)
    const pattern = parsePattern(ns, d.pattern, name)
    const sharded = d.sharded === true
    if (d.sharded !== undefined && typeof d.sharded !== 'boolean')
      throw invalidArgument(`channel entry '${name}': sharded must be a boolean`)
    const entry: Channel = Object.freeze({
      name,
      pattern,
      codec: resolveCodec((d.codec ?? 'json') as CodecName | Codec<unknown>),
      sharded,
      description: d.description ?? null,
      channel: (...args: unknown[]) => buildKey(pattern, args[0]),
      parse: (channel: string) => matchKey(pattern, channel),
    }) as Channel
    entries.push(entry)
    out[name] = entry
  }
  out.entries = Object.freeze(entries)
  return Object.freeze(out) as Channels<N, D>
}
