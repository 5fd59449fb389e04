import { invalidArgument } from '../../errors.js'

/** The cookie part of a session, as express-session and @fastify/session store it. */
export interface SessionCookie {
  readonly expires?: Date | string | null
  readonly maxAge?: number | null
  readonly originalMaxAge?: number | null
  readonly [name: string]: unknown
}

/** A session as the frameworks hand it to a store: their fields plus the application's. */
export interface SessionData {
  cookie?: SessionCookie
  [name: string]: unknown
}

export type Callback<T> = (error: unknown, value?: T) => void

/** Any object a framework hands over (its own Session class) is a session; anything else is a bug. */
export function checkSession(session: unknown): asserts session is SessionData {
  if (typeof session !== 'object' || session === null || Array.isArray(session))
    throw invalidArgument('a session must be an object')
}
