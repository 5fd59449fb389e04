/**
 * Redis Cluster key slots: CRC16 (XMODEM: polynomial 0x1021, initial value 0) of the key's hash
 * tag if it has a non-empty one, else of the whole key, modulo 16384. Pure, so that slot checks
 * run when a keyspace is defined and in the guard, without asking a server.
 */

const TABLE: Uint16Array = (() => {
  const table = new Uint16Array(256)
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
    table[byte] = crc
  }
  return table
})()

export function crc16(bytes: Uint8Array): number {
  let crc = 0
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff]!
  return crc
}

/**
 * The part of `key` Redis hashes: the text between the first `{` and the first `}` after it,
 * when that text is non-empty; otherwise the whole key (exactly Redis's `keyHashSlot` rule).
 */
export function hashedPart(key: Uint8Array): Uint8Array {
  const open = key.indexOf(0x7b)
  if (open < 0) return key
  const close = key.indexOf(0x7d, open + 1)
  if (close < 0 || close === open + 1) return key
  return key.subarray(open + 1, close)
}

/** The Cluster slot (0..16383) of a key; strings are hashed as UTF-8, like the server sees them. */
export function keySlot(key: string | Uint8Array): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key
  return crc16(hashedPart(bytes)) & 16383
}
