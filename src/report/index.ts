/**
 * `redis-expert/report`: what the declaration generates for other consumers, as a library — the
 * least-privilege ACL users (`redis-expert acl`) and the typed redis-py module (`redis-expert
 * codegen python`), for deploy scripts and build steps that would rather not shell out.
 */
export type {
  AccessDeclaration,
  AccessMode,
  AclFormat,
  AclPlan,
  AclSelector,
  AclSource,
  AclUserPlan,
  KeyPermission,
  UserAccess,
} from './acl/index.js'
export { generateAcl, renderAcl, setUserCommands } from './acl/index.js'
export { type GeneratedPython, generatePython, type PythonSource } from './python/index.js'
