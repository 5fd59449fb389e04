import { invalidArgument } from '../../errors.js'

/**
 * The cursor of `page()`: which source of sessions (the store's layout, then connect-redis's keys
 * while migrating), which master (by address, so a reordered list of masters cannot misplace it)
 * and the SCAN cursor on it. Opaque to callers: base64url of a small JSON array.
 */
export function encodeCursor(source: number, address: string, scan: string): string {
  return Buffer.from(JSON.stringify([source, address, scan])).toString('base64url')
}

export function decodeCursor(
  text: unknown,
  sources: number,
  addresses: readonly string[],
): { source: number; node: number; scan: string } {
  const bad = () => invalidArgument('cursor must be a value returned by page() as next')
  if (typeof text !== 'string' || text.length === 0 || text.length > 400 || !/^[A-Za-z0-9_-]+$/.test(text))
    throw bad()
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
  } catch {
    throw bad()
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw bad()
  const [source, address, scan] = parsed as unknown[]
  if (typeof source !== 'number' || !Number.isInteger(source) || source < 0 || source >= sources) throw bad()
  if (typeof scan !== 'string' || !/^\d{1,20}$/.test(scan)) throw bad()
  const node = addresses.indexOf(address as string)
  if (node < 0)
    throw invalidArgument(
      "cursor: the master it was scanning is gone (the Cluster's masters changed since); start again without a cursor",
    )
  return { source, node, scan }
}
