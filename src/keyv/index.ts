/**
 * redis-expert/keyv — a Keyv storage adapter on the toolkit's client (standalone, Cluster,
 * Sentinel): `new Keyv({ store: createKeyvStore(db) })`, and cache-manager v7 on top of it.
 * See docs/keyv.md.
 */
export { createKeyvStore, KeyvStore, type KeyvStoreOptions } from './store.js'
