/**
 * Redis Cluster hash slots: CRC16-XMODEM (poly 0x1021, init 0) of the key's hash tag, or of the
 * whole key when it has no non-empty tag, modulo 16384. Pure, so that slot checks run when a
 * keyspace is defined and in the guard without asking a server; allocation-free for ASCII keys
 * because the guard runs it on every key of a MULTI.
 */

const TABLE = new Uint16Array(256)
for (let byte = 0; byte < 256; byte++) {
  let crc = byte << 8
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
  TABLE[byte] = crc
}

/** CRC16-XMODEM of bytes `[start, end)`. */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!
  return crc
}

/** The Cluster slot (0..16383) of a key; a string key is hashed as its UTF-8 bytes, as the server sees it. */
export function keySlot(key: string | Uint8Array): number {
  if (typeof key !== 'string') {
    // The tag is the text between the first '{' and the first '}' after it, when non-empty.
    const open = key.indexOf(0x7b)
    const close = open < 0 ? -1 : key.indexOf(0x7d, open + 1)
    return close > open + 1 ? crc16(key, open + 1, close) & 0x3fff : crc16(key) & 0x3fff
  }
  let start = 0
  let end = key.length
  const open = key.indexOf('{')
  if (open >= 0) {
    const close = key.indexOf('}', open + 1)
    if (close > open + 1) {
      start = open + 1
      end = close
    }
  }
  let crc = 0
  for (let i = start; i < end; i++) {
    const c = key.charCodeAt(i)
    // Non-ASCII: hash the UTF-8 encoding instead (the braces are ASCII, so the tag bounds hold).
    if (c > 0x7f) return crc16(Buffer.from(key.slice(start, end), 'utf8')) & 0x3fff
    crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ c) & 0xff]!
  }
  return crc & 0x3fff
}
