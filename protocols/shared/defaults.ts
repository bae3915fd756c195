/**
 * A service's settings: each option the caller gave, else its default. An
 * option given as `undefined` keeps the default (a plain spread would not).
 */
export function withDefaults<Defaults extends object> (defaults: Defaults, init: { [K in keyof Defaults]?: Defaults[K] | undefined }): Defaults {
  const settings = { ...defaults }
  for (const key of Object.keys(defaults) as Array<keyof Defaults>) {
    const value = init[key]
    if (value !== undefined) {
      settings[key] = value as Defaults[keyof Defaults]
    }
  }
  return settings
}
