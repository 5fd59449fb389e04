import { crc16, keySlot } from '../common/slot.js'

/**
 * A Cluster-slot → hash-tag table. A cache's internal keys (lease, generation) must land in
 * the slot of the value key they guard, so that one script can touch all of them; but the
 * value key's slot is decided by the user's pattern: `shop:product:42` has no hash tag and
 * hashes as a whole. So the internal keys carry `{<tag>}` where `<tag>` is the shortest
 * string of `[0-9a-z]` whose CRC16 is that slot: `shop:product:~product:lease:{k3}:…` lives
 * wherever `shop:product:42` lives, whatever the pattern looks like. The tag is plain
 * unreserved text, so it survives key-parameter escaping unchanged.
 */
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz'
const SLOTS = 16384
let table: string[] | null = null

/** Every slot has a tag of at most 4 characters (3 cover all but ~85 slots); built once, in ~5 ms. */
function build(): string[] {
  const tags: string[] = new Array(SLOTS)
  let left = SLOTS
  const codes = [...ALPHABET].map((c) => c.charCodeAt(0))
  for (let length = 1; length <= 4 && left > 0; length++) {
    const digits = new Array<number>(length).fill(0)
    const bytes = new Uint8Array(length)
    for (;;) {
      for (let i = 0; i < length; i++) bytes[i] = codes[digits[i]!]!
      const slot = crc16(bytes) & 0x3fff
      if (tags[slot] === undefined) {
        tags[slot] = String.fromCharCode(...bytes)
        if (--left === 0) break
      }
      let position = length - 1
      while (position >= 0 && ++digits[position]! === codes.length) digits[position--] = 0
      if (position < 0) break
    }
  }
  return tags
}

/** The short tag that hashes to `slot`. */
export function tagOfSlot(slot: number): string {
  table ??= build()
  return table[slot]!
}

/** The tag that puts a key in the same slot as `key`. */
export function slotTagOf(key: string): string {
  return tagOfSlot(keySlot(key))
}
