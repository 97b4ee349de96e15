/**
 * The benchmark's loopback server, run in its own process: node:http with keep-alive, a fixed small JSON
 * body. It prints its port on stdout and runs until killed.
 */
import * as http from "node:http"
import type * as net from "node:net"

const body = Buffer.from(JSON.stringify({ ok: true, message: "hello from the bench server" }))
const server = http.createServer((req, res) => {
  req.resume()
  req.on("end", () => {
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": body.length })
    res.end(body)
  })
})
server.keepAliveTimeout = 60_000
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`)
})
