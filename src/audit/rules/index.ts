import { auditAccess } from './audit-access.js'
import { bigKey } from './big-key.js'
import { clients } from './clients.js'
import { clusterNode } from './cluster-node.js'
import { encoding } from './encoding.js'
import { evictionPolicy } from './eviction-policy.js'
import { hashCandidate } from './hash-candidate.js'
import { logicalDatabases } from './logical-databases.js'
import { luaScripts } from './lua-scripts.js'
import { memoryDoctor } from './memory-doctor.js'
import { noTtl } from './no-ttl.js'
import { persistence } from './persistence.js'
import type { Rule } from './rule.js'
import { schemaBound } from './schema-bound.js'
import { schemaEncoding } from './schema-encoding.js'
import { schemaTtl } from './schema-ttl.js'
import { schemaType } from './schema-type.js'
import { schemaUndeclared } from './schema-undeclared.js'
import { security } from './security.js'
import { slowlog } from './slowlog.js'

export type { KeyEnv, Rule, RuleContext } from './rule.js'

/** Every rule, in the order findings of equal severity are listed. */
export const RULES: readonly Rule[] = [
  clusterNode,
  auditAccess,
  security,
  persistence,
  evictionPolicy,
  bigKey,
  noTtl,
  encoding,
  hashCandidate,
  slowlog,
  memoryDoctor,
  luaScripts,
  clients,
  logicalDatabases,
  schemaUndeclared,
  schemaType,
  schemaTtl,
  schemaBound,
  schemaEncoding,
]
