// The demo page in headless Chromium against `ferrozmq web`: it loads,
// sends a request and shows the reply from the Rust server, shows the
// published feed, comes back after a server restart (reconnected and
// re-subscribed), and works over wss with a test certificate. Screenshots
// of each stage go to target/web/ as artefacts of the run.
//
// Run: node --test web/browser-test/ (after `cargo build -p ferrozmq-cli`
// and `npm ci` in web/). CHROMIUM overrides /usr/bin/chromium.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
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
async function ask(page, text) {
  await page.fill('#request', text)
  await page.click('button')
  const reply = page.locator('#replies li', { hasText: `${text} → Received: ${text}` })
  await reply.waitFor({ timeout: WAIT })
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
