import { describe, expect, it } from 'vitest'
import { audit } from '../../src/audit/index.js'
import { declaredScriptSources } from '../../src/guard/script-sources.js'
// Feature modules whose scripts are declared when they load: more than the rule's threshold of 10.
import '../../src/cache/index.js'
import '../../src/queue/index.js'
import '../../src/structures/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'

/**
 * lua-scripts flags a script cache full of one-off scripts (values pasted into the text). The
 * scripts declared with defineScript in the auditing process — the toolkit's and the
 * application's — are loaded once each and called by SHA1: they are not counted.
 */

const { db } = await startRedisForFile({ guard: 'off' })
const luaFindings = async () =>
  (await audit(db, { keyspaces: [] })).findings.filter((f) => f.rule === 'lua-scripts')

describe('lua-scripts', () => {
  it("counts only the scripts not declared in this process: the toolkit's own are no finding", async () => {
    const sources = declaredScriptSources()
    expect(sources.length).toBeGreaterThan(10)
    for (const source of sources) await db.call(['SCRIPT', 'LOAD', source])
    for (let i = 0; i < 3; i++) await db.call(['EVAL', `return ${i}`, 0])
    expect(await luaFindings()).toEqual([])

    for (let i = 3; i < 14; i++) await db.call(['EVAL', `return ${i}`, 0])
    expect(await luaFindings()).toMatchObject([{ severity: 'medium', data: { scripts: 14 } }])
  })
})
