import { execFile } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { startRedisForFile } from '../support/redis-fixture.js'

/*
 * Issue 16: `npm start` with REDIS_URL left ~1000 keys behind, and a second run against the same
 * server showed a broken tour (empty session lists, "added false", no jobs run). Run twice, it
 * must print the same tour — apart from timings, sizes and random ids — and leave no key; and
 * its own audit must not blame the toolkit's keys as undeclared.
 */

const root = new URL('../../', import.meta.url).pathname

function quickstart(url: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'examples/quickstart.ts'],
      { cwd: root, timeout: 120_000, killSignal: 'SIGKILL', env: { ...process.env, REDIS_URL: url } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null
        resolve({ code, out: stdout + stderr })
      },
    )
  })
}

/**
 * The tour without what may differ between runs: the run id, random job ids, numbers, units,
 * timings, and the padding of table columns (a count one digit longer widens its column).
 */
function normalized(out: string): string {
  return out
    .replace(/qs[0-9a-f]{6}/g, 'RUN')
    .replace(/job:[A-Za-z0-9_-]+/g, 'job:ID')
    .replace(/ · \d+ vanished during the scan/g, '')
    .replace(/\d+(\.\d+)?( ?(B|KB|MB|ms|s))?\b/g, '#')
    .replace(/ {2,}/g, ' ')
}

const { server, db } = await startRedisForFile()

describe('npm start against the same REDIS_URL, twice', () => {
  it('prints the same tour, leaves no key, and its audit finds nothing undeclared', {
    timeout: 240_000,
  }, async () => {
    const first = await quickstart(server.url)
    expect(first.code, first.out).toBe(0)
    expect(await db.call(['DBSIZE'])).toBe(0)
    const second = await quickstart(server.url)
    expect(second.code, second.out).toBe(0)
    expect(await db.call(['DBSIZE'])).toBe(0)
    expect(normalized(second.out)).toBe(normalized(first.out))
    // The tour worked the second time too.
    expect(second.out).toMatch(/ann's sessions: laptop, phone/)
    expect(second.out).toMatch(/added true, then false: one job/)
    expect(second.out).toMatch(/ran welcome → ann@example.com/)
    expect(second.out).toMatch(/Removed the \d+ keys this run wrote/)
    const audit = second.out.slice(second.out.indexOf('## The audit of this instance'))
    expect(audit).not.toContain('schema-undeclared')
  })
})
