import { follow, onUnauthorized, post } from './api.js'
import { DownloadsView } from './downloads.js'
import { HeaderView } from './header.js'
import { PeersView } from './peers.js'
import { SearchView } from './search.js'
import { SharedView } from './shared.js'

// The page's start: build the views, load them once, then follow the event
// stream. The status is re-read every few seconds while the tab is visible.
const STATUS_EVERY_MS = 3000
/** While downloads run, the list is re-read this often too, in case an event was missed. */
const DOWNLOADS_EVERY_MS = 10_000

const root = document
const downloads = new DownloadsView(root, { onChange: () => { header.showDownloadRate() } })
const header = new HeaderView(root, { downloadRate: () => downloads.totalRate() })
const shared = new SharedView(root)
const peers = new PeersView(root)
// eslint-disable-next-line no-new
new SearchView(root, {
  onDownload: async (id) => {
    const started = await post('download', { target: id, detach: true })
    if (started?.status != null) {
      downloads.upsert({ size: 0, received: 0, providers: 0, bytesPerSecond: 0, ...started })
    } else {
      await downloads.refresh()
    }
  }
})

let loggedIn = true
onUnauthorized(() => {
  loggedIn = false
  root.querySelector('#login-needed').hidden = false
})

const quietly = (promise) => { promise.catch(() => {}) }

async function loadAll () {
  await Promise.all([header.refresh(), downloads.refresh(), shared.refresh(), peers.refresh()])
}

function start () {
  quietly(loadAll().then(() => {
    document.body.dataset.ready = 'true'
  }))
  follow({
    'download:progress': (p) => { downloads.progress(p) },
    'download:status': (entry) => {
      downloads.upsert(entry)
      if (entry.status === 'completed') {
        quietly(shared.refresh())
      }
    },
    'peer:connected': () => { quietly(peers.refresh()); quietly(header.refresh()) },
    'peer:disconnected': () => { quietly(peers.refresh()); quietly(header.refresh()) },
    'file:discovered': () => { quietly(header.refresh()) }
  }, {
    onOpen: () => {
      root.querySelector('#connection-lost').hidden = true
      quietly(downloads.refresh())
    },
    onDown: () => {
      if (loggedIn) {
        root.querySelector('#connection-lost').hidden = false
      }
    }
  })
  setInterval(() => {
    if (document.visibilityState === 'visible' && loggedIn) {
      quietly(header.refresh())
    }
  }, STATUS_EVERY_MS)
  setInterval(() => {
    if (document.visibilityState === 'visible' && loggedIn && downloads.hasRunning()) {
      quietly(downloads.refresh())
    }
  }, DOWNLOADS_EVERY_MS)
}

start()
