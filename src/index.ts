export * from './atomic/index.js'
export * from './client/index.js'
export * from './codec/index.js'
export * from './common/index.js'
export { connect, RedisExpertClient } from './connect.js'
export * from './errors.js'
export * from './guard/index.js'
export * from './keyspace/index.js'
export * from './ops/index.js'
// The access declaration a keyspace module exports beside its keyspaces for `redis-expert acl` and
// the audit's drift check (`export const access: AccessDeclaration = { users: { … } }`), and the
// shape of the generated users (`redis-expert acl --format json`). Types only: the generators
// run from the CLI, so the entry point does not load them.
export type {
  AccessDeclaration,
  AccessMode,
  AclPlan,
  AclSelector,
  AclUserPlan,
  KeyPermission,
  UserAccess,
} from './report/acl/index.js'
