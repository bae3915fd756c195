import { createCipheriv, createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import type { Prng } from './prng.ts'

/** A file the chaos network shares: where it lives and what any copy of it must hash to. */
export interface SourceFile {
  name: string
  /** The word its name is searched by (unique to the file). */
  word: string
  /** The kind `search -t` should put it under. */
  kind: 'music' | 'video' | 'document' | 'image' | 'archive'
  size: number
  /** SHA-256 of the bytes, hex. */
  sha256: string
  /** Indexes of the peers that share it. */
  holders: number[]
  /** Filled in once a holder has indexed it. */
  contentId?: string
}

/** Bounds of the catalogue. */
export interface CatalogueOptions {
  peers: number
  minSize: number
  maxSize: number
}

const EXTENSIONS = { music: 'mp3', video: 'mp4', document: 'pdf', image: 'jpg', archive: 'zip' } as const
const KINDS = Object.keys(EXTENSIONS) as Array<SourceFile['kind']>
const WORDS = ['amber', 'basalt', 'cobalt', 'dune', 'ember', 'fjord', 'garnet', 'harbor', 'indigo', 'juniper', 'kelp', 'lagoon', 'marble', 'nectar', 'onyx', 'prairie', 'quartz', 'raven', 'saffron', 'tundra', 'umber', 'violet', 'willow', 'xenon', 'yarrow', 'zephyr']

/**
 * Plans the shared files: 2–3 of its own per peer, plus about one file in
 * three held by 2–3 peers at once (so downloads draw from several sources and
 * survive one of them dying). Sizes are log-uniform between the bounds, and the
 * first shared file is as large as allowed, so long transfers always exist.
 */
export function planCatalogue (prng: Prng, options: CatalogueOptions): SourceFile[] {
  const files: SourceFile[] = []
  const add = (holders: number[], size: number): void => {
    const index = files.length
    const kind = prng.pick(KINDS)
    const word = `${WORDS[index % WORDS.length]}${Math.floor(index / WORDS.length) || ''}`
    files.push({ name: `${word}-${prng.int(100, 999)}.${EXTENSIONS[kind]}`, word, kind, size, sha256: '', holders })
  }
  const logSize = (): number => Math.round(Math.exp(Math.log(options.minSize) + prng.next() * (Math.log(options.maxSize) - Math.log(options.minSize))))
  const everyone = Array.from({ length: options.peers }, (_, i) => i)
  const sharedCount = Math.max(1, Math.ceil(options.peers / 3))
  for (let i = 0; i < sharedCount; i++) {
    add(prng.sample(everyone, Math.min(options.peers, prng.int(2, 3))).sort((a, b) => a - b), i === 0 ? options.maxSize : logSize())
  }
  for (const peer of everyone) {
    const own = prng.int(2, 3)
    for (let i = 0; i < own; i++) {
      add([peer], logSize())
    }
  }
  return files
}

/**
 * Writes each file into the shared folder of each of its holders and records
 * its SHA-256. The bytes are an AES-CTR keystream keyed by the seed and the
 * file's name: reproducible, incompressible, and fast to make.
 */
export async function writeCatalogue (files: SourceFile[], sharedDirOf: (peer: number) => string, seed: number): Promise<void> {
  for (const file of files) {
    const key = createHash('sha256').update(`peerit-chaos:${seed}:${file.name}`).digest()
    const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16))
    const hash = createHash('sha256')
    const outputs = await Promise.all(file.holders.map(async peer => {
      await mkdir(sharedDirOf(peer), { recursive: true })
      return createWriteStream(join(sharedDirOf(peer), file.name))
    }))
    const zeros = Buffer.alloc(1024 * 1024)
    for (let offset = 0; offset < file.size; offset += zeros.length) {
      const chunk = cipher.update(zeros.subarray(0, Math.min(zeros.length, file.size - offset)))
      hash.update(chunk)
      for (const output of outputs) {
        if (!output.write(chunk)) {
          await new Promise<void>(resolve => { output.once('drain', () => { resolve() }) })
        }
      }
    }
    file.sha256 = hash.digest('hex')
    for (const output of outputs) {
      output.end()
    }
    await Promise.all(outputs.map(async output => finished(output)))
  }
}
