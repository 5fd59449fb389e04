import type { Callback } from './types.js'

/**
 * Session stores are called in two styles: express-session and @fastify/session pass a
 * Node-style callback, applications await a promise. With a callback the error goes to it and
 * the call returns nothing (no promise left to reject unhandled); without one, the promise.
 */
export function settle<T>(work: () => Promise<T>, callback: Callback<T> | undefined): Promise<T> | undefined {
  if (callback === undefined) return work()
  if (typeof callback !== 'function') {
    // A framework passing something else is a bug worth hearing about at once.
    throw new TypeError('the session store callback must be a function')
  }
  work().then(
    (value) => callback(null, value),
    (error: unknown) => callback(error),
  )
  return undefined
}
