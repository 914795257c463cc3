// The demo page in headless Chromium against `ferrozmq web`: it loads,
// sends a request and shows the reply from the Rust server, shows the
// published feed, comes back after a server restart (reconnected and
// re-subscribed), and works over wss with a test certificate; with CURVE,
// over ws and wss, it talks to a `ferrozmq server`, and a wrong server
// key fails cleanly. Screenshots of each stage go to target/web/ as
// artefacts of the run.
//
// Run: node --test web/browser-test/ (after `cargo build -p ferrozmq-cli`
// and `npm ci` in web/). CHROMIUM overrides /usr/bin/chromium.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync } from 'node:fs'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { chromium } from 'playwright-core'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const target = process.env.CARGO_TARGET_DIR || path.join(root, 'target')
const cli = path.join(target, 'debug', 'ferrozmq')
const artefacts = path.join(target, 'web')
const certs = path.join(root, 'testdata', 'wss')
const WAIT = 20_000

/** Starts `ferrozmq web` with `args`; resolves to { child, url } once it serves. */
function serve(args) {
  const child = spawn(cli, ['web', ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('ferrozmq web did not start')), WAIT)
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      const match = out.match(/serving (\S+)/)
      if (match) {
        clearTimeout(timer)
        resolve({ child, url: match[1] })
      }
    })
    child.on('exit', (code) => reject(new Error(`ferrozmq web exited: ${code}`)))
  })
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once('exit', resolve)
    child.kill()
  })
}

async function launch(extra = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...extra],
  })
}

/** Sends `text` from the page's form; waits for its reply to show. */
async function ask(page, text, reply = `Received: ${text}`) {
  await page.fill('#request', text)
  await page.click('button')
  const shown = page.locator('#replies li', { hasText: `${text} → ${reply}` })
  await shown.waitFor({ timeout: WAIT })
}

/** The tick number of the newest feed entry. */
async function newestTick(page) {
  return Number((await page.locator('#feed li').first().textContent()).split(' ')[1])
}

test('the demo page talks to the Rust server, and survives its restart', async () => {
  mkdirSync(artefacts, { recursive: true })
  let server = await serve(['--http', '127.0.0.1:0'])
  const browser = await launch()
  try {
    const page = await browser.newPage()
    await page.goto(server.url)
    await page.locator('#req-state', { hasText: 'connected' }).waitFor({ timeout: WAIT })
    await ask(page, 'hello from chromium')
    await page.locator('#feed li', { hasText: 'tick' }).first().waitFor({ timeout: WAIT })
    await page.screenshot({ path: path.join(artefacts, 'demo.png') })

    // The server goes away (once it has ticked a few times, so that the
    // new one's first ticks are below its last): the page sees it, waits.
    await page.waitForFunction(
      () => Number(document.querySelector('#feed li')?.textContent.split(' ')[1]) >= 4,
      null, { timeout: WAIT },
    )
    const before = await newestTick(page)
    await stop(server.child)
    await page.locator('#sub-state', { hasText: 'reconnecting' }).waitFor({ timeout: WAIT })
    // It comes back on the same port, its tick count from zero: a newest
    // tick below the last one seen shows the page re-subscribed.
    server = await serve(['--http', new URL(server.url).host])
    await page.waitForFunction(
      (last) => Number(document.querySelector('#feed li')?.textContent.split(' ')[1]) < last,
      before, { timeout: WAIT },
    )
    await page.locator('#req-state', { hasText: 'connected' }).waitFor({ timeout: WAIT })
    await ask(page, 'after the restart')
    await page.screenshot({ path: path.join(artefacts, 'after-restart.png') })
  } finally {
    await browser.close()
    await stop(server.child)
  }
})

test('the demo page works over wss with a test certificate', async () => {
  mkdirSync(artefacts, { recursive: true })
  const server = await serve(['--http', '127.0.0.1:0',
    '--wss-cert', path.join(certs, 'server.pem'), '--wss-key', path.join(certs, 'server.key')])
  // The test CA is not one Chromium knows: it is told to let that pass.
  const browser = await launch(['--ignore-certificate-errors'])
  try {
    assert.match(server.url, /^https:/)
    const page = await browser.newPage({ ignoreHTTPSErrors: true })
    await page.goto(server.url)
    await page.locator('#req-state', { hasText: 'connected' }).waitFor({ timeout: WAIT })
    assert.match(await page.locator('#req-url').textContent(), /^wss:/)
    await ask(page, 'over wss')
    await page.locator('#feed li', { hasText: 'tick' }).first().waitFor({ timeout: WAIT })
    await page.screenshot({ path: path.join(artefacts, 'wss.png') })
  } finally {
    await browser.close()
    await stop(server.child)
  }
})

/** A new CURVE key pair from `ferrozmq keygen`: { publicKey, secretKey } in Z85. */
function keygen() {
  const [publicKey, secretKey] = spawnSync(cli, ['keygen'], { encoding: 'utf8' }).stdout.trim().split('\n')
  return { publicKey, secretKey }
}

/** A TCP port free a moment ago. */
async function freePort() {
  const probe = net.createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const { port } = probe.address()
  probe.close()
  await once(probe, 'close')
  return port
}

/** `ferrozmq server` with `args`; `waitFor(line)` resolves once it printed that line. */
function rustServer(args) {
  const child = spawn(cli, ['server', ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = []
  const waiters = []
  let rest = ''
  child.stdout.on('data', (chunk) => {
    const parts = (rest + chunk).split('\n')
    rest = parts.pop()
    lines.push(...parts)
    for (const waiter of waiters) if (lines.includes(waiter.line)) waiter.resolve()
  })
  child.lines = lines
  child.waitFor = (line) => new Promise((resolve, reject) => {
    if (lines.includes(line)) return resolve()
    waiters.push({ line, resolve })
    setTimeout(() => reject(new Error(`ferrozmq server never printed ${line}`)), WAIT)
  })
  return child
}

test('CURVE in Chromium, over ws and wss, with a ferrozmq server; a wrong key fails cleanly', async () => {
  mkdirSync(artefacts, { recursive: true })
  const keys = keygen()
  const browser = await launch(['--ignore-certificate-errors'])
  try {
    for (const scheme of ['ws', 'wss']) {
      const tls = scheme === 'wss'
        ? ['--wss-cert', path.join(certs, 'server.pem'), '--wss-key', path.join(certs, 'server.key')]
        : []
      const endpoint = `${scheme}://127.0.0.1:${await freePort()}/zmq`
      const server = rustServer(['--bind', endpoint, '--curve-server-secret', keys.secretKey,
        '--reply', 'boxed reply', ...tls])
      // The page: its requests go to that server, its feed comes from the
      // web command's own PUB, CURVE both, with the same server key.
      const web = await serve(['--http', '127.0.0.1:0', '--req-url', endpoint,
        '--curve-server-secret', keys.secretKey, ...tls])
      try {
        const page = await browser.newPage({ ignoreHTTPSErrors: true })
        const pageErrors = []
        page.on('pageerror', (error) => pageErrors.push(error))
        await page.goto(web.url)
        await page.locator('#security', { hasText: keys.publicKey }).waitFor({ timeout: WAIT })
        await page.locator('#req-state', { hasText: 'connected' }).waitFor({ timeout: WAIT })
        await ask(page, `hello over ${scheme}`, 'boxed reply')
        await server.waitFor(`Received request: hello over ${scheme}`)
        await page.locator('#feed li', { hasText: 'tick' }).first().waitFor({ timeout: WAIT })
        await page.screenshot({ path: path.join(artefacts, `curve-${scheme}.png`) })

        // A socket with a wrong server key: its HELLO does not open, the
        // server drops it, the socket says so and tries again, later each
        // time; nothing reaches the server, nothing comes back, no throw.
        const wrong = await page.evaluate(async ({ endpoint, key }) => {
          const { Request } = await import('/ferrozmq.js')
          const request = new Request({ curveServerKey: key, receiveTimeout: 60_000, reconnectInterval: 50 })
          const errors = []
          const retries = []
          request.events.addEventListener('connect:retry', (e) => retries.push(e.detail.interval))
          const failedTwice = new Promise((resolve) => {
            request.events.addEventListener('handshake:error', (e) => {
              errors.push(e.detail.error.code)
              if (errors.length === 2) resolve()
            })
          })
          request.connect(endpoint)
          await request.send('must not arrive')
          const receiving = request.receive().catch((error) => error.code)
          await failedTwice
          request.close()
          return { errors, retries, receive: await receiving, connected: request.connected }
        }, { endpoint, key: keygen().publicKey })
        assert.deepEqual(wrong.errors, ['EPROTO', 'EPROTO'])
        assert.equal(wrong.receive, 'EAGAIN') // rejected by close(), never answered
        assert.equal(wrong.connected, false)
        assert.ok(wrong.retries[1] > wrong.retries[0], `${wrong.retries}`)
        // The server is still there for a good client, and never saw the bad one's request.
        await ask(page, 'still served', 'boxed reply')
        await server.waitFor('Received request: still served')
        assert.ok(!server.lines.includes('Received request: must not arrive'))
        assert.deepEqual(pageErrors, [])
        await page.close()
      } finally {
        await stop(web.child)
        await stop(server)
      }
    }
  } finally {
    await browser.close()
  }
})
