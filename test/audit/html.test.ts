import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AuditReport, audit, renderHtml } from '../../src/audit/index.js'
import { connect } from '../../src/index.js'
import { findExecutable, type RedisServer, startRedis } from '../../src/testing/index.js'
import { pipelined, seedCommands } from './seed.js'

/** Debian's chromium; CHROMIUM_PATH overrides. CI installs it (.ci/run); elsewhere the test says why it skips. */
function chromiumPath(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']
  for (const candidate of candidates) if (candidate && existsSync(candidate)) return candidate
  try {
    return findExecutable('chromium')
  } catch {
    return null
  }
}

const executablePath = chromiumPath()
if (!executablePath)
  console.warn(
    'test/audit/html.test.ts: SKIPPED, no chromium found. Install it (apt-get install -y chromium) or set CHROMIUM_PATH; CI installs it.',
  )

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** A key name that would run script if the report forgot to escape it. */
const HOSTILE = '<img src=x onerror=alert(1)>:1'

let server: RedisServer
let browser: Browser
let dir: string
let file: string
let report: AuditReport

describe.skipIf(!executablePath)('the HTML report in headless Chromium', () => {
  beforeAll(async () => {
    server = await startRedis({ users: [{ name: 'app', password: 'app-secret' }] })
    const db = await connect({ url: server.url, guard: 'off' })
    try {
      await pipelined(db, seedCommands())
      report = await audit(db)
      dir = mkdtempSync(join(tmpdir(), 'redis-expert-audit-html-'))
      file = join(dir, 'report.html')
      writeFileSync(file, renderHtml(report))
    } finally {
      await db.close()
    }
    browser = await chromium.launch({ executablePath: executablePath as string, args: ARGS })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('renders every chart, runs its script without a console error, and fetches nothing', async () => {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } })
    const errors: string[] = []
    const requests: string[] = []
    const dialogs: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') errors.push(message.text())
    })
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('request', (request) => {
      if (!request.url().startsWith('file:')) requests.push(request.url())
    })
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message())
      void dialog.dismiss()
    })
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' })

    for (const id of ['chart-memory', 'chart-ttl', 'chart-types']) {
      const box = await page.locator(`svg#${id}`).boundingBox()
      expect(box?.width, id).toBeGreaterThan(200)
      expect(box?.height, id).toBeGreaterThan(50)
    }
    // One bar per pattern (7 here, under the 12-row cap), each with a visible size.
    const bars = page.locator('svg#chart-memory rect')
    expect(await bars.count()).toBe(7)
    for (const bar of await bars.all()) expect((await bar.boundingBox())?.width).toBeGreaterThan(0)
    expect(await page.locator('svg#chart-ttl rect').count()).toBeGreaterThanOrEqual(7)
    const slices = page.locator('svg#chart-types path, svg#chart-types circle')
    expect(await slices.count()).toBe(3)
    for (const slice of await slices.all()) expect((await slice.boundingBox())?.width).toBeGreaterThan(0)

    // The findings table filters by severity.
    const lowRows = page.locator('#findings tbody tr[data-severity="low"]')
    expect(await lowRows.count()).toBeGreaterThan(0)
    await page.locator('button[data-filter="low"]').click()
    for (const row of await lowRows.all()) expect(await row.isHidden()).toBe(true)
    await page.locator('button[data-filter="low"]').click()
    expect(await lowRows.first().isVisible()).toBe(true)
    // The patterns table sorts by a column.
    await page.locator('#patterns th', { hasText: 'keys' }).click()
    expect(await page.locator('#patterns tbody tr').first().locator('code').first().textContent()).toBe(
      'visits:<id>',
    )

    expect(dialogs).toEqual([])
    expect(errors).toEqual([])
    expect(requests).toEqual([])

    mkdirSync('docs', { recursive: true })
    // The docs' screenshot is refreshed on request only, so that a test run leaves the tree clean.
    const shot = process.env.UPDATE_SCREENSHOTS
      ? 'docs/audit-report.png'
      : join(tmpdir(), `audit-report-${process.pid}.png`)
    await page.screenshot({ path: shot, fullPage: true })
    await page.close()
  })

  it('shows hostile key names as text and never runs them', async () => {
    const hostile: AuditReport = {
      ...report,
      patterns: [
        ...report.patterns,
        { ...(report.patterns[0] as AuditReport['patterns'][number]), pattern: `${HOSTILE}</script>` },
      ],
      findings: [
        { rule: 'no-ttl', severity: 'low', pattern: HOSTILE, key: HOSTILE, message: HOSTILE, fix: HOSTILE },
      ],
    }
    const path = join(dir, 'hostile.html')
    writeFileSync(path, renderHtml(hostile))
    const page = await browser.newPage()
    const events: string[] = []
    page.on('dialog', (dialog) => {
      events.push(dialog.message())
      void dialog.dismiss()
    })
    page.on('pageerror', (error) => events.push(error.message))
    await page.goto(pathToFileURL(path).href, { waitUntil: 'load' })
    expect(await page.locator('#patterns').textContent()).toContain(`${HOSTILE}</script>`)
    expect(await page.locator('#findings').textContent()).toContain(HOSTILE)
    expect(await page.locator('img').count()).toBe(0)
    // The embedded JSON survives `</script>` inside a key.
    const data = JSON.parse((await page.locator('script#audit-data').textContent()) ?? 'null') as AuditReport
    expect(data.patterns.at(-1)?.pattern).toBe(`${HOSTILE}</script>`)
    expect(events).toEqual([])
    await page.close()
  })

  it('embeds the JSON report', async () => {
    const page = await browser.newPage()
    await page.goto(pathToFileURL(file).href)
    const data = JSON.parse((await page.locator('script#audit-data').textContent()) ?? 'null') as {
      version: number
      patterns: unknown[]
    }
    expect(data.version).toBe(1)
    expect(data.patterns).toHaveLength(7)
    await page.close()
  })
})
