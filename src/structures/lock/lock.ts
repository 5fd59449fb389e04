import { randomBytes } from 'node:crypto'
import type { Client } from '../../client/client.js'
import {
  type Duration,
  durationMs,
  identifier,
  namespaceName,
  optionNames,
  strictOptions,
} from '../../common/validate.js'
import { invalidArgument } from '../../errors.js'
import type { Keyspace } from '../../keyspace/define.js'
import { t } from '../../keyspace/types.js'
import { declareOn, structureKeyspace } from '../../kit/keyspace.js'
import { structureError } from '../common/errors.js'
import { int } from '../common/round-trip.js'
import {
  ACQUIRE_OPTIONS,
  type AcquireOptions,
  acquireCall,
  LEASE_HINTS,
  type Lease,
  LeaseValidity,
  retryUntil,
  takeAndRun,
  WITH_LEASE_OPTIONS,
  type WithLeaseOptions,
} from './lease.js'
import { ACQUIRE, EXTEND, RELEASE } from './scripts.js'

/** A lock's options: namespace, default lease, and the retry delay while waiting. */
export interface LockOptions {
  /** Keyspace namespace, default `lock`. */
  readonly namespace?: string
  /** Default lease, default 10 s. */
  readonly leaseMs?: Duration
  /** Mean pause between attempts while waiting, default 50 ms. */
  readonly retryDelayMs?: number
}

/** A held lock. */
export interface LockLease extends Lease {
  /**
   * Strictly increasing per lock name, drawn atomically with the acquisition. Pass it to the
   * store you write to and have it refuse a token lower than one it has seen: that is what keeps
   * a paused or partitioned former holder from corrupting data (Kleppmann's fencing).
   */
  readonly fence: number
}

/** Distributed locks with fencing tokens: acquire, release, extend, or `withLock` around a function. */
export interface Lock {
  readonly keyspace: Keyspace
  /** One round trip per attempt; null when not acquired within `waitMs`. */
  acquire(name: string, options?: AcquireOptions): Promise<LockLease | null>
  /**
   * Runs `fn` holding the lock, renewing the lease while it runs, and releases it. LOCK_NOT_ACQUIRED
   * when the lock stays taken for `waitMs`; LOCK_LOST when the lease was lost before `fn` ended.
   */
  withLock<T>(name: string, fn: (lease: LockLease) => Promise<T> | T, options?: WithLeaseOptions): Promise<T>
  /** Releases a lock by its token (e.g. handed to another process); LOCK_NOT_HELD for a non-holder. */
  release(name: string, token: string): Promise<void>
}

/** Every option of LockOptions: anything else is refused, naming the closest. */
const LOCK_OPTIONS = optionNames<LockOptions>({ namespace: true, leaseMs: true, retryDelayMs: true })

/** Locks with fencing tokens on one Redis primary (SET NX PX plus a counter, in one script). */
export function createLock(db: Client, options?: LockOptions): Lock {
  const o = strictOptions('createLock options', options, LOCK_OPTIONS)
  const namespace = namespaceName('namespace', o.namespace, 'lock')
  const defaultLeaseMs = durationMs('leaseMs', o.leaseMs, 10_000)
  const retryDelayMs = durationMs('retryDelayMs', o.retryDelayMs, 50)
  const keyspace = structureKeyspace(namespace, {
    lock: {
      pattern: '{<name>}',
      type: t.string(),
      role: 'lock',
      ttl: defaultLeaseMs,
      description: "the holder's random token; the TTL is the lease",
    },
    fence: {
      pattern: '{<name>}:fence',
      type: t.counter(),
      role: 'counter',
      // A fencing counter that expired would start again at 1 and stale holders would pass.
      ttl: 'persistent',
      description: 'fencing tokens: INCR per acquisition, drawn in the acquiring script',
    },
  })
  declareOn(db, keyspace)

  const release = async (name: string, key: string, token: string) => {
    if (int(await RELEASE.run(db, { lock: key }, { token })) !== 1)
      throw structureError(
        'LOCK_NOT_HELD',
        `lock '${name}' is not held with this token (it expired or was taken)`,
        {
          name,
        },
      )
  }

  const take = async (rawName: string, options?: AcquireOptions): Promise<LockLease | null> => {
    const name = identifier('name', rawName)
    const call = acquireCall(options, defaultLeaseMs)
    const lock = keyspace.lock.key({ name })
    const fence = keyspace.fence.key({ name })
    const token = randomBytes(16).toString('base64url')
    return retryUntil<LockLease>(call, retryDelayMs, async () => {
      const sentAt = performance.now()
      const [ok, value] = (await ACQUIRE.run(
        db,
        { lock, fence },
        { token, leaseMs: call.leaseMs },
      )) as number[]
      if (ok !== 1) return { retryInMs: value ?? retryDelayMs }
      const validity = new LeaseValidity(`lock '${name}'`, sentAt, call.leaseMs)
      const lease: LockLease = {
        name,
        token,
        fence: value!,
        leaseMs: call.leaseMs,
        signal: validity.signal,
        async extend(leaseMs?: number) {
          const ms = durationMs('leaseMs', leaseMs, call.leaseMs)
          const run = async () => int(await EXTEND.run(db, { lock }, { token, leaseMs: ms })) === 1
          if (!(await validity.extend(ms, run)))
            throw structureError('LOCK_NOT_HELD', `lock '${name}' is no longer held by this holder`, { name })
        },
        release: () => {
          validity.end()
          return release(name, lock, token)
        },
      }
      return { value: lease }
    })
  }

  return Object.freeze({
    keyspace,
    acquire: async (name: string, options?: AcquireOptions) =>
      take(name, strictOptions('acquire options', options, ACQUIRE_OPTIONS, LEASE_HINTS) as AcquireOptions),
    withLock<T>(name: string, fn: (lease: LockLease) => Promise<T> | T, options?: WithLeaseOptions) {
      strictOptions('withLock options', options, WITH_LEASE_OPTIONS, LEASE_HINTS)
      return takeAndRun(take, name, fn, options, {
        call: 'withLock',
        refusal: (waitMs) => `lock '${name}' stayed taken for ${waitMs} ms`,
      })
    },
    release: async (name: string, token: string) => {
      if (typeof token !== 'string' || token === '') throw invalidArgument('token must be a non-empty string')
      const checked = identifier('name', name)
      return release(checked, keyspace.lock.key({ name: checked }), token)
    },
  })
}

/** `withLock(db, 'nightly-report', async (lease) => ...)` on the default `lock` namespace. */
export function withLock<T>(
  db: Client,
  name: string,
  fn: (lease: LockLease) => Promise<T> | T,
  options?: WithLeaseOptions,
): Promise<T> {
  return createLock(db).withLock(name, fn, options)
}
