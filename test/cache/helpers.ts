import type { RedisExpertClient } from '../../src/connect.js'
import { callsBetween, commandCalls } from '../support/commandstats.js'

export { callsBetween, commandCalls } from '../support/commandstats.js'
export { codeOf } from '../support/errors.js'

/**
 * Runs `fn` and reports its round trips (calls of db.call / db.batch: one each) and the
 * commands the server ran for it (INFO commandstats delta, which counts commands inside scripts).
 */
export async function measured<T>(
  db: RedisExpertClient,
  fn: () => Promise<T>,
): Promise<{ result: T; roundTrips: number; commands: Record<string, number> }> {
  const before = await commandCalls(db)
  let roundTrips = 0
  const call = db.call.bind(db)
  const batch = db.batch.bind(db)
  db.call = ((...args: Parameters<typeof db.call>) => {
    roundTrips++
    return call(...args)
  }) as typeof db.call
  db.batch = ((...args: Parameters<typeof db.batch>) => {
    roundTrips++
    return batch(...args)
  }) as typeof db.batch
  let result: T
  try {
    result = await fn()
  } finally {
    // Own properties shadowed the prototype's methods: removing them restores those.
    delete (db as { call?: unknown }).call
    delete (db as { batch?: unknown }).batch
  }
  const after = await commandCalls(db)
  return { result, roundTrips, commands: callsBetween(before, after) }
}

/** A promise and its resolver: a loader that waits for the test to let it finish. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void
  const promise = new Promise<T>((resolve) => {
    open = resolve
  })
  return { promise, open }
}

export async function eventually(check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
