import type { Finding } from '../types.js'
import type { Rule } from './rule.js'

/**
 * What the audit could not read because the server refused it (an ACL user without +info, a
 * renamed command): the report is partial, and says which facts are missing — rather than
 * failing, or worse, reporting "AOF off" for a persistence it could not see.
 */
export const auditAccess: Rule = {
  id: 'audit-access',
  title: 'Facts the audit could not read',
  evaluate(context) {
    const findings: Finding[] = []
    const noInfo = context.nodes.filter((n) => n.infoError !== null)
    if (noInfo.length > 0) {
      const why = noInfo[0]!.infoError
      findings.push({
        rule: 'audit-access',
        severity: 'info',
        ...(context.mode === 'cluster' ? { nodes: noInfo.map((n) => n.address) } : {}),
        message: `INFO was refused (${why}): memory, clients, replication, persistence status and cached scripts are missing from this report${noInfo.some((n) => !n.probe.configReadable) ? ', and so is persistence (CONFIG was refused too)' : ''}`,
        fix: 'Let the audit user run INFO (ACL SETUSER <user> +info): it reads the server, never writes; `redis-expert acl` generates a read-only audit user.',
        data: { command: 'INFO', reason: why },
      })
    }
    const noDbsize = context.nodes.filter((n) => n.dbsizeError !== null)
    if (noDbsize.length > 0)
      findings.push({
        rule: 'audit-access',
        severity: 'info',
        message: `DBSIZE was refused (${noDbsize[0]!.dbsizeError}): the key count is what the scan saw, and --sample cannot extrapolate`,
        fix: 'Let the audit user run DBSIZE (ACL SETUSER <user> +dbsize).',
        data: { command: 'DBSIZE', reason: noDbsize[0]!.dbsizeError },
      })
    const noScripts = context.nodes.filter((n) => n.declaredScriptsError !== null)
    if (noScripts.length > 0)
      findings.push({
        rule: 'audit-access',
        severity: 'info',
        message: `SCRIPT EXISTS was refused (${noScripts[0]!.declaredScriptsError}): lua-scripts counts the scripts declared with defineScript among the dynamic ones`,
        fix: 'Let the audit user run SCRIPT EXISTS (ACL SETUSER <user> +script|exists); `redis-expert acl` grants it to the auditor.',
        data: { command: 'SCRIPT EXISTS', reason: noScripts[0]!.declaredScriptsError },
      })
    return findings
  },
}
