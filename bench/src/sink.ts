/**
 * The upload benchmark's server, in its own process: node:http reading each request body to its end before
 * answering with the byte count. nginx answers `return` locations without reading the body, which would let
 * a client stop uploading early; this one does not. It prints its port and runs until killed.
 */
import * as http from "node:http"
import type * as net from "node:net"

const server = http.createServer((req, res) => {
  let n = 0
  req.on("data", (d: Buffer) => {
    n += d.length
  })
  req.on("end", () => res.end(String(n)))
})
server.keepAliveTimeout = 120_000
server.listen(0, "127.0.0.1", () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`))
