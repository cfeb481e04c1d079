// Preloaded (`node --import`) into a framework's production server started with PORT=0: prints
// the port the OS chose once the first server listens, so tests never guess a free port.
import { Server } from 'node:net'

const listen = Server.prototype.listen
let reported = false
Server.prototype.listen = function (...args) {
  this.once('listening', () => {
    const address = this.address()
    if (reported || !address || typeof address !== 'object') return
    reported = true
    process.stderr.write(`\nframework-server-port=${address.port}\n`)
  })
  return listen.apply(this, args)
}
