import { Connection } from './connection.js'
import type { ConnectionSettings } from './connection-open.js'
import type { Endpoint } from './endpoint.js'

/**
 * Connections nobody else uses while one caller holds them: for WATCH transactions (WATCH is
 * per connection) and blocking commands (BLPOP, XREAD BLOCK, WAIT…, which would stall every
 * caller of the shared, multiplexed connection). Idle ones are kept per server (up to
 * `maxIdle`) and reused, since opening one costs a TCP and login handshake.
 *
 * A connection goes back to the pool only when the caller's work ended cleanly and `reset`
 * (e.g. UNWATCH) succeeded; after a timeout or any transport error it is destroyed, so no
 * state and no late reply can reach the next caller.
 */
export class DedicatedPool {
  readonly #idle = new Map<string, Connection[]>()
  readonly #busy = new Set<Connection>()
  readonly #settings: Omit<ConnectionSettings, 'endpoint'>
  readonly #maxIdle: number
  #closed = false

  constructor(settings: Omit<ConnectionSettings, 'endpoint'>, maxIdle = 4) {
    this.#settings = settings
    this.#maxIdle = maxIdle
  }

  async use<T>(
    endpoint: Endpoint,
    fn: (connection: Connection) => Promise<T>,
    reset?: readonly string[],
  ): Promise<T> {
    const key = endpoint.address
    const idle = this.#idle.get(key) ?? []
    let connection = idle.pop()
    while (connection && !connection.ready) connection = idle.pop()
    connection ??= await Connection.open({ ...this.#settings, endpoint })
    this.#busy.add(connection)
    let clean = false
    try {
      const result = await fn(connection)
      clean = true
      return result
    } finally {
      this.#busy.delete(connection)
      await this.#release(key, connection, clean, reset)
    }
  }

  async #release(key: string, connection: Connection, clean: boolean, reset?: readonly string[]) {
    let reusable = clean && connection.ready && !this.#closed && connection.pending === 0
    if (reusable && reset)
      reusable = await connection.send(reset).then(
        () => true,
        () => false,
      )
    const idle = this.#idle.get(key) ?? []
    if (reusable && idle.length < this.#maxIdle) {
      idle.push(connection)
      this.#idle.set(key, idle)
    } else connection.destroy()
  }

  /** Closes idle connections and fails those in use (their callers get CONNECTION_LOST). */
  async close(timeoutMs: number): Promise<void> {
    this.#closed = true
    const all = [...this.#idle.values()].flat()
    this.#idle.clear()
    for (const connection of this.#busy) connection.destroy()
    this.#busy.clear()
    await Promise.all(all.map((connection) => connection.close(timeoutMs)))
  }
}
