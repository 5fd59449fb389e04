import type { Reply } from '../common/types.js'
import { formatAddress } from './endpoint.js'

/**
 * A Cluster's slot map, from `CLUSTER SHARDS` (Redis 7+, Valkey) or `CLUSTER SLOTS` (older
 * servers). Pure: replies in, ranges out.
 */
export interface SlotRange {
  readonly start: number
  readonly end: number
  /** `host:port` of the master serving the range. */
  readonly master: string
  readonly replicas: readonly string[]
}

export const SLOT_COUNT = 16384

/**
 * `CLUSTER SHARDS` (RESP2): per shard a flat `slots`/`nodes` map; each node a flat map with
 * `endpoint` (or `ip`), `port` (`tls-port` under TLS), `role` and `health`.
 * Failed nodes are left out; a replica still `loading` is kept (it answers LOADING for a
 * moment, which is retried); `endpoint` '?' (unknown) falls back to `ip`.
 */
export function parseShards(reply: Reply, tls: boolean): SlotRange[] {
  const ranges: SlotRange[] = []
  if (!Array.isArray(reply)) return ranges
  for (const shard of reply) {
    const fields = flatMap(shard)
    const slots = fields.get('slots')
    const nodes = fields.get('nodes')
    if (!Array.isArray(slots) || !Array.isArray(nodes)) continue
    let master: string | undefined
    const replicas: string[] = []
    for (const node of nodes) {
      const info = flatMap(node)
      if (String(info.get('health') ?? 'online') === 'fail') continue
      const host = preferredHost(info)
      const port = Number(info.get(tls ? 'tls-port' : 'port') ?? info.get('port'))
      if (!host || !Number.isInteger(port) || port <= 0) continue
      const address = formatAddress(host, port)
      if (info.get('role') === 'master') master = address
      else replicas.push(address)
    }
    if (master === undefined) continue
    for (let i = 0; i + 1 < slots.length; i += 2)
      ranges.push({ start: Number(slots[i]), end: Number(slots[i + 1]), master, replicas })
  }
  return ranges
}

/** `CLUSTER SLOTS`: `[start, end, [host, port, id, ...], [replica...]...]` per range. */
export function parseSlots(reply: Reply): SlotRange[] {
  const ranges: SlotRange[] = []
  if (!Array.isArray(reply)) return ranges
  for (const entry of reply) {
    if (!Array.isArray(entry) || entry.length < 3) continue
    const [start, end, ...nodes] = entry
    const addresses = nodes.map((node) => {
      if (!Array.isArray(node)) return undefined
      const host = String(node[0] ?? '')
      const port = Number(node[1])
      return host && host !== '?' && port > 0 ? formatAddress(host, port) : undefined
    })
    const [master, ...replicas] = addresses
    // A master whose address is unknown: leave the range out, a MOVED will name the owner.
    if (master !== undefined)
      ranges.push({
        start: Number(start),
        end: Number(end),
        master,
        replicas: replicas.filter((r): r is string => r !== undefined),
      })
  }
  return ranges
}

/** True when every slot is served. */
export function coversAllSlots(ranges: readonly SlotRange[]): boolean {
  const sorted = [...ranges].sort((a, b) => a.start - b.start)
  let next = 0
  for (const range of sorted) {
    if (range.start > next) return false
    next = Math.max(next, range.end + 1)
  }
  return next >= SLOT_COUNT
}

/** `MOVED 3999 127.0.0.1:6381` / `ASK ...` → slot and address. */
export function parseRedirection(reply: string): { slot: number; address: string } | null {
  const [, slot, address] = reply.split(' ')
  if (slot === undefined || address === undefined) return null
  return { slot: Number(slot), address }
}

function flatMap(value: Reply): Map<string, Reply> {
  const map = new Map<string, Reply>()
  if (!Array.isArray(value)) return map
  for (let i = 0; i + 1 < value.length; i += 2) map.set(String(value[i]), value[i + 1] as Reply)
  return map
}

function preferredHost(info: Map<string, Reply>): string {
  const endpoint = info.get('endpoint')
  if (typeof endpoint === 'string' && endpoint !== '' && endpoint !== '?') return endpoint
  const ip = info.get('ip')
  return typeof ip === 'string' ? ip : ''
}
