import { aclDrift, type CommandCatalog, isDangerousGrant, type UserView, viewOf } from '../acl-drift.js'
import type { NodeFacts } from '../facts.js'
import type { Finding } from '../types.js'
import { perNode } from './helpers.js'
import type { Rule } from './rule.js'

type NodeFinding = Omit<Finding, 'nodes'>

const LOOPBACK = /^(?:-?127\.\d+\.\d+\.\d+|-?::1|-?localhost)$/

/** Addresses from `bind` other than loopback; `*` and an empty bind listen everywhere. */
export function exposedAddresses(bind: string): string[] {
  const addresses = bind.trim().split(/\s+/).filter(Boolean)
  if (addresses.length === 0) return ['*']
  return addresses.filter((a) => !LOOPBACK.test(a))
}

function networkFindings(node: NodeFacts, defaultNopass: boolean): NodeFinding[] {
  if (!node.config) return []
  const exposed = exposedAddresses(node.config.get('bind') ?? '')
  const protectedMode = node.config.get('protected-mode') !== 'no'
  const findings: NodeFinding[] = []
  if (!protectedMode && exposed.length > 0)
    findings.push({
      rule: 'security',
      severity: defaultNopass ? 'high' : 'medium',
      message: `protected-mode is off and the server listens on ${exposed.join(' ')}${defaultNopass ? ', with no password on the default user: anyone who reaches the port owns the data' : ''}`,
      fix: 'Bind to the private interfaces only, keep protected-mode yes, require a password (or disable the default user) and firewall the port.',
      data: { bind: exposed.join(' '), protectedMode: false },
    })
  return findings
}

function userFindings(node: NodeFacts): NodeFinding[] {
  const findings: NodeFinding[] = []
  const exposed = node.config ? exposedAddresses(node.config.get('bind') ?? '').length > 0 : false
  for (const user of node.acl ?? []) {
    if (!user.enabled) continue
    if (user.name === 'default') {
      if (user.nopass)
        findings.push({
          rule: 'security',
          severity: exposed ? 'high' : 'medium',
          message: `The default user has no password${exposed ? ' and the server listens beyond loopback' : ''}: any client that reaches the port runs any command`,
          fix: 'Give the default user a password (ACL SETUSER default on >secret, or requirepass) or disable it (ACL SETUSER default off) and create a named user per application with only what it needs.',
          data: { user: 'default', nopass: true },
        })
      // The default user is the administrator in most deployments: its +@all is not reported.
      continue
    }
    const can = [user.keys ? 'KEYS' : null, user.flushall ? 'FLUSHALL' : null].filter(Boolean).join(' and ')
    const grant = user.allCommands ? '+@all' : user.dangerous ? '+@dangerous' : null
    if (grant === null && can === '') continue
    findings.push({
      rule: 'security',
      severity: user.nopass ? 'high' : 'medium',
      message: grant
        ? `ACL user "${user.name}" has ${grant}${user.nopass ? ' and no password' : ''}: it may run FLUSHALL, KEYS, CONFIG SET, DEBUG and every other command an application never needs`
        : `ACL user "${user.name}" may run ${can}: one stray call blocks the server${user.flushall ? ' or wipes it' : ''}`,
      fix: `Grant only what the application uses, e.g. ACL SETUSER ${user.name} resetkeys ~app:* -@all +@read +@write -@dangerous (redis-expert's ACL report derives the exact rules from the keyspace).`,
      data: { user: user.name, rules: user.rules, grant, keys: user.keys, flushall: user.flushall },
    })
  }
  return findings
}

/** A long list (a category grants dozens of commands) shortened for a message; `data` keeps it whole. */
function listed(items: readonly string[], max = 12): string {
  return items.length <= max
    ? items.join(' ')
    : `${items.slice(0, max).join(' ')} … (${items.length - max} more)`
}

/** The generated users against the server's (with `acl` and keyspaces given to the audit). */
function driftFindings(
  node: NodeFacts,
  expected: readonly UserView[],
  catalog: CommandCatalog,
): NodeFinding[] {
  if (node.acl === null)
    return [
      {
        rule: 'security',
        severity: 'info',
        message: "ACL LIST was refused: the server's users were not compared with the generated ones",
        fix: 'Run the audit as a user allowed ACL LIST (redis-expert acl: auditor: { acl: true }).',
      },
    ]
  const live = node.acl.map((user) => viewOf(user.name, user.rules, catalog))
  const apply = 'redis-expert acl <keyspace module> --apply --url … (or its ACL SETUSER lines)'
  return aclDrift(expected, live).map((drift): NodeFinding => {
    if (drift.missing)
      return {
        rule: 'security',
        severity: 'medium',
        message: `ACL user "${drift.user}", generated for the declaration, is missing on the server: the application logs in as another user (often default, with every command) or not at all`,
        fix: `Create it with the generated rules: ${apply}.`,
        data: { user: drift.user, missing: true },
      }
    const dangerous = drift.extra.filter(isDangerousGrant)
    const parts = [
      drift.disabled ? 'is off' : null,
      drift.extra.length > 0 ? `has beyond its generated rules: ${listed(drift.extra)}` : null,
      drift.lacking.length > 0 ? `lacks generated permissions: ${listed(drift.lacking)}` : null,
    ].filter(Boolean)
    return {
      rule: 'security',
      severity: dangerous.length > 0 ? 'high' : drift.extra.length > 0 ? 'medium' : 'low',
      message: `ACL user "${drift.user}" drifted from the generated rules: it ${parts.join('; ')}${dangerous.length > 0 ? ` — ${listed(dangerous)} reaches past the hard stops (KEYS, FLUSHALL, CONFIG, every key)` : ''}`,
      fix: `Reapply the generated rules (ACL SETUSER ${drift.user} reset …): ${apply}; or, if the extra permission is meant, declare it in the access declaration and regenerate.`,
      data: {
        user: drift.user,
        disabled: drift.disabled,
        extra: drift.extra,
        lacking: drift.lacking,
        dangerous,
      },
    }
  })
}

/**
 * Who can do what: the default user without a password, protected mode off on a reachable
 * address, application users with +@all / +@dangerous or allowed KEYS and FLUSHALL; and, when the
 * audit is given keyspaces and `acl`, drift from the users `redis-expert acl` generates: a
 * generated user missing or off, permissions beyond its rules, generated permissions it lacks.
 */
export const security: Rule = {
  id: 'security',
  title: 'Access control',
  evaluate(context) {
    return perNode(context, (node) => {
      const findings: NodeFinding[] = []
      if (node.aclError !== null)
        findings.push({
          rule: 'security',
          severity: 'info',
          message: `ACL LIST was refused (${node.aclError}): users and passwords were not checked`,
          fix: 'Run the audit as a user allowed ACL LIST and ACL DRYRUN (+acl|list +acl|dryrun).',
        })
      if (node.configError !== null)
        findings.push({
          rule: 'security',
          severity: 'info',
          message: `CONFIG GET was refused (${node.configError}): bind and protected-mode were not checked`,
          fix: 'Run the audit as a user allowed CONFIG GET (+config|get).',
        })
      const defaultNopass = (node.acl ?? []).some((u) => u.name === 'default' && u.enabled && u.nopass)
      const drift = context.acl ? driftFindings(node, context.acl.users, context.acl.catalog) : []
      return [...findings, ...networkFindings(node, defaultNopass), ...userFindings(node), ...drift]
    })
  },
}
