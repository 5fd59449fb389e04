/**
 * The benchmark harness: cases measured against one server in one run, repetitions
 * interleaved (A B C A B C ...) so that drift on a shared, noisy machine hits every case
 * alike, and results reported as ratios to a baseline measured in the same run.
 */

export interface BenchCase {
  readonly name: string
  /** Untimed set-up before each run (e.g. filling the stream the run consumes). */
  prepare?(): Promise<void>
  /**
   * Runs the workload once and returns how many operations it did, or, for an external
   * tool that measures itself, its own rate.
   */
  run(): Promise<number | { readonly opsPerSecond: number }>
}

export interface Suite {
  readonly name: string
  readonly description: string
  /** The case every ratio is taken against. */
  readonly baseline: string
  /** What the figures count, default 'ops/s' (e.g. 'keys/s', 'items per MiB'); higher is better. */
  readonly unit?: string
  /** Optional: a target the suite checks, e.g. "client.call ≥ 0.97× baseline". */
  readonly targets?: readonly Target[]
  setup(server: ServerHandle): Promise<SuiteRun>
}

export interface Target {
  readonly case: string
  /** Minimum ratio of the case's median to the baseline's median (throughput; higher is better). */
  readonly minRatio: number
  /** Another case of the same run to compare with instead of the baseline. */
  readonly relativeTo?: string
}

export interface SuiteRun {
  readonly cases: readonly BenchCase[]
  teardown(): Promise<void>
}

export interface ServerHandle {
  readonly url: string
  readonly port: number
}

export interface CaseResult {
  readonly name: string
  /** Operations per second (wall clock) of each repetition. */
  readonly samples: number[]
  /**
   * Microseconds of this process's CPU (all threads, GC included) per operation, per
   * repetition. Steadier than wall time on a shared machine: time spent descheduled does
   * not count. NaN for external tools.
   */
  readonly cpuPerOp: number[]
}

export async function measure(run: SuiteRun, repetitions: number, warmup = 1): Promise<CaseResult[]> {
  for (let w = 0; w < warmup; w++)
    for (const c of run.cases) {
      await c.prepare?.()
      await c.run()
    }
  const results: CaseResult[] = run.cases.map((c) => ({ name: c.name, samples: [], cpuPerOp: [] }))
  for (let r = 0; r < repetitions; r++) {
    for (const [i, c] of run.cases.entries()) {
      await c.prepare?.()
      // Collect the previous case's garbage now, outside the clock, or the next case pays for it.
      collectGarbage()
      const cpu = process.cpuUsage()
      const started = process.hrtime.bigint()
      const ops = await c.run()
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      const used = process.cpuUsage(cpu)
      results[i]?.samples.push(typeof ops === 'number' ? ops / seconds : ops.opsPerSecond)
      results[i]?.cpuPerOp.push(typeof ops === 'number' ? (used.user + used.system) / ops : Number.NaN)
    }
  }
  return results
}

/** A full GC when the process runs with --expose-gc (npm run bench does). */
function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc) {
    gc()
    gc()
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

const fmt = (n: number) =>
  n >= 100_000 ? `${Math.round(n / 1000)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0)

export function renderTable(suite: Suite, results: readonly CaseResult[]): string {
  const base = results.find((r) => r.name === suite.baseline)
  const baseMedian = base ? median(base.samples) : Number.NaN
  const baseCpu = base ? median(base.cpuPerOp) : Number.NaN
  const lines = [
    `### ${suite.name}`,
    '',
    suite.description,
    '',
    `| case | ${suite.unit ?? 'ops/s'} median | min | max | × baseline | client CPU µs/op | × baseline (CPU) |`,
    '|---|---:|---:|---:|---:|---:|---:|',
  ]
  for (const r of results) {
    const m = median(r.samples)
    const cpu = median(r.cpuPerOp)
    const isBase = r.name === suite.baseline
    const ratio = isBase ? '1.00 (baseline)' : (m / baseMedian).toFixed(2)
    // As throughput: the baseline's CPU per op over this case's, so higher is better in both columns.
    const cpuRatio =
      Number.isNaN(cpu) || Number.isNaN(baseCpu) ? '–' : isBase ? '1.00' : (baseCpu / cpu).toFixed(2)
    const cpuText = Number.isNaN(cpu) ? '–' : cpu.toFixed(2)
    lines.push(
      `| ${r.name} | ${fmt(m)} | ${fmt(Math.min(...r.samples))} | ${fmt(Math.max(...r.samples))} | ${ratio} | ${cpuText} | ${cpuRatio} |`,
    )
  }
  for (const target of suite.targets ?? []) {
    const r = results.find((x) => x.name === target.case)
    const against = target.relativeTo ? results.find((x) => x.name === target.relativeTo) : base
    if (!r || !against) continue
    const wall = median(r.samples) / median(against.samples)
    const cpu = median(against.cpuPerOp) / median(r.cpuPerOp)
    const verdict = (x: number) => (x >= target.minRatio ? 'met' : 'NOT met')
    // Cases that report their own measure (bytes per item, an external tool's rate) have no CPU figure.
    const cpuText = Number.isNaN(cpu) ? '' : `, client CPU ${cpu.toFixed(3)}× (${verdict(cpu)})`
    lines.push(
      '',
      `Target: ${target.case} ≥ ${target.minRatio}× ${target.relativeTo ?? 'baseline'} — wall ${wall.toFixed(3)}× (${verdict(wall)})${cpuText}`,
    )
  }
  return lines.join('\n')
}
