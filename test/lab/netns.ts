/**
 * Network namespaces for the NAT lab, built with `ip` and `nft` only inside
 * namespaces this run creates (names `pl<pid>-<role>`). Interfaces are created
 * straight inside their namespaces (`ip -n`), so nothing ever touches the
 * root namespace; every namespace is deleted at the end, on failure and on a
 * signal too, and leftovers of earlier runs (prefix `pl<pid>-` of a pid that
 * no longer runs) are removed first.
 */
import { execFile, execFileSync } from 'node:child_process'

/** Why the lab cannot run here, or undefined when it can. */
export function labUnavailable (): string | undefined {
  if (process.platform !== 'linux') {
    return `the NAT lab needs Linux network namespaces (this is ${process.platform})`
  }
  if (process.getuid?.() !== 0) {
    return 'the NAT lab needs root (network namespaces and nftables); run it with sudo'
  }
  const missing = ['ip', 'nft'].filter(tool => !hasTool(tool))
  if (missing.length > 0) {
    const packages = missing.map(tool => tool === 'ip' ? 'iproute2' : 'nftables').join(' ')
    return `the NAT lab needs ${missing.map(tool => `\`${tool}\``).join(' and ')}: install with \`apt-get install -y ${packages}\``
  }
  return undefined
}

function hasTool (tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const PREFIX_PATTERN = /^pl(\d+)-/

/** Runs a command, rejecting with its stderr; bounded so a stuck tool cannot hang the lab. */
export async function run (file: string, args: string[], timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err != null) {
        reject(new Error(`${file} ${args.join(' ')}: ${stderr.trim() || err.message}`))
      } else {
        resolve(stdout)
      }
    })
  })
}

/** The namespaces of one lab run. */
export class Namespaces {
  /** `pl<pid>-`: unique per run, recognisable as ours afterwards. */
  readonly prefix = `pl${process.pid}-`
  private readonly created: string[] = []

  /** The full name of a role's namespace. */
  name (role: string): string {
    return `${this.prefix}${role}`
  }

  /** Creates a namespace with its loopback up. */
  async add (role: string): Promise<string> {
    const ns = this.name(role)
    await run('ip', ['netns', 'add', ns])
    this.created.push(ns)
    await this.ip(role, 'link', 'set', 'lo', 'up')
    return ns
  }

  /** `ip -n <ns> …` */
  async ip (role: string, ...args: string[]): Promise<string> {
    return run('ip', ['-n', this.name(role), ...args])
  }

  /** A command inside a role's namespace. */
  async exec (role: string, file: string, ...args: string[]): Promise<string> {
    return run('ip', ['netns', 'exec', this.name(role), file, ...args])
  }

  /** An nftables ruleset loaded inside a role's namespace. */
  async nft (role: string, ruleset: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const child = execFile('ip', ['netns', 'exec', this.name(role), 'nft', '-f', '-'], { timeout: 20_000 }, (err, _stdout, stderr) => {
        if (err != null) {
          reject(new Error(`nft in ${role}: ${stderr.trim() || err.message}`))
        } else {
          resolve()
        }
      })
      child.stdin?.end(ruleset)
    })
  }

  /**
   * A veth pair from `a` (named `aName`) to `b` (named `bName`), created
   * inside `a` with its peer moved straight into `b`.
   */
  async veth (a: string, aName: string, b: string, bName: string): Promise<void> {
    await this.ip(a, 'link', 'add', aName, 'type', 'veth', 'peer', 'name', bName, 'netns', this.name(b))
    await this.ip(a, 'link', 'set', aName, 'up')
    await this.ip(b, 'link', 'set', bName, 'up')
  }

  /** Deletes every namespace this run made (synchronously, so it also works from an exit handler). */
  deleteAll (): void {
    for (const ns of this.created.splice(0).reverse()) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 10_000 })
      } catch {
        // already gone
      }
    }
  }

  /** Deletes namespaces left by earlier lab runs whose process is gone. */
  static removeLeftovers (): string[] {
    let names: string[]
    try {
      names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 10_000 }).split('\n').map(line => line.split(' ')[0]).filter(name => name !== '')
    } catch {
      return []
    }
    const removed: string[] = []
    for (const name of names) {
      const match = PREFIX_PATTERN.exec(name)
      if (match == null || isAlive(Number(match[1]))) {
        continue
      }
      try {
        execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 10_000 })
        removed.push(name)
      } catch {}
    }
    return removed
  }
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
