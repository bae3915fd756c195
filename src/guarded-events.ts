import { TypedEventEmitter } from 'main-event'
import type { EventHandler } from 'main-event'

type Listener = EventHandler<Event>
type Guard = (event: Event) => void
type AddOptions = Parameters<EventTarget['addEventListener']>[2]
type RemoveOptions = Parameters<EventTarget['removeEventListener']>[2]

/**
 * A {@link TypedEventEmitter} whose listeners cannot hurt the emitter. A
 * try/catch around `dispatchEvent` catches nothing: Node's EventTarget
 * reports a listener's exception (and an async listener's rejection) as
 * `uncaughtException`, which kills an embedding program. So each listener is
 * wrapped when it is added, and its failure goes to {@link listenerFailed}.
 */
export class GuardedEventEmitter<EventMap extends Record<string, any>> extends TypedEventEmitter<EventMap> {
  // One guard per listener, so adding the same listener twice stays a no-op and removing it works.
  private readonly guards = new WeakMap<Listener, Guard>()

  override addEventListener (type: any, listener: any, options?: AddOptions): void {
    super.addEventListener(type, listener == null ? listener : this.guardOf(listener), options)
  }

  override removeEventListener (type: any, listener?: any, options?: RemoveOptions): void {
    super.removeEventListener(type, listener == null ? listener : (this.guards.get(listener) ?? listener), options)
  }

  /** Called with whatever a listener threw or rejected with; subclasses log it. */
  protected listenerFailed (_type: string, _err: unknown): void {}

  private guardOf (listener: Listener): Guard {
    let guard = this.guards.get(listener)
    if (guard === undefined) {
      guard = (event: Event): void => {
        try {
          const result: unknown = typeof listener === 'function' ? listener.call(this, event) : listener.handleEvent(event)
          if (result instanceof Promise) {
            result.catch((err: unknown) => { this.listenerFailed(event.type, err) })
          }
        } catch (err) {
          this.listenerFailed(event.type, err)
        }
      }
      this.guards.set(listener, guard)
    }
    return guard
  }
}
