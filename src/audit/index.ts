/**
 * redis-expert/audit — what a principal architect would find on a live instance: key
 * patterns with their memory and TTLs, big keys, wasteful encodings, risky configuration,
 * ACL holes, slow commands, and drift from a declared keyspace.
 */
export type { AclUser } from './acl.js'
export type { AuditAclOptions, UserDrift } from './acl-drift.js'
export { type AuditOptions, type AuditProgress, type AuditTarget, audit } from './audit.js'
export { inferParts, inferPattern, type Part, type Placeholder } from './infer.js'
export {
  FAIL_ON,
  type FailOn,
  parseCount,
  parseFailOn,
  parseFormat,
  parseMemorySamples,
  parseRate,
  parseSample,
  REPORT_FORMATS,
  type ReportFormat,
} from './options.js'
export { renderHtml, renderJson, renderMarkdown, renderReport, renderText } from './render/index.js'
export { failing, sortFindings } from './report.js'
export { type KeyEnv, RULES, type Rule, type RuleContext } from './rules/index.js'
export { DEFAULT_THRESHOLDS, parseThresholdArgs, resolveThresholds, type Thresholds } from './thresholds.js'
export { PatternTree, type PatternTreeOptions } from './tree.js'
export * from './types.js'
