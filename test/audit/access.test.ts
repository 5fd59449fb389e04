import { execFile } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { audit } from '../../src/audit/index.js'
import { connect } from '../../src/index.js'
import { type RedisCluster, type RedisServer, startCluster, startRedis } from '../../src/testing/index.js'

/*
 * Issue 16: the audit where its view is partial. A user that may not run INFO got NOPERM and
 * then nothing (connect() itself failed): connect and the audit must degrade and say what is
 * missing. One node of a Cluster audited without --cluster scanned a third of the keys and said
 * "standalone": the library reports it as a finding, the CLI follows the Cluster.
 */

const root = new URL('../../', import.meta.url).pathname

function cli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: root, timeout: 60_000, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null
        resolve({ code, stdout, stderr })
      },
    )
  })
}

describe('a user that may not run INFO', () => {
  let server: RedisServer
  let url: string
  beforeAll(async () => {
    server = await startRedis({
      users: [{ name: 'auditor', password: 'pw', rules: ['~*', '&*', '+@all', '-info'] }],
    })
    url = `redis://auditor:pw@127.0.0.1:${server.port}`
    const admin = await connect({ url: server.url, guard: 'off' })
    for (let i = 0; i < 50; i++) await admin.call(['SET', `k:${i}`, 'v', 'EX', 600])
    await admin.close()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('connect() works; the probe says INFO was refused', async () => {
    const db = await connect({ url })
    try {
      const probe = await db.probe()
      expect(probe.infoReadable).toBe(false)
      expect(probe.configReadable).toBe(true)
    } finally {
      await db.close()
    }
  })

  it('the audit degrades: it scans the keys and says which facts are missing and why', async () => {
    const db = await connect({ url })
    try {
      const report = await audit(db)
      expect(report.scanned.keys).toBe(50)
      const access = report.findings.find((f) => f.rule === 'audit-access')
      expect(access?.message).toMatch(/INFO/)
      expect(access?.fix).toMatch(/\+info/)
    } finally {
      await db.close()
    }
  })

  it('the CLI prints the report and exits', async () => {
    const out = await cli(['audit', '--url', url])
    expect(out.code).toBe(0)
    expect(out.stdout).toContain('audit-access')
    expect(out.stdout).not.toContain('pw@')
  })
})

describe('one node of a Cluster', () => {
  let cluster: RedisCluster
  beforeAll(async () => {
    cluster = await startCluster({ masters: 3, replicasPerMaster: 0 })
    const db = await connect({ cluster: { rootNodes: cluster.rootNodes }, guard: 'off' })
    for (let i = 0; i < 300; i++) await db.call(['SET', `key:${i}`, 'v', 'EX', 600])
    await db.close()
  }, 90_000)
  afterAll(async () => {
    await cluster?.stop()
  })

  it('audit() of a standalone connection to it: a high finding says only its slots were scanned', async () => {
    const db = await connect({ url: cluster.rootNodes[0]! })
    try {
      const report = await audit(db)
      expect(report.scanned.keys).toBeLessThan(300)
      const finding = report.findings.find((f) => f.rule === 'cluster-node')
      expect(finding?.severity).toBe('high')
      expect(finding?.fix).toContain('--cluster')
    } finally {
      await db.close()
    }
  })

  it('the CLI without --cluster follows the Cluster and says so', async () => {
    const out = await cli(['audit', '--url', cluster.rootNodes[0]!, '--format', 'json'])
    expect(out.code).toBe(0)
    expect(out.stderr).toMatch(/Cluster.*--cluster/)
    const report = JSON.parse(out.stdout) as { server: { mode: string }; scanned: { keys: number } }
    expect(report.server.mode).toBe('cluster')
    expect(report.scanned.keys).toBe(300)
  })
})
