import type { AclPlan, AclSelector, AclUserPlan } from './generate.js'

/**
 * The generated users as an aclfile (`user … `), as ACL SETUSER commands, or as JSON. Each user's
 * notes — what its rules grant beyond the declaration, what was left out and why — precede it
 * as comments.
 */
export type AclFormat = 'acl' | 'commands' | 'json'

/** The rules after the user name, in ACL syntax: `on`, password, keys, channels, commands. */
export function userRules(user: AclUserPlan): string[] {
  return [
    'on',
    ...(user.passwordHash === null ? ['resetpass'] : ['resetpass', `#${user.passwordHash}`]),
    'resetkeys',
    ...user.keys.map((k) => `${k.permission}${k.pattern}`),
    'resetchannels',
    ...user.channels.map((c) => `&${c}`),
    '-@all',
    ...user.commands.map((c) => `+${c.name}`),
    ...user.selectors.map(selectorRule),
  ]
}

/** `(~shop:cart:{*} resetchannels -@all +hget +hset …)`: one argument of ACL SETUSER. */
export function selectorRule(selector: AclSelector): string {
  return `(${[`${selector.permission}${selector.pattern}`, ...selector.commands.map((c) => `+${c}`)].join(' ')})`
}

/** Generated users as an aclfile, ACL SETUSER commands (with the notes as comments) or JSON. */
export function renderAcl(plan: AclPlan, format: AclFormat): string {
  if (format === 'json') {
    return `${JSON.stringify({ users: plan.users.map((u) => ({ ...u, rules: userRules(u) })) }, null, 2)}\n`
  }
  // An aclfile has user lines only: Redis refuses to start on a comment line. The notes are
  // for the reader of the commands format (and the CLI prints them beside an aclfile).
  if (format === 'acl')
    return plan.users.map((user) => `user ${user.name} ${userRules(user).join(' ')}\n`).join('')
  const blocks = plan.users.map((user) => {
    const rules = userRules(user).map((r) => (r.includes(' ') ? JSON.stringify(r) : r))
    return `${notesOf(user).join('\n')}\nACL SETUSER ${user.name} reset ${rules.join(' ')}\n`
  })
  return blocks.join('\n')
}

/** What each user's rules grant and why, as `#` comment lines. */
export function renderNotes(plan: AclPlan): string {
  return plan.users.map((user) => `${notesOf(user).join('\n')}\n`).join('')
}

function notesOf(user: AclUserPlan): string[] {
  const keys = [
    ...user.keys.map((k) => `${k.permission}${k.pattern}`),
    ...user.selectors.map((s) => `${s.permission}${s.pattern} (${s.entry})`),
  ]
  return [
    `# ${user.name}: ${keys.join(' ') || 'no keys'}`,
    ...user.notes.map((n) => `#   - ${n}`),
    ...(user.passwordHash === null
      ? [`#   - no password yet: set one with ACL SETUSER ${user.name} >…, or generate with --password`]
      : []),
  ]
}

/** The ACL SETUSER command of each user, as arguments (for --apply). */
export function setUserCommands(plan: AclPlan): string[][] {
  return plan.users.map((user) => ['ACL', 'SETUSER', user.name, 'reset', ...userRules(user)])
}
