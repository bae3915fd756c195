'use strict'
// The bundled CLI's stand-in for `string-width` (see cli/bundle.ts): yargs
// renders every command's help text up front, measuring each string; the real
// module walks it code point by code point and builds its emoji regex on every
// call, which cost a short command ~15 ms. Printable ASCII is its own width;
// anything else goes to the real module.
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/
let full

module.exports = function stringWidth (text) {
  if (typeof text === 'string' && PRINTABLE_ASCII.test(text)) {
    return text.length
  }
  full ??= require('string-width')
  return full(text)
}
