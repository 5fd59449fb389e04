import { beforeAll, describe, expect, it } from 'vitest'
import type { Finding } from '../../src/audit/index.js'
import { aclReport } from '../../src/cli/acl.js'
import { resolveCliOptions, runAudit } from '../../src/cli/audit.js'
import { startRedisForFile } from '../support/redis-fixture.js'

/**
 * `redis-expert audit --schema <module> --acl`: the security rule compares the server's ACL
 * users with those `redis-expert acl <module>` generates from the module's access declaration.
 */

const MODULE = 'test/report/acl/fixtures/access.ts'

const { server, db } = await startRedisForFile({ guard: 'off' })

beforeAll(async () => {
  await aclReport(MODULE, { format: 'acl', apply: true, url: server.url })
}, 60_000)

async function driftFindings(acl: string | boolean): Promise<Finding[]> {
  const options = resolveCliOptions({ url: server.url, schema: MODULE, acl, format: 'json', progress: false })
  const { report } = await runAudit(options)
  return report.findings.filter(
    (f) => f.rule === 'security' && f.data !== undefined && ('extra' in f.data || 'missing' in f.data),
  )
}

describe('audit --schema <module> --acl', () => {
  it('finds no drift right after `acl --apply`, and the permission added by hand after it', async () => {
    expect(await driftFindings(true)).toEqual([])
    await db.call(['ACL', 'SETUSER', 'web', '+flushall'])
    const found = await driftFindings('access')
    expect(found).toHaveLength(1)
    expect(found[0]).toMatchObject({ severity: 'high' })
    expect(JSON.stringify(found[0]?.data)).toContain('flushall')
    expect(found[0]?.message).toContain('web')
  }, 60_000)

  it('refuses --acl without --schema, and an access export the module does not have', async () => {
    expect(() => resolveCliOptions({ url: server.url, acl: true })).toThrow(/--acl .*--schema/)
    const options = resolveCliOptions({ url: server.url, schema: MODULE, acl: 'nope', progress: false })
    await expect(runAudit(options)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})
