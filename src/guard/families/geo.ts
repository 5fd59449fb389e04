import { countItems, int, token } from '../args.js'
import { def, makeProfile, type Row, reading, w } from '../profile.js'
import { READ } from '../refusals.js'
import { addUnlessXX, oneKey } from './shared.js'

/**
 * Geo (Redis's geo.c, a sorted set underneath). The searches — GEORADIUS*, GEOSEARCH* — do work
 * proportional to the matches in the area (O(N + log M)), which the radius does not bound: COUNT
 * ≤ the limit, or the key's declaration bounds it. Their STORE/STOREDIST and GEOSEARCHSTORE
 * forms leave the destination without a TTL; GEOADD may create the key without one (not with XX).
 */
export const GEO: readonly Row[] = [
  // O(1) / O(log N) per member asked
  def('GEODIST GEOHASH GEOPOS', oneKey),
  // O(log N) per member
  def('GEOADD', addUnlessXX),
  def('GEORADIUS GEORADIUSBYMEMBER GEORADIUS_RO GEORADIUSBYMEMBER_RO', (name) => {
    const from = name.startsWith('GEORADIUSBYMEMBER') ? 5 : 6
    const base = makeProfile(name, { keys: 1, read: READ.geo })
    return (argv, max) => {
      let count: number | undefined
      let store: number | undefined
      for (let i = from; i < argv.length; i++) {
        const t = token(argv[i])
        if (t === 'COUNT') count = int(argv[++i])
        else if (t === 'STORE' || t === 'STOREDIST') store = ++i
      }
      const items = count === undefined ? Number.POSITIVE_INFINITY : countItems(count, false)
      if (store === undefined) return reading(base, items, max)
      const stored = makeProfile(name, {
        keys: 'context',
        multiKey: true,
        read: READ.geo,
        writes: [w(store, 'clears')],
      })
      return reading(stored, items, max)
    }
  }),
  def('GEOSEARCH GEOSEARCHSTORE', (name) => {
    const store = name === 'GEOSEARCHSTORE'
    const base = store
      ? makeProfile(name, {
          keys: 'context',
          multiKey: true,
          read: { ...READ.geo, keys: 2 },
          writes: [w(1, 'clears')],
        })
      : makeProfile(name, { keys: 1, read: READ.geo })
    return (argv, max) => {
      let count: number | undefined
      for (let i = store ? 3 : 2; i < argv.length; i++) {
        const t = token(argv[i])
        if (t === 'FROMMEMBER') i += 1
        else if (t === 'FROMLONLAT' || t === 'BYRADIUS') i += 2
        else if (t === 'BYBOX') i += 3
        else if (t === 'COUNT') count = int(argv[++i])
      }
      return reading(base, count === undefined ? Number.POSITIVE_INFINITY : countItems(count, false), max)
    }
  }),
]
