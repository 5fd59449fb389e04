import { optionValue, token } from '../args.js'
import { def, makeProfile, type Row, reading } from '../profile.js'
import { READ, REFUSE } from '../refusals.js'
import { noKeys } from './shared.js'

/**
 * Keyless and admin commands: server, connection, cluster and replication (Redis's server.c,
 * networking.c, cluster.c, replication.c). Most are background or O(1) admin work with no key to
 * judge: allowed. The hard stop here is "blocking": DEBUG, MONITOR, SAVE, SHUTDOWN and CLIENT
 * PAUSE each stall or stop the server or every client, and FLUSHALL/FLUSHDB without ASYNC free
 * every key on the main thread — all refused. MEMORY USAGE .. SAMPLES 0 walks every element of
 * its key: counted like a whole read.
 */
export const SERVER: readonly Row[] = [
  // background (BGSAVE, BGREWRITEAOF) or O(1) admin work
  def(
    `ACL ASKING AUTH BGREWRITEAOF BGSAVE CLUSTER COMMAND CONFIG DBSIZE ECHO FAILOVER HELLO INFO LASTSAVE
     LATENCY LOLWUT MODULE PING PSYNC QUIT READONLY READWRITE REPLCONF REPLICAOF RESET ROLE SELECT SLAVEOF
     SLOWLOG SWAPDB SYNC TIME WAIT WAITAOF`,
    noKeys,
  ),
  def('DEBUG', (name) => makeProfile(name, { refusal: REFUSE.debug })),
  def('MONITOR', (name) => makeProfile(name, { refusal: REFUSE.monitor })),
  def('SAVE', (name) => makeProfile(name, { refusal: REFUSE.save })),
  def('SHUTDOWN', (name) => makeProfile(name, { refusal: REFUSE.shutdown })),
  def('FLUSHALL FLUSHDB', (name) => {
    const async = makeProfile(name)
    const sync = makeProfile(name, { refusal: REFUSE.flush(name) })
    return (argv) => (token(argv[1]) === 'ASYNC' ? async : sync)
  }),
  def('CLIENT', () => {
    const pause = makeProfile('CLIENT PAUSE', { refusal: REFUSE.pause })
    const other = makeProfile('CLIENT')
    return (argv) => (token(argv[1]) === 'PAUSE' ? pause : other)
  }),
  def('MEMORY', () => {
    const usage = makeProfile('MEMORY USAGE', { keys: 2, read: READ.memory })
    const other = makeProfile('MEMORY')
    return (argv, max) => {
      if (token(argv[1]) !== 'USAGE') return other
      return optionValue(argv, 3, 'SAMPLES') === 0 ? reading(usage, Number.POSITIVE_INFINITY, max) : usage
    }
  }),
]
