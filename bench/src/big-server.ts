/** A loopback server for the streaming benchmarks, in its own process: GET /N streams N bytes; POST counts. */
import * as http from "node:http"
import type * as net from "node:net"

const block = Buffer.alloc(256 * 1024, 0x61)
const server = http.createServer((req, res) => {
  if (req.method === "POST") {
    let n = 0
    req.on("data", (d: Buffer) => {
      n += d.length
    })
    req.on("end", () => res.end(String(n)))
    return
  }
  const total = Number((req.url ?? "/0").slice(1))
  res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": total })
  let sent = 0
  const pump = () => {
    while (sent < total) {
      const n = Math.min(block.length, total - sent)
      sent += n
      if (!res.write(n === block.length ? block : block.subarray(0, n))) return res.once("drain", pump)
    }
    res.end()
  }
  pump()
})
server.listen(0, "127.0.0.1", () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`))
