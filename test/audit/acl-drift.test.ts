import { beforeAll, describe, expect, it } from 'vitest'
import { type AuditAclOptions, audit, type Finding } from '../../src/audit/index.js'
import { defineKeyspace, t } from '../../src/keyspace/index.js'
import { type AccessDeclaration, generateAcl, setUserCommands } from '../../src/report/acl/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'

/**
 * The security rule against the users `redis-expert acl` generates (issue 14): applied to a real
 * server they show no drift; a permission added by hand (+flushall, ~*), a user switched off or
 * deleted is reported, naming the user and what changed.
 */

const ks = defineKeyspace('drift', {
  product: { pattern: 'product:<id>', type: t.json(), role: 'cache', ttl: '10m' },
  cart: { pattern: 'cart:{<uid>}', type: t.hash(), role: 'state', ttl: '7d' },
  visits: { pattern: 'visits:<day>', type: t.hll(), role: 'analytics', ttl: '30d' },
})
const access: AccessDeclaration = {
  users: {
    web: { read: ['drift.product'], readwrite: ['drift.cart'] },
    worker: { write: ['drift.visits'] },
    auditor: { auditor: { acl: true } },
  },
}
const options: AuditAclOptions = { access }

const { db } = await startRedisForFile()

async function applyGenerated(): Promise<void> {
  for (const command of setUserCommands(generateAcl({ keyspaces: [ks], access }))) await db.call(command)
}

/** The security findings about the generated users. */
async function drift(): Promise<Finding[]> {
  const report = await audit(db, { keyspaces: [ks], acl: options })
  // The rule's other findings (a user allowed FLUSHALL, ...) carry no `extra` / `missing`.
  return report.findings.filter(
    (f) => f.rule === 'security' && f.data !== undefined && ('extra' in f.data || 'missing' in f.data),
  )
}

beforeAll(async () => {
  await applyGenerated()
}, 30_000)

describe('the audit compares the server’s ACL users with the generated ones', () => {
  it('no drift right after applying them', async () => {
    expect(await drift()).toEqual([])
  })

  it('reports a permission added by hand: +flushall (high)', async () => {
    await db.call(['ACL', 'SETUSER', 'web', '+flushall'])
    const findings = await drift()
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({ severity: 'high', data: { user: 'web', extra: ['+flushall'] } })
    expect(findings[0]?.message).toMatch(/"web" drifted .* has beyond its generated rules: \+flushall/)
    // A category: every command in it, as this server's COMMAND table lists them.
    await db.call(['ACL', 'SETUSER', 'web', '+@all'])
    const [all] = await drift()
    expect(all?.severity).toBe('high')
    expect(all?.data?.dangerous).toEqual(
      expect.arrayContaining(['+keys', '+flushall', '+config|set', '+debug']),
    )
    expect(all?.message).toMatch(/more\)/)
    await applyGenerated()
  })

  it('reports a key pattern widened to every key: ~* (high), and a command added in a selector', async () => {
    await db.call(['ACL', 'SETUSER', 'worker', '~*'])
    await db.call(['ACL', 'SETUSER', 'web', 'clearselectors'])
    let findings = await drift()
    const worker = findings.find((f) => f.data?.user === 'worker')
    expect(worker).toMatchObject({ severity: 'high', data: { extra: ['~*'], dangerous: ['~*'] } })
    // web lost its selectors: it lacks what was generated (low: nothing extra).
    const web = findings.find((f) => f.data?.user === 'web')
    expect(web?.severity).toBe('low')
    const lacking = (web?.data?.lacking ?? []) as string[]
    expect(lacking.some((l) => l.startsWith('(%R~drift:product:*'))).toBe(true)
    await applyGenerated()
    // One more command on the cart's keys only: medium (not a hard-stop command).
    const cartSelector = generateAcl({ keyspaces: [ks], access }).users[0]!.selectors.find(
      (s) => s.entry === 'drift.cart',
    )!
    await db.call(['ACL', 'SETUSER', 'web', 'clearselectors'])
    await db.call([
      'ACL',
      'SETUSER',
      'web',
      ...generateAcl({ keyspaces: [ks], access })
        .users[0]!.selectors.filter((s) => s.entry !== 'drift.cart')
        .map((s) => `(${s.permission}${s.pattern} ${s.commands.map((c) => `+${c}`).join(' ')})`),
      `(${cartSelector.permission}${cartSelector.pattern} ${[...cartSelector.commands, 'hgetall'].map((c) => `+${c}`).join(' ')})`,
    ])
    findings = await drift()
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({
      severity: 'medium',
      data: { user: 'web', extra: ['(~drift:cart:{*}): +hgetall'], lacking: [] },
    })
    await applyGenerated()
  })

  it('reports a user switched off, and a user removed as missing', async () => {
    await db.call(['ACL', 'SETUSER', 'worker', 'off'])
    let findings = await drift()
    expect(findings).toMatchObject([{ severity: 'low', data: { user: 'worker', disabled: true } }])
    await db.call(['ACL', 'DELUSER', 'worker'])
    findings = await drift()
    expect(findings).toMatchObject([{ severity: 'medium', data: { user: 'worker', missing: true } }])
    expect(findings[0]?.message).toMatch(/"worker", generated for the declaration, is missing on the server/)
    await applyGenerated()
    expect(await drift()).toEqual([])
  })

  it('acl needs keyspaces, and takes only the acl command’s options', async () => {
    await expect(audit(db, { acl: options })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(
      audit(db, { keyspaces: [ks], acl: { access, format: 'json' } as unknown as AuditAclOptions }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})
