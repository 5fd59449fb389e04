import type { Finding } from '../types.js'
import { bytes, numberField, perNode } from './helpers.js'
import type { Rule } from './rule.js'

/**
 * Fragmentation the allocator is responsible for: RSS beyond the data, minus the process's own
 * overhead (code, libraries: `rss_overhead_bytes`). An empty redis-server already holds ~10 MB
 * of RSS, which makes `mem_fragmentation_ratio` read 3 or more on a small instance although
 * nothing is fragmented; the allocator's share is what activedefrag can win back.
 */
export function fragmentation(
  info: ReadonlyMap<string, string>,
  used: number,
): { ratio: number; wasted: number } {
  const allocatorFrag = numberField(info, 'allocator_frag_bytes')
  const allocatorRss = numberField(info, 'allocator_rss_bytes')
  const wasted =
    allocatorFrag !== null && allocatorRss !== null
      ? Math.max(0, allocatorFrag) + Math.max(0, allocatorRss)
      : (numberField(info, 'mem_fragmentation_bytes') ?? 0)
  return { ratio: used > 0 ? (used + wasted) / used : 0, wasted }
}

/**
 * The checks of `MEMORY DOCTOR` that matter most, with its thresholds: fragmentation above
 * 1.4 with more than 10 MB wasted, and a peak above 150 % of the memory used now. Like MEMORY
 * DOCTOR it says nothing about an instance using less than 5 MB.
 */
export const memoryDoctor: Rule = {
  id: 'memory-doctor',
  title: 'Fragmentation and peak memory (MEMORY DOCTOR)',
  evaluate(context) {
    const t = context.thresholds
    return perNode(context, (node) => {
      const findings: Omit<Finding, 'nodes'>[] = []
      const used = numberField(node.info, 'used_memory') ?? 0
      if (used < t.memoryDoctorMinBytes) return findings
      const { ratio, wasted } = fragmentation(node.info, used)
      if (ratio > t.fragmentationRatio && wasted > t.fragmentationBytes)
        findings.push({
          rule: 'memory-doctor',
          severity: 'medium',
          message: `Memory fragmentation is ${ratio.toFixed(2)}: the allocator holds ${bytes(wasted)} beyond the ${bytes(used)} of data (process overhead excluded)`,
          fix: 'CONFIG SET activedefrag yes (jemalloc builds) to defragment online; or fail over to a freshly started replica. Fragmentation follows churn of mixed-size values: big deletes, values that grow.',
          data: { ratio, wastedBytes: wasted },
        })
      const peak = numberField(node.info, 'used_memory_peak') ?? 0
      if (peak > used * t.peakRatio)
        findings.push({
          rule: 'memory-doctor',
          severity: 'low',
          message: `Peak memory ${bytes(peak)} is ${(peak / used).toFixed(1)}× the ${bytes(used)} used now: something spiked (a big load, client buffers, a mass delete), and the RSS may still hold it`,
          fix: 'Size maxmemory for the peak, not the average; find the spike in INFO clients (client buffers) or the write pattern at that time; MEMORY PURGE returns freed pages to the OS.',
          data: { peakBytes: peak, usedBytes: used },
        })
      return findings
    })
  },
}
