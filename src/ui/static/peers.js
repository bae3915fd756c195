import { get, post } from './api.js'
import { button, cell, shortPeerId, timeOfDay } from './format.js'

/** Peers: the list (direct/relayed, since when), connect by address, disconnect. */
export class PeersView {
  constructor (root) {
    this.body = root.querySelector('#peer-list tbody')
    this.status = root.querySelector('#peers-status')
    this.form = root.querySelector('#connect-form')
    this.url = root.querySelector('#connect-url')
    this.form.addEventListener('submit', (event) => {
      event.preventDefault()
      void this.connect()
    })
    this.body.addEventListener('click', (event) => { void this.onClick(event) })
  }

  async refresh () {
    const peers = await get('peers')
    peers.sort((a, b) => Number(b.connected) - Number(a.connected))
    this.body.replaceChildren(...peers.map((peer) => {
      const tr = document.createElement('tr')
      const id = cell(shortPeerId(peer.peerId))
      id.title = peer.peerId ?? ''
      const state = cell(peer.connected ? 'connected' : 'down', peer.connected ? 'state-connected' : 'muted')
      const actions = document.createElement('td')
      actions.className = 'actions'
      const target = peer.peerId ?? peer.addresses[0]
      if (target != null) {
        const disconnect = button('Disconnect', { target }, 'secondary small')
        disconnect.setAttribute('aria-label', `Disconnect ${shortPeerId(peer.peerId)}`)
        actions.append(disconnect)
      }
      tr.append(id, state, cell(peer.connection ?? '–'),
        cell(peer.connected ? timeOfDay(peer.connectedSince) : '–'), cell(peer.addresses.join(' '), 'name muted'), actions)
      return tr
    }))
  }

  async connect () {
    const url = this.url.value.trim()
    if (url === '') {
      return
    }
    this.status.textContent = `Connecting to ${url}…`
    try {
      const result = await post('connect', { url })
      this.status.textContent = `Connected to ${shortPeerId(result.peerId)} at ${result.address}.`
      this.url.value = ''
    } catch (err) {
      this.status.textContent = `Could not connect: ${err.message}`
    }
    await this.refresh()
  }

  async onClick (event) {
    const target = event.target.closest('button')?.dataset.target
    if (target == null) {
      return
    }
    try {
      await post('disconnect', { target })
      this.status.textContent = `Disconnected ${shortPeerId(target)}.`
    } catch (err) {
      this.status.textContent = `Could not disconnect: ${err.message}`
    }
    await this.refresh()
  }
}
