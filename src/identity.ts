import { open, readFile } from 'node:fs/promises'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'

/**
 * Loads the node's Ed25519 identity from `path`, creating it on first use.
 * The key is written once with O_EXCL and mode 0600 (set on open, so no umask
 * can widen it), which keeps the peer id stable across restarts.
 */
export async function loadOrCreateIdentity (path: string): Promise<PrivateKey> {
  try {
    return privateKeyFromProtobuf(await readFile(path))
  } catch (err: any) {
    if (err.code !== 'ENOENT') {
      throw new Error(`cannot read the identity key ${path}: ${err.message}`, { cause: err })
    }
  }
  const key = await generateKeyPair('Ed25519')
  let handle
  try {
    handle = await open(path, 'wx', 0o600)
  } catch (err: any) {
    // Another process created it between our read and our write: use theirs.
    if (err.code === 'EEXIST') {
      return privateKeyFromProtobuf(await readFile(path))
    }
    throw err
  }
  try {
    await handle.chmod(0o600)
    await handle.writeFile(privateKeyToProtobuf(key))
    await handle.sync()
  } finally {
    await handle.close()
  }
  return key
}
