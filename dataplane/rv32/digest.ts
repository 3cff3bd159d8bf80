// The digest of a run of subject instruction words: what a fragment was translated from. The translator stamps its
// fragments with it and the M18 spec recomputes it from the program image, so both must use this one function.

/** FNV-1a over the words' little-endian bytes, as an unsigned 32-bit number. */
export function sourceDigest(words: ArrayLike<number>): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) {
    const w = (words[i] as number) >>> 0;
    for (let b = 0; b < 32; b += 8) h = Math.imul(h ^ ((w >>> b) & 0xff), 0x01000193);
  }
  return h >>> 0;
}
