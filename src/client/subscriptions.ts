import { createClient, createCluster } from 'redis'
import type { Endpoint } from './endpoint.js'
import { backoffDelay } from './link.js'
import type { ResolvedOptions } from './options.js'

/**
 * `db.subscriber()`: a dedicated connection for pub/sub (a subscribed connection can run
 * nothing else) on the driver's own pub/sub support, which resubscribes after a reconnect and
 * routes SSUBSCRIBE to the shard that owns each channel on a Cluster, following slot moves.
 */
export type SubscriptionKind = 'channel' | 'pattern' | 'shard'

/** A message as received: the payload as bytes (any codec) and the channel it was published to. */
export type RawListener = (payload: Buffer, channel: string) => void

export interface SubscriberPort {
  subscribe(kind: SubscriptionKind, name: string, listener: RawListener): Promise<void>
  unsubscribe(kind: SubscriptionKind, name: string, listener: RawListener): Promise<void>
  /** `down`: messages published now are missed (pub/sub keeps nothing); `up`: resubscribed. */
  onStateChange(listener: (state: 'up' | 'down', error?: unknown) => void): void
  close(): Promise<void>
}

type Listener = (message: Buffer, channel: Buffer) => void

interface PubSubDriver {
  connect(): Promise<unknown>
  close?(): Promise<unknown>
  destroy?(): void
  on(event: string, listener: (...args: unknown[]) => void): unknown
  subscribe(channels: string, listener: Listener, bufferMode: true): Promise<void>
  unsubscribe(channels: string, listener: Listener, bufferMode: true): Promise<void>
  pSubscribe(patterns: string, listener: Listener, bufferMode: true): Promise<void>
  pUnsubscribe(patterns: string, listener: Listener, bufferMode: true): Promise<void>
  sSubscribe(channels: string, listener: Listener, bufferMode: true): Promise<void>
  sUnsubscribe(channels: string, listener: Listener, bufferMode: true): Promise<void>
}

function socketOf(endpoint: Endpoint, o: ResolvedOptions) {
  return {
    host: endpoint.host,
    port: endpoint.port,
    connectTimeout: o.connectTimeoutMs,
    reconnectStrategy: (retries: number) => backoffDelay(retries, o.reconnect),
    ...(endpoint.tls ? { tls: true as const, ...endpoint.tls } : {}),
  }
}

function loginOf(endpoint: Endpoint) {
  return {
    ...(endpoint.username !== undefined ? { username: endpoint.username } : {}),
    ...(endpoint.password !== undefined ? { password: endpoint.password } : {}),
  }
}

export async function openSubscriber(
  o: ResolvedOptions,
  locate: () => Endpoint | Promise<Endpoint>,
): Promise<SubscriberPort> {
  const target = o.target
  const common = { RESP: 2 as const, name: 'redis-expert-subscriber', disableClientInfo: true }
  const driver = (target.kind === 'cluster'
    ? createCluster({
        rootNodes: target.rootNodes.map((e) => ({ socket: socketOf(e, o) })),
        ...common,
        defaults: {
          ...common,
          ...loginOf(target.rootNodes[0] as Endpoint),
          socket: socketOf(target.rootNodes[0] as Endpoint, o),
        },
      })
    : await (async () => {
        const endpoint = await locate()
        return createClient({ socket: socketOf(endpoint, o), ...loginOf(endpoint), ...common })
      })()) as unknown as PubSubDriver
  const stateListeners: ((state: 'up' | 'down', error?: unknown) => void)[] = []
  let up = false
  const set = (state: 'up' | 'down', error?: unknown) => {
    if ((state === 'up') === up) return
    up = state === 'up'
    for (const listener of stateListeners) listener(state, error)
  }
  // Without an 'error' listener a lost connection would crash the process; the driver reconnects.
  const standalone = o.target.kind !== 'cluster'
  driver.on('error', (error) => set('down', error))
  driver.on(standalone ? 'ready' : 'node-ready', () => set('up'))
  driver.on(standalone ? 'end' : 'node-disconnect', () => set('down'))
  if (standalone) driver.on('reconnecting', () => set('down'))
  else driver.on('node-error', (error) => set('down', error))
  await driver.connect()
  up = true

  // One wrapper per user listener, so that unsubscribe removes exactly the one it was given.
  const wrappers = new Map<RawListener, Listener>()
  const wrap = (listener: RawListener): Listener => {
    let wrapped = wrappers.get(listener)
    if (!wrapped) {
      wrapped = (message, channel) => listener(message, channel.toString())
      wrappers.set(listener, wrapped)
    }
    return wrapped
  }
  return {
    subscribe(kind: SubscriptionKind, name: string, listener: RawListener) {
      const wrapped = wrap(listener)
      if (kind === 'pattern') return driver.pSubscribe(name, wrapped, true)
      if (kind === 'shard') return driver.sSubscribe(name, wrapped, true)
      return driver.subscribe(name, wrapped, true)
    },
    unsubscribe(kind: SubscriptionKind, name: string, listener: RawListener) {
      const wrapped = wrap(listener)
      wrappers.delete(listener)
      if (kind === 'pattern') return driver.pUnsubscribe(name, wrapped, true)
      if (kind === 'shard') return driver.sUnsubscribe(name, wrapped, true)
      return driver.unsubscribe(name, wrapped, true)
    },
    onStateChange(listener) {
      stateListeners.push(listener)
    },
    async close() {
      stateListeners.length = 0
      if (driver.close) await driver.close()
      else driver.destroy?.()
    },
  }
}
