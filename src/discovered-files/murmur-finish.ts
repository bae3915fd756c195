/**
 * MurmurHash3's final avalanche (x86, 32-bit), with the input length folded
 * in: shared by the id table's hash of content ids and the vocabulary's
 * running hash of words, so both end the same tested way.
 */
export function murmurFinish (hash: number, length: number): number {
  let h = hash ^ length
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}
