import type { Client } from '../client/client.js'
import type { Taken } from './attempt.js'
import { handedJob } from './calls.js'
import type { QueueKeys } from './keyspace.js'
import type { TakeLedger } from './take-ledger.js'

/** Extra time a blocking wait's own timeout allows beyond its block time. */
const BLOCK_MARGIN_MS = 2000

/** A job an add handed over, as the wait that received it knows it. */
export interface Handed {
  readonly taken: Taken
  /** The add's server time: the lease began then. */
  readonly serverNow: number
  /** The registration the wait began under, and when the call that made it was sent (no add ran before). */
  readonly registered: string | null
  readonly since: number
  readonly waitMs: number
}

/**
 * An idle queue worker's blocking wait: BLPOP, on a dedicated connection, on the worker's own
 * wake-up list and the queue's signal, at most `waitMs`. It ends with a job an add handed to the
 * worker (add.lua: it runs at once — one trip from the add to the handler, no take script between
 * them), a signal (a delayed job due, a resume, jobs a busy worker left), close()'s wake-up, or
 * nothing (timed out). One wait at a time.
 */
export class IdleWait {
  readonly #db: Client
  readonly #keys: QueueKeys
  readonly #ledger: TakeLedger
  #pending: Promise<void> | null = null
  /** The wake-up list of the wait in flight. */
  #wakeKey = ''

  constructor(db: Client, keys: QueueKeys, ledger: TakeLedger) {
    this.#db = db
    this.#keys = keys
    this.#ledger = ledger
  }

  /** The wait in flight, if any (settles once its end was handled). */
  get pending(): Promise<void> | null {
    return this.#pending
  }

  /** `ended` gets the job handed over, or null (a signal, close()'s wake-up, a timeout). */
  start(waitMs: number, ended: (handed: Handed | null) => void, failed: (error: unknown) => void): void {
    const registered = this.#ledger.registered
    // A job handed over was leased by an add that ran after the registering call, which may be
    // before this wait was sent: the lease's start is mapped from that call's send (lease-clock.ts).
    const since = this.#ledger.registeredSince
    this.#wakeKey = this.#ledger.wakeKey
    this.#pending = this.#db
      .call(['BLPOP', this.#wakeKey, this.#keys.signal, (waitMs / 1000).toFixed(3)], {
        timeoutMs: waitMs + BLOCK_MARGIN_MS,
      })
      .then(
        (reply) => {
          this.#pending = null
          const job = reply === null ? null : handedJob((reply as string[])[1] as string)
          ended(
            job === null ? null : { taken: job.taken, serverNow: job.serverNow, registered, since, waitMs },
          )
        },
        (error: unknown) => {
          this.#pending = null
          failed(error)
        },
      )
  }

  /**
   * Ends the wait now (close()): a push to the worker's own list (a short TTL in case the wait
   * was over). A job an add handed over first comes first on that list.
   */
  async interrupt(): Promise<void> {
    if (this.#pending === null) return
    await this.#db.batch([
      ['RPUSH', this.#wakeKey, '1'],
      ['PEXPIRE', this.#wakeKey, 60_000],
    ])
  }
}
