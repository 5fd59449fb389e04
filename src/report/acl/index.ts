/** Least-privilege ACL users from the keyspace declaration (`redis-expert acl`). */
export type { AccessDeclaration, UserAccess } from './access.js'
export { type AccessMode, type EntryGrant, entryGrant, type KeyPermission } from './commands.js'
export { type AclPlan, type AclSelector, type AclSource, type AclUserPlan, generateAcl } from './generate.js'
export { globWitness } from './glob.js'
export { type AclFormat, renderAcl, renderNotes, selectorRule, setUserCommands, userRules } from './render.js'
