import { get, post } from './api.js'
import { button, cell, formatBytes } from './format.js'

/** Fewer local results than this and the search also floods the network, as `search --network` does. */
export const FEW_RESULTS = 5

/** The search form and its results, each with a Download button. */
export class SearchView {
  constructor (root, { onDownload }) {
    this.form = root.querySelector('#search-form')
    this.text = root.querySelector('#search-text')
    this.type = root.querySelector('#search-type')
    this.status = root.querySelector('#search-status')
    this.table = root.querySelector('#results')
    this.body = this.table.querySelector('tbody')
    this.onDownload = onDownload
    this.form.addEventListener('submit', (event) => {
      event.preventDefault()
      void this.search()
    })
    this.body.addEventListener('click', (event) => { void this.onClick(event) })
  }

  async search () {
    const text = this.text.value.trim()
    const type = this.type.value
    if (text === '') {
      return
    }
    this.status.textContent = 'Searching…'
    try {
      let results = await get('search', { text, type, limit: 200 })
      this.show(results)
      if (results.length < FEW_RESULTS) {
        this.status.textContent = `${describe(results.length)} here; asking the network…`
        await post('fetch', { words: text.split(/\s+/), type: type === '' ? undefined : type })
        results = await get('search', { text, type, limit: 200 })
        this.show(results)
        this.status.textContent = `${describe(results.length)} (the network was asked too).`
      } else {
        this.status.textContent = `${describe(results.length)}.`
      }
    } catch (err) {
      this.status.textContent = `Search failed: ${err.message}`
    }
  }

  show (results) {
    this.table.hidden = results.length === 0
    this.body.replaceChildren(...results.map((file) => {
      const tr = document.createElement('tr')
      tr.dataset.id = file.id
      const download = button('Download', { id: file.id, name: file.name }, 'small')
      download.setAttribute('aria-label', `Download ${file.name}`)
      const actions = document.createElement('td')
      actions.className = 'actions'
      actions.append(download)
      tr.append(cell(file.name, 'name'), cell(formatBytes(file.size), 'num'), cell(file.type), cell(String(file.providers.length), 'num'), actions)
      return tr
    }))
  }

  async onClick (event) {
    const target = event.target.closest('button')
    if (target?.dataset.id == null) {
      return
    }
    target.disabled = true
    target.textContent = 'Queued'
    try {
      await this.onDownload(target.dataset.id)
    } catch (err) {
      target.disabled = false
      target.textContent = 'Download'
      this.status.textContent = `Could not download ${target.dataset.name}: ${err.message}`
    }
  }
}

function describe (count) {
  return count === 0 ? 'Nothing found' : `${count} file${count === 1 ? '' : 's'} found`
}
