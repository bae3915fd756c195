import { get } from './api.js'
import { formatRate } from './format.js'

/** The header's facts: peer id (with copy), reachability, counts, rates. */
export class HeaderView {
  constructor (root, { downloadRate }) {
    this.el = (id) => root.querySelector(`#${id}`)
    this.downloadRate = downloadRate
    this.lastUpload = undefined
    this.el('copy-peer-id').addEventListener('click', () => { void this.copy() })
  }

  async refresh () {
    const status = await get('status')
    this.el('peer-id').textContent = status.peerId
    this.el('peer-id').title = status.peerId
    this.el('connected-peers').textContent = String(status.connectedPeers)
    this.el('shared-count').textContent = String(status.sharedFiles)
    this.el('discovered-count').textContent = String(status.discoveredFiles)
    if (status.reachability != null) {
      this.el('reachability-fact').hidden = false
      this.el('reachability').textContent = status.reachability
    }
    const now = performance.now()
    if (this.lastUpload != null && now > this.lastUpload.at) {
      const rate = Math.max(0, (status.uploadedBytes - this.lastUpload.bytes) / ((now - this.lastUpload.at) / 1000))
      this.el('up-rate').textContent = formatRate(rate)
    }
    this.lastUpload = { bytes: status.uploadedBytes ?? 0, at: now }
    this.showDownloadRate()
    return status
  }

  showDownloadRate () {
    const text = formatRate(this.downloadRate())
    if (this.el('down-rate').textContent !== text) {
      this.el('down-rate').textContent = text
    }
  }

  async copy () {
    const button = this.el('copy-peer-id')
    try {
      await navigator.clipboard.writeText(this.el('peer-id').textContent)
      button.textContent = 'Copied'
    } catch {
      // Without clipboard access, select the id so Ctrl-C copies it.
      getSelection().selectAllChildren(this.el('peer-id'))
      button.textContent = 'Press Ctrl-C'
    }
    setTimeout(() => { button.textContent = 'Copy' }, 1500)
  }
}
