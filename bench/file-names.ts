/**
 * Seeded, realistic file names for benchmarks: a large vocabulary whose words
 * occur with Zipf-like frequencies (a few very common, a long tail of rare
 * ones, as in real file names), a handful of real words at known ranks, and
 * photos with unique camera numbers. The generator is an integer PRNG
 * (test/chaos/prng.ts), so a million draws never cycle.
 */
import { Prng } from '../test/chaos/prng.ts'

/** Real words placed in the vocabulary at these ranks (1 = the most common). */
export const KNOWN_WORDS: Readonly<Record<string, number>> = {
  the: 1,
  live: 5,
  holiday: 40,
  report: 60,
  beatles: 300,
  help: 800,
  canción: 2_000,
  yesterday: 5_000
}

const SYLLABLES = ['ba', 'be', 'lo', 'ri', 'ta', 'mon', 'sil', 'ver', 'da', 'no', 'ca', 'shi', 'ul', 'tre', 'gon',
  'fa', 'zu', 'pe', 'ki', 'ra', 'mi', 'sto', 'len', 'dor', 'qua', 'vel', 'ix', 'hom', 'ne', 'sa']

/** Options of {@link FileNames}. */
export interface FileNamesInit {
  seed?: number
  /** Distinct words (default 200,000). */
  vocabulary?: number
  /** Zipf exponent: word of rank r is drawn with weight 1 / r^s (default 1.0). */
  exponent?: number
}

/** A deterministic stream of file names: the same seed, called for 0, 1, 2, … in order, gives the same names. */
export class FileNames {
  readonly words: string[]
  private readonly prng: Prng
  private readonly cumulative: Float64Array

  constructor (init: FileNamesInit = {}) {
    this.prng = new Prng(init.seed ?? 42)
    const size = init.vocabulary ?? 200_000
    const exponent = init.exponent ?? 1
    const known = new Set(Object.keys(KNOWN_WORDS))
    const seen = new Set<string>(known)
    const words: string[] = []
    while (words.length < size) {
      const word = Array.from({ length: this.prng.int(2, 4) }, () => this.prng.pick(SYLLABLES)).join('')
      if (!seen.has(word)) {
        seen.add(word)
        words.push(word)
      }
    }
    for (const [word, rank] of Object.entries(KNOWN_WORDS)) {
      words.splice(rank - 1, 0, word)
    }
    words.length = size
    this.words = words
    this.cumulative = new Float64Array(size)
    let total = 0
    for (let rank = 1; rank <= size; rank++) {
      total += 1 / rank ** exponent
      this.cumulative[rank - 1] = total
    }
  }

  /** One word, drawn by its Zipf weight. */
  word (): string {
    const point = this.prng.next() * this.cumulative[this.cumulative.length - 1]
    let low = 0
    let high = this.cumulative.length - 1
    while (low < high) {
      const middle = (low + high) >> 1
      if (this.cumulative[middle] <= point) {
        low = middle + 1
      } else {
        high = middle
      }
    }
    return this.words[low]
  }

  /** The name of file number `index`: albums, photos, documents, videos, archives in equal shares. */
  nameFor (index: number): string {
    const capital = (text: string): string => text[0].toUpperCase() + text.slice(1)
    const word = (): string => this.word()
    const pick = <T>(items: readonly T[]): T => this.prng.pick(items)
    switch (index % 5) {
      case 0: return `${capital(word())} ${capital(word())} - ${capital(word())} ${word()} (${1960 + this.prng.int(0, 59)}) ${String(this.prng.int(1, 20)).padStart(2, '0')}.${pick(['mp3', 'flac', 'ogg'])}`
      // Camera numbers are unique: every photo adds two words no other file has.
      case 1: return `IMG_${20100101 + Math.floor(index / 5) % 10_000}_${String(index).padStart(7, '0')}.${pick(['jpg', 'png', 'heic'])}`
      case 2: return `${capital(word())} ${word()} ${word()} v${this.prng.int(1, 9)}.${pick(['pdf', 'docx', 'txt', 'epub'])}`
      case 3: return `${capital(word())}.${capital(word())}.${1990 + this.prng.int(0, 29)}.1080p.${pick(['mkv', 'mp4', 'avi'])}`
      default: return `${word()}-${word()}-backup-${index}.${pick(['zip', 'tar', '7z', 'bin'])}`
    }
  }
}
