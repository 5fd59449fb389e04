import type { Entry } from '../keyspace/define.js'

const UNRESERVED = /^[A-Za-z0-9\-._~]+$/

/**
 * Builds value keys. Every call of every operation starts here, and for the common pattern —
 * one parameter (`product:<id>`) given an id that needs no escaping — this is a string
 * concatenation instead of the general builder's walk over segments. Anything else (several
 * parameters, characters to escape, bad input) goes to `entry.key`, which also raises
 * KEY_PARAM_INVALID; both give the same key for the same parameters.
 */
export function keyBuilder(entry: Entry, intern = 0): (params: unknown) => string {
  const general = entry.key as (params: unknown) => string
  const { segments, delimiters, params } = entry.policy.pattern
  if (params.length !== 1) return general
  const name = params[0] as string
  let prefix = ''
  let suffix = ''
  let seen = false
  segments.forEach((segment, i) => {
    const text = segment.kind === 'param' ? '' : segment.text
    const delimiter = delimiters[i] ?? ''
    if (segment.kind === 'param') {
      seen = true
      suffix += delimiter
    } else if (seen) suffix += text + delimiter
    else prefix += text + delimiter
  })
  // With an L1 the same keys come back again and again: handing out the same string objects
  // lets the L1's map reuse their cached hash instead of hashing a fresh string per call.
  const interned = intern > 0 ? new Map<string | number, string>() : null
  return (input: unknown) => {
    if (typeof input === 'object' && input !== null && Object.getPrototypeOf(input) === Object.prototype) {
      const value = (input as Record<string, unknown>)[name]
      const simple =
        typeof value === 'string'
          ? UNRESERVED.test(value)
          : typeof value === 'number' && Number.isSafeInteger(value)
      if (simple) {
        let count = 0
        for (const _ in input) count++
        if (count === 1) {
          const id = value as string | number
          const known = interned?.get(id)
          if (known !== undefined) return known
          const key = prefix + (id === 0 ? '0' : String(id)) + suffix
          if (interned) {
            if (interned.size >= intern) interned.clear()
            interned.set(id, key)
          }
          return key
        }
      }
    }
    return general(input)
  }
}
