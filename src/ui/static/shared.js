import { get, post, upload } from './api.js'
import { cell, formatBytes } from './format.js'

/** The shared files: the list, uploads from the browser, re-sync. */
export class SharedView {
  constructor (root, { onChange } = {}) {
    this.body = root.querySelector('#shared-files tbody')
    this.status = root.querySelector('#shared-status')
    this.input = root.querySelector('#upload-input')
    this.onChange = onChange
    this.count = 0
    this.input.addEventListener('change', () => { void this.uploadChosen() })
    root.querySelector('#resync').addEventListener('click', () => { void this.resync() })
  }

  async refresh () {
    const files = await get('shared')
    this.count = files.length
    files.sort((a, b) => a.name.localeCompare(b.name))
    this.body.replaceChildren(...files.map((file) => {
      const tr = document.createElement('tr')
      tr.append(cell(file.name, 'name'), cell(formatBytes(file.size), 'num'), cell(file.type), cell(file.id.slice(0, 12), 'muted'))
      return tr
    }))
    this.onChange?.()
  }

  async uploadChosen () {
    const files = [...this.input.files]
    let done = 0
    for (const file of files) {
      this.status.textContent = `Uploading ${file.name} (${done + 1} of ${files.length})…`
      try {
        const shared = await upload(file)
        done++
        this.status.textContent = `Shared ${shared.name} (${formatBytes(shared.size)}).`
      } catch (err) {
        this.status.textContent = `Could not upload ${file.name}: ${err.message}`
        break
      }
    }
    this.input.value = ''
    if (done > 1) {
      this.status.textContent = `Shared ${done} files.`
    }
    await this.refresh()
  }

  async resync () {
    this.status.textContent = 'Re-indexing the shared folder…'
    try {
      const result = await post('sync')
      this.status.textContent = `Synced: ${result.added} added, ${result.updated} updated, ${result.removed} removed, ${result.total} shared.`
    } catch (err) {
      this.status.textContent = `Sync failed: ${err.message}`
    }
    await this.refresh()
  }
}
