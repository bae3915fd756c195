import { get, post } from './api.js'
import { button, cell, formatBytes, formatDuration, formatRate } from './format.js'

// Statuses that end a download: its row moves to the history table.
const FINISHED = new Set(['completed', 'cancelled', 'failed'])
const PAUSABLE = new Set(['queued', 'active'])
const RESUMABLE = new Set(['paused', 'interrupted', 'failed'])

/**
 * The downloads tables. Each download has one row, built once and then
 * updated in place: an update marks the row dirty and the next animation
 * frame rewrites only the cells of dirty rows that are on screen (an
 * IntersectionObserver says which); a row scrolled out of view is brought up
 * to date when it comes back. Hundreds of downloads with progress arriving
 * several times a second then cost a few text writes per frame.
 */
export class DownloadsView {
  constructor (root, { onChange } = {}) {
    this.activeBody = root.querySelector('#active-downloads tbody')
    this.historyBody = root.querySelector('#download-history tbody')
    this.summary = root.querySelector('#downloads-summary')
    this.rows = new Map()
    this.dirty = new Set()
    this.onScreen = new WeakSet()
    this.stale = new Set()
    this.visibility = new IntersectionObserver((changes) => {
      for (const change of changes) {
        const contentId = change.target.dataset.contentId
        if (change.isIntersecting) {
          this.onScreen.add(change.target)
          if (this.stale.delete(contentId)) {
            this.markDirty(contentId)
          }
        } else {
          this.onScreen.delete(change.target)
        }
      }
    }, { rootMargin: '200px 0px' })
    this.frame = 0
    this.onChange = onChange
    this.lastSummary = ''
    this.activeBody.addEventListener('click', (event) => { void this.onClick(event) })
    root.querySelector('#clear-history').addEventListener('click', () => { void this.clearHistory() })
  }

  /** Fetches the whole list (at start and whenever the event stream reconnects). */
  async refresh () {
    this.replaceAll(await get('downloads'))
  }

  /** Shows exactly `list` (newest first), reusing the rows it already has. */
  replaceAll (list) {
    const seen = new Set()
    for (const entry of list) {
      seen.add(entry.contentId)
      this.upsert(entry)
    }
    for (const contentId of [...this.rows.keys()]) {
      if (!seen.has(contentId)) {
        const { tr } = this.rows.get(contentId)
        this.visibility.unobserve(tr)
        tr.remove()
        this.rows.delete(contentId)
        this.stale.delete(contentId)
      }
    }
    // Newest first: place rows in list order; appendChild of a present node only moves it.
    for (const entry of list) {
      const row = this.rows.get(entry.contentId)
      this.bodyFor(row.entry).appendChild(row.tr)
    }
    this.schedule()
  }

  /** A `download:status` event, or a `pause`/`resume`/`cancel` answer: the entry's new state. */
  upsert (entry) {
    let row = this.rows.get(entry.contentId)
    if (row == null) {
      row = this.createRow(entry)
      this.rows.set(entry.contentId, row)
      this.bodyFor(entry).prepend(row.tr)
    } else {
      const wasFinished = FINISHED.has(row.entry.status)
      row.entry = { ...row.entry, ...entry }
      if (wasFinished !== FINISHED.has(row.entry.status)) {
        this.bodyFor(row.entry).prepend(row.tr)
        row.kind = undefined
      }
    }
    this.markDirty(entry.contentId)
  }

  /** A `download:progress` event: figures only; unknown downloads are fetched. */
  progress (p) {
    const row = this.rows.get(p.contentId)
    if (row == null) {
      void this.refresh()
      return
    }
    const entry = row.entry
    entry.size = p.size
    entry.received = p.received
    entry.bytesPerSecond = p.bytesPerSecond
    entry.providers = Array.isArray(p.peers) ? p.peers.length : entry.providers
    if (entry.status === 'queued' && p.received > 0) {
      entry.status = 'active'
    }
    this.markDirty(p.contentId)
  }

  /** The total download rate of the running downloads. */
  totalRate () {
    let total = 0
    for (const { entry } of this.rows.values()) {
      if (entry.status === 'active') {
        total += entry.bytesPerSecond ?? 0
      }
    }
    return total
  }

  /** Whether any download is still moving (the page then re-reads the list now and then). */
  hasRunning () {
    for (const { entry } of this.rows.values()) {
      if (entry.status === 'active' || entry.status === 'queued') {
        return true
      }
    }
    return false
  }

  bodyFor (entry) {
    return FINISHED.has(entry.status) ? this.historyBody : this.activeBody
  }

  markDirty (contentId) {
    this.dirty.add(contentId)
    this.schedule()
  }

  schedule () {
    if (this.frame === 0) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0
        this.render()
      })
    }
  }

  createRow (entry) {
    const tr = document.createElement('tr')
    tr.dataset.contentId = entry.contentId
    this.visibility.observe(tr)
    return { entry: { ...entry }, tr, kind: undefined, cells: undefined }
  }

  /** Builds the row's cells for its table (active or history); later renders only write text. */
  build (row) {
    const tr = row.tr
    tr.replaceChildren()
    const name = cell(row.entry.name, 'name')
    if (FINISHED.has(row.entry.status)) {
      const size = cell('', 'num')
      const done = cell('', 'num')
      const status = cell('')
      const where = cell('', 'muted')
      tr.append(name, size, done, status, where)
      row.cells = { name, size, done, status, where }
      row.kind = 'history'
      return
    }
    const bar = document.createElement('progress')
    bar.max = 1000
    bar.setAttribute('aria-label', `Progress of ${row.entry.name}`)
    const percent = document.createElement('span')
    percent.className = 'percent'
    const progressCell = document.createElement('td')
    progressCell.append(bar, percent)
    const rate = cell('', 'num')
    const eta = cell('', 'num')
    const peers = cell('', 'num')
    const status = cell('')
    const actions = document.createElement('td')
    actions.className = 'actions'
    const pause = button('Pause', { action: 'pause' }, 'secondary small')
    const resume = button('Resume', { action: 'resume' }, 'secondary small')
    const cancel = button('Cancel', { action: 'cancel' }, 'secondary small')
    for (const b of [pause, resume, cancel]) {
      b.setAttribute('aria-label', `${b.textContent} ${row.entry.name}`)
    }
    actions.append(pause, resume, cancel)
    tr.append(name, progressCell, rate, eta, peers, status, actions)
    row.cells = { name, bar, percent, rate, eta, peers, status, pause, resume, cancel }
    row.kind = 'active'
  }

  render () {
    for (const contentId of this.dirty) {
      const row = this.rows.get(contentId)
      if (row == null) {
        continue
      }
      const wanted = FINISHED.has(row.entry.status) ? 'history' : 'active'
      if (row.kind !== wanted) {
        this.build(row)
      } else if (!this.onScreen.has(row.tr)) {
        this.stale.add(contentId)
        continue
      }
      this.renderRow(row)
    }
    this.dirty.clear()
    this.renderSummary()
    this.onChange?.()
  }

  renderRow (row) {
    const { entry, cells } = row
    setText(cells.status, entry.status)
    setClass(cells.status, `status-${entry.status}`)
    if (row.kind === 'history') {
      setText(cells.size, formatBytes(entry.size ?? 0))
      setText(cells.done, `${percentOf(entry)} %`)
      setText(cells.where, entry.path ?? entry.error ?? '')
      return
    }
    const permille = Math.floor(fractionOf(entry) * 1000)
    if (cells.bar.value !== permille) {
      cells.bar.value = permille
    }
    setText(cells.percent, `${percentOf(entry)} %`)
    const running = entry.status === 'active'
    setText(cells.rate, running ? formatRate(entry.bytesPerSecond) : '–')
    const remaining = (entry.size ?? 0) - (entry.received ?? 0)
    setText(cells.eta, running && entry.bytesPerSecond > 0 ? formatDuration(remaining / entry.bytesPerSecond) : '–')
    setText(cells.peers, String(running ? (entry.providers ?? 0) : 0))
    setDisabled(cells.pause, !PAUSABLE.has(entry.status))
    setDisabled(cells.resume, !RESUMABLE.has(entry.status))
  }

  renderSummary () {
    const counts = {}
    for (const { entry } of this.rows.values()) {
      counts[entry.status] = (counts[entry.status] ?? 0) + 1
    }
    const order = ['active', 'queued', 'paused', 'interrupted', 'failed', 'completed', 'cancelled']
    const parts = order.filter(s => counts[s] > 0).map(s => `${counts[s]} ${s}`)
    // Only a change of counts is announced: a live region that spoke every progress tick would be noise.
    const text = parts.length === 0 ? 'No downloads yet.' : `Downloads: ${parts.join(', ')}.`
    if (text !== this.lastSummary) {
      this.summary.textContent = text
      this.lastSummary = text
    }
  }

  async onClick (event) {
    const action = event.target.closest('button')?.dataset.action
    const tr = event.target.closest('tr')
    if (action == null || tr == null) {
      return
    }
    const contentId = tr.dataset.contentId
    try {
      const changed = await post(action, { targets: [contentId] })
      for (const entry of changed) {
        this.upsert(entry)
      }
    } catch (err) {
      this.summary.textContent = `Could not ${action} ${this.rows.get(contentId)?.entry.name ?? contentId}: ${err.message}`
      this.lastSummary = ''
    }
  }

  async clearHistory () {
    this.replaceAll(await post('downloads', { clear: true }))
  }
}

function fractionOf (entry) {
  if (entry.status === 'completed') {
    return 1
  }
  return entry.size > 0 ? Math.min(1, entry.received / entry.size) : 0
}

function percentOf (entry) {
  return Math.floor(fractionOf(entry) * 100)
}

// Writes only what changed: an unchanged write still invalidates style or layout.
function setClass (node, className) {
  if (node.className !== className) {
    node.className = className
  }
}

function setDisabled (node, disabled) {
  if (node.disabled !== disabled) {
    node.disabled = disabled
  }
}

function setText (node, text) {
  if (node.textContent !== text) {
    node.textContent = text
  }
}
