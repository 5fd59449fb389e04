import type { Client } from '../../client/client.js'
import type { SessionLayout } from './layout.js'
import type { ResolvedSessionOptions } from './options.js'

/**
 * What every part of the session store works with: the client, the options as resolved once by
 * the constructor, and where the keys live. The store builds it once and hands it to each part
 * (save, touch, destroy, user index, listing, page, migrate), so the parts stay plain functions
 * that need no reference back to the store class.
 */
export interface SessionContext {
  readonly db: Client
  readonly options: ResolvedSessionOptions
  readonly layout: SessionLayout
}
