/*
 * express-session's adapter. express-session relies on what its own `Store` class provides
 * (createSession, load, regenerate, and the EventEmitter it listens on), and it is an optional
 * peer: the toolkit cannot import it. So the application
 * hands its module over (`store.forExpress(session)`) and gets a subclass instance whose methods
 * forward to the store. @fastify/session takes the store itself and needs none of this.
 */

// biome-ignore lint/suspicious/noExplicitAny: a constructor type must accept any arguments to match every class
export type ExpressStoreClass = abstract new (...args: any[]) => object

/** The methods express-session calls, forwarded with all their arguments (callback included). */
const FORWARDED = ['get', 'set', 'touch', 'destroy', 'all', 'length', 'clear', 'ids'] as const

/**
 * What the adapter forwards to, by shape, so this file needs no import of the store class (the
 * store imports this file).
 */
export type ForwardedStore = {
  readonly [name in (typeof FORWARDED)[number]]: (...args: never[]) => unknown
} & {
  destroyUserSessions(userId: string | number): Promise<number>
  page(options?: { cursor?: string; limit?: number }): Promise<unknown>
}

export function expressStore(store: ForwardedStore, Base: ExpressStoreClass): object {
  const Concrete = Base as unknown as new () => object
  const adapter = new Concrete() as Record<string, unknown>
  // Own properties shadow the prototype's abstract methods; load/regenerate/createSession and the
  // event emitter stay express-session's own.
  for (const name of FORWARDED) {
    const method = store[name] as (...args: unknown[]) => unknown
    adapter[name] = (...args: unknown[]) => method.apply(store, args)
  }
  adapter.destroyUserSessions = (userId: string | number) => store.destroyUserSessions(userId)
  adapter.page = (options?: { cursor?: string; limit?: number }) => store.page(options)
  return adapter
}
