import { keySlot } from '../common/slot.js'
import { parseRedirection } from './cluster-map.js'
import type { Endpoint } from './endpoint.js'
import { backoffDelay, withTimeout } from './link.js'
import { Session, type SessionHub } from './subscriber-session.js'
import type { Sub, SubscriberTarget } from './subscription.js'

/**
 * Which connection each subscription of `db.subscriber()` (subscriptions.ts) goes on, and
 * moving it when that changes.
 *
 * - Channels (SUBSCRIBE) and patterns (PSUBSCRIBE) go on the home connection to any node
 *   (`locateNode`): on a Cluster, classic PUBLISH reaches every node.
 * - Sharded channels (SSUBSCRIBE) go, on a Cluster, on a connection to the master that owns the
 *   channel's slot (`endpointForSlot`), one per node; elsewhere on the home connection.
 * - When a slot migrates, its former owner sends `sunsubscribe`: the channel is subscribed
 *   again on the same node, which answers MOVED with the new owner, where it goes — at once
 *   for the first EAGER_REDIRECTS answers, then with backoff while the owners disagree. A lost
 *   shard connection asks the (reloaded) slot map before it reconnects (`rehome`).
 */

/** Consecutive MOVED answers followed at once; beyond, with backoff (owners that disagree mid-migration). */
const EAGER_REDIRECTS = 2

type SessionSub = Sub<Session>

export class ShardPlacement {
  readonly home: Session
  readonly #hub: SessionHub
  readonly #target: SubscriberTarget
  /** Takes a subscription off its connection (the hub's accounting of what is confirmed). */
  readonly #detach: (sub: SessionSub) => void
  /** Cluster: connections to slot owners for sharded channels, by node address. */
  readonly #shards = new Map<string, Session>()
  readonly #timers = new Set<NodeJS.Timeout>()

  constructor(hub: SessionHub, target: SubscriberTarget, detach: (sub: SessionSub) => void) {
    this.#hub = hub
    this.#target = target
    this.#detach = detach
    this.home = new Session(hub, null, (attempt) => target.locateNode(attempt))
  }

  /** Puts a subscription on the connection it belongs on (asking the slot map for a sharded one). */
  place(sub: SessionSub, refresh: boolean): void {
    const find = this.#target.endpointForSlot?.bind(this.#target)
    if (sub.kind !== 'shard' || !find) {
      this.home.add(sub)
      return
    }
    find(keySlot(sub.name), refresh).then(
      (owner) => {
        if (sub.wanted && !this.#hub.closed && sub.session === null) this.#sessionFor(owner).add(sub)
      },
      () => {
        if (sub.wanted && !this.#hub.closed && sub.session === null) this.home.add(sub)
      },
    )
  }

  /**
   * A MOVED answer to a sharded channel's SSUBSCRIBE (`from` the node that answered): the
   * subscription goes to the owner it names. False for any other reply.
   */
  followMoved(sub: SessionSub, reply: string, from: Endpoint): boolean {
    const redirect = reply.startsWith('MOVED ') ? parseRedirection(reply) : null
    if (sub.kind !== 'shard' || !redirect) return false
    const at = redirect.address.lastIndexOf(':')
    const owner = from.at(
      redirect.address.slice(0, at).replace(/^\[|\]$/g, ''),
      Number(redirect.address.slice(at + 1)),
    )
    sub.retries++
    if (sub.retries <= EAGER_REDIRECTS) this.#move(sub, owner)
    else this.later(sub, backoffDelay(sub.retries - EAGER_REDIRECTS, this.#hub.settings.reconnect), owner)
    return true
  }

  /** Takes `sub` off its connection and places it again after `delayMs` (at `owner`, or where the map says). */
  later(sub: SessionSub, delayMs: number, owner?: Endpoint): void {
    this.#detach(sub)
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      if (!sub.wanted || this.#hub.closed || sub.session !== null) return
      if (owner) this.#sessionFor(owner).add(sub)
      else this.place(sub, true)
    }, delayMs)
    timer.unref()
    this.#timers.add(timer)
  }

  /** Before a shard connection is opened again: subscriptions whose slot moved meanwhile go to the new owner. */
  async rehome(session: Session): Promise<void> {
    const find = this.#target.endpointForSlot?.bind(this.#target)
    if (!find || session.subs.size === 0) return
    await withTimeout(find(0, true), this.#hub.settings.connectTimeoutMs).catch(() => undefined)
    for (const sub of [...session.subs]) {
      const owner = await find(keySlot(sub.name)).catch(() => undefined)
      if (owner && owner.address !== session.address && sub.session === session && !this.#hub.closed)
        this.#move(sub, owner)
    }
  }

  retire(session: Session): void {
    if (session.address !== null && this.#shards.get(session.address) === session)
      this.#shards.delete(session.address)
    session.close()
  }

  tick(now: number): void {
    this.home.tick(now)
    for (const session of this.#shards.values()) session.tick(now)
  }

  close(): void {
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    this.home.close()
    for (const session of this.#shards.values()) session.close()
    this.#shards.clear()
  }

  #sessionFor(endpoint: Endpoint | undefined): Session {
    if (endpoint === undefined) return this.home
    let session = this.#shards.get(endpoint.address)
    if (!session) {
      session = new Session(this.#hub, endpoint.address, () => endpoint)
      this.#shards.set(endpoint.address, session)
    }
    return session
  }

  #move(sub: SessionSub, owner: Endpoint): void {
    this.#detach(sub)
    this.#sessionFor(owner).add(sub)
  }
}
