import type { CodecName } from '../../codec/index.js'
import { t } from '../../keyspace/types.js'
import { structureKeyspace } from '../../kit/keyspace.js'

/**
 * The keys of one family of streams. The stream and its dead-letter stream share the hash tag
 * `{<stream>}` so that one script can move an entry from one to the other on a Cluster.
 *
 * Both are `persistent`: a stream is a log that is trimmed by length or age (MAXLEN / MINID),
 * never expired as a whole — an expiring stream would silently drop unconsumed entries.
 */
export function streamKeyspace(namespace: string, codec: CodecName | undefined) {
  return structureKeyspace(namespace, {
    stream: {
      pattern: '{<stream>}',
      type: t.stream(),
      role: 'queue',
      ttl: 'persistent',
      ...(codec === undefined ? {} : { codec }),
      description: 'entries with one field `d` (the codec-encoded message); trimmed by MAXLEN ~ or MINID ~',
    },
    dead: {
      pattern: '{<stream>}:dead',
      type: t.stream(),
      role: 'queue',
      ttl: 'persistent',
      ...(codec === undefined ? {} : { codec }),
      description: 'dead letters: the original fields plus source id, group, deliveries and error; MAXLEN ~',
    },
    failures: {
      pattern: '{<stream>}:failures',
      type: t.hash(),
      role: 'queue',
      ttl: '7d',
      description:
        'handler failures of pending entries (field `<id>|<group>`), so that recovery tells a failure from a stall; a field goes when its entry is acknowledged or dead-lettered, the hash 7 days after its last failure',
    },
  })
}

/** The keys of streams under one namespace: the stream, its dead letters and its failure counts. */
export type StreamKeyspace = ReturnType<typeof streamKeyspace>

/** The one field a message is stored under: short, because it is repeated in every entry. */
export const DATA_FIELD = 'd'
