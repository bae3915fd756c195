import { readdir, readFile } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SECURITY_HEADERS } from './guards.ts'
import type { ServerResponse } from 'node:http'

/** The page's folder: plain HTML, CSS and ES modules, served as they are (no build step). */
export const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url))

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon'
}

interface StaticFile { body: Buffer, type: string }

/**
 * The page's files, read once at start into memory: a URL can only ever name
 * one of them (no path is built from a request), and serving costs no disk
 * access.
 */
export class StaticFiles {
  private readonly files = new Map<string, StaticFile>()

  /** Loads every file of {@link STATIC_DIR} with a known type. */
  async load (dir: string = STATIC_DIR): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const type = CONTENT_TYPES[extname(entry.name)]
      if (entry.isFile() && type != null) {
        this.files.set(`/${entry.name}`, { body: await readFile(join(dir, entry.name)), type })
      }
    }
    const index = this.files.get('/index.html')
    if (index != null) {
      this.files.set('/', index)
    }
  }

  /** Sends the file for a URL path; false when there is none. */
  serve (path: string, response: ServerResponse, head: boolean): boolean {
    const file = this.files.get(path)
    if (file == null) {
      return false
    }
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': file.type,
      'Content-Length': file.body.length,
      // Revalidated each time: a daemon upgrade must show its new page at once.
      'Cache-Control': 'no-cache'
    })
    response.end(head ? undefined : file.body)
    return true
  }
}
