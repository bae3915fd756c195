// Runs in the page (bench/ui.ts evaluates it): 500 downloads in the real DownloadsView,
// every row's progress updated every 250 ms (or, with update false, left still), frames measured.
// eslint-disable-next-line no-unused-vars -- bench/ui.ts calls it inside the page
async function measureDownloadsView (durationMs, update) {
  const { DownloadsView } = await import('/downloads.js')
  document.querySelector('#bench-downloads')?.remove()
  const section = document.querySelector('#downloads').cloneNode(true)
  section.id = 'bench-downloads'
  document.querySelector('main').prepend(section)
  const view = new DownloadsView(section)
  const size = 100 * 1024 * 1024
  const entries = Array.from({ length: 500 }, (_, i) => ({
    contentId: i.toString(16).padStart(64, '0'), name: `file number ${i}.bin`, size, received: 0, status: 'active', providers: 1, bytesPerSecond: 0
  }))
  view.replaceAll(entries)
  // The rows are built in the first frame; measure from the frame after.
  await new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)))
  const renders = []
  const render = view.render.bind(view)
  view.render = () => {
    const started = performance.now()
    render()
    renders.push(performance.now() - started)
  }
  const longFrames = []
  new PerformanceObserver((list) => { for (const e of list.getEntries()) longFrames.push(e.duration) })
    .observe({ type: 'long-animation-frame', buffered: false })
  const intervals = []
  let last = performance.now()
  let running = true
  const tick = (now) => {
    intervals.push(now - last)
    last = now
    if (running) {
      requestAnimationFrame(tick)
    }
  }
  requestAnimationFrame(tick)
  let round = 0
  const timer = setInterval(() => {
    if (!update) {
      return
    }
    round++
    for (const e of entries) {
      view.progress({ contentId: e.contentId, name: e.name, size, received: Math.min(size, round * 400_000 + (parseInt(e.contentId.slice(-3), 16) * 997)), peers: ['p'], bytesPerSecond: 1_600_000 })
    }
  }, 250)
  await new Promise(resolve => setTimeout(resolve, durationMs))
  running = false
  clearInterval(timer)
  const sorted = [...intervals].sort((x, y) => x - y)
  return {
    frames: intervals.length,
    medianFrameMs: sorted[Math.floor(sorted.length / 2)],
    p99FrameMs: sorted[Math.floor(sorted.length * 0.99)],
    maxFrameMs: sorted[sorted.length - 1],
    droppedFrames: intervals.filter(ms => ms > 1000 / 60 * 1.5).length,
    longAnimationFrames: longFrames.length,
    rows: section.querySelectorAll('#active-downloads tbody tr').length,
    renders: renders.length,
    maxRenderMs: renders.length === 0 ? 0 : Math.max(...renders),
    medianRenderMs: renders.length === 0 ? 0 : [...renders].sort((x, y) => x - y)[Math.floor(renders.length / 2)]
  }
}
