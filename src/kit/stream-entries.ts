import type { Reply } from '../common/types.js'

/** One stream entry as Redis returns it: its id and its fields as a flat [field, value, ...] list. */
export interface RawEntry {
  readonly id: string
  readonly fields: readonly (string | Buffer)[]
}

export const text = (value: Reply | undefined): string =>
  Buffer.isBuffer(value) ? value.toString() : String(value ?? '')

/** `[[id, [f, v, ...]], ...]` → entries; an entry whose fields are nil (deleted) is kept with none. */
export function parseEntries(reply: Reply | undefined): RawEntry[] {
  if (!Array.isArray(reply)) return []
  const entries: RawEntry[] = []
  for (const item of reply) {
    if (!Array.isArray(item)) continue
    const fields = Array.isArray(item[1]) ? (item[1] as (string | Buffer)[]) : []
    entries.push({ id: text(item[0]), fields })
  }
  return entries
}

/** The XREADGROUP reply for one stream: `[[key, entries]]` or nil on timeout. */
export function parseReadGroup(reply: Reply): RawEntry[] {
  if (!Array.isArray(reply) || !Array.isArray(reply[0])) return []
  return parseEntries(reply[0][1])
}

export function fieldOf(fields: readonly (string | Buffer)[], name: string): string | Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (text(fields[i]) === name) return fields[i + 1]
  return undefined
}
