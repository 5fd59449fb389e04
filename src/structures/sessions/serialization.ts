import { json } from '../../codec/index.js'
import { RedisExpertError } from '../../errors.js'
import type { SessionSerializer } from './options.js'
import type { SessionData } from './types.js'

/*
 * How a session becomes the stored text and back: connect-redis's `serializer` when one is given,
 * else the toolkit's JSON codec. Every read path (get, scan, page, all, migrate) decodes through
 * here, so a corrupt or foreign value fails the same way everywhere: DECODE_FAILED naming the key.
 */

export async function decodeSession(
  serializer: SessionSerializer | null,
  key: string,
  text: string,
): Promise<SessionData> {
  let session: unknown
  try {
    session = serializer ? await serializer.parse(text) : json.decode(text)
  } catch (error) {
    throw new RedisExpertError('DECODE_FAILED', `${key}: the stored session could not be parsed`, {
      cause: error,
      details: { key },
    })
  }
  if (typeof session !== 'object' || session === null || Array.isArray(session))
    throw new RedisExpertError('DECODE_FAILED', `${key}: the stored session is not an object`, {
      details: { key },
    })
  return session as SessionData
}

export function encodeSession(serializer: SessionSerializer | null, session: SessionData): string {
  if (!serializer) return String(json.encode(session))
  const text = serializer.stringify(session)
  // A user serializer that returns a Buffer or an object would be stored as "[object Object]".
  if (typeof text !== 'string')
    throw new RedisExpertError('ENCODE_FAILED', 'the serializer must return a string from stringify()')
  return text
}
