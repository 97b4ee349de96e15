/**
 * The benchmark's server: nginx from Debian (installed by `bench/install.sh` when missing), one worker
 * process, on a free loopback port (and the same routes over TLS with HTTP/2 on another), with a temporary
 * config and files. Routes: GET /small (a 51-byte JSON
 * body), POST /post and POST /upload (bodies read and discarded), GET /download (64 MiB), GET /size/N
 * (N bytes, for the scaling table).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { pinned } from "./pin.js"

export const NGINX = "/usr/sbin/nginx"
export const SIZES = [100, 10 * 1024, 1024 * 1024] as const
export const DOWNLOAD_BYTES = 64 * 1024 * 1024

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = net.createServer()
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })

const ready = (port: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const started = Date.now()
    const attempt = () => {
      const socket = net.connect(port, "127.0.0.1")
      socket.once("connect", () => {
        socket.destroy()
        resolve()
      })
      socket.once("error", () => {
        socket.destroy()
        if (Date.now() - started > 10_000) reject(new Error("nginx did not start"))
        else setTimeout(attempt, 50)
      })
    }
    attempt()
  })

/** The repo's test certificate for `localhost`, which the HTTP/2 server presents; clients trust `CA`. */
const tls = (name: string) =>
  new URL(`../../packages/node-transport/test/fixtures/tls/${name}`, import.meta.url).pathname
export const CA = tls("ca.crt")

export interface Server {
  readonly port: number
  /** The same routes over TLS with HTTP/2 (ALPN h2), at `https://localhost:h2Port`. */
  readonly h2Port: number
  readonly version: string
  readonly stop: () => void
}

export const startNginx = async (): Promise<Server> => {
  if (!fs.existsSync(NGINX)) throw new Error(`${NGINX} is missing: run 'bash bench/install.sh' as root`)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "courier-bench-nginx-"))
  const www = path.join(dir, "www")
  fs.mkdirSync(path.join(www, "size"), { recursive: true })
  fs.writeFileSync(path.join(www, "download"), Buffer.alloc(DOWNLOAD_BYTES, 0x61))
  for (const size of SIZES) fs.writeFileSync(path.join(www, "size", String(size)), Buffer.alloc(size, 0x62))
  fs.chmodSync(dir, 0o755)
  const port = await freePort()
  const h2Port = await freePort()
  const small = JSON.stringify({ ok: true, message: "hello from the bench server" })
  const conf = `
worker_processes 1;
daemon off;
master_process off;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  client_max_body_size 0;
  client_body_buffer_size 1m;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  sendfile on;
  tcp_nodelay on;
  server {
    listen 127.0.0.1:${port};
    root ${www};
    location = /small { default_type application/json; return 200 '${small}'; }
    location = /post { default_type text/plain; return 200 'ok'; }
    location = /upload { default_type text/plain; return 200 'ok'; }
    location / { default_type application/octet-stream; }
  }
  server {
    listen 127.0.0.1:${h2Port} ssl http2;
    ssl_certificate ${tls("server.crt")};
    ssl_certificate_key ${tls("server.key")};
    root ${www};
    location = /small { default_type application/json; return 200 '${small}'; }
    location = /post { default_type text/plain; return 200 'ok'; }
    location = /upload { default_type text/plain; return 200 'ok'; }
    location / { default_type application/octet-stream; }
  }
}
`
  fs.writeFileSync(path.join(dir, "nginx.conf"), conf)
  const proc: ChildProcess = spawn(...pinned("server", NGINX, ["-c", path.join(dir, "nginx.conf"), "-p", dir]), {
    stdio: "ignore",
  })
  await ready(port)
  await ready(h2Port)
  const version = spawnSync(NGINX, ["-v"], { encoding: "utf8" }).stderr.trim().replace("nginx version: ", "")
  return {
    port,
    h2Port,
    version,
    stop: () => {
      proc.kill("SIGTERM")
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}
