// Helpers of the JavaScript interop tests: ferrozmq-peer (the scriptable
// ferrozmq socket of interop/examples/ferrozmq-peer.rs) as a child process
// whose stdout lines a test awaits with a deadline, the numbered message
// stream and the hex part format that ferrozmq-peer uses.

"use strict";

const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const readline = require("node:readline");

const ROOT = path.resolve(__dirname, "..", "..");
const TARGET = process.env.CARGO_TARGET_DIR
  ? path.resolve(process.env.CARGO_TARGET_DIR)
  : path.join(ROOT, "target");
const PEER = path.join(TARGET, "debug", "examples", "ferrozmq-peer");
/** Milliseconds any single wait may take before the test fails. */
const WAIT = 10_000;

if (!fs.existsSync(PEER)) {
  throw new Error(
    `${PEER} is missing: build it first with ` +
      "`cargo build -q -p ferrozmq-interop --example ferrozmq-peer`",
  );
}

/** Rejects, telling `what` (a string or a function making one), unless
 * `promise` settles within `ms`. */
function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${typeof what === "function" ? what() : what}: nothing within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A ferrozmq-peer child; its stdout lines are queued for `line()`. */
class Child {
  constructor(args, { stdin = false } = {}) {
    this.args = args.map(String);
    this.proc = spawn(PEER, this.args, { stdio: [stdin ? "pipe" : "ignore", "pipe", "pipe"] });
    this.lines = [];
    this.waiters = [];
    this.stderrText = "";
    this.closed = false;
    this.exitCode = null;
    this.proc.stderr.setEncoding("utf8");
    this.proc.stderr.on("data", (chunk) => {
      this.stderrText += chunk;
    });
    if (stdin) this.proc.stdin.on("error", () => {}); // the child may be gone
    readline.createInterface({ input: this.proc.stdout }).on("line", (line) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter.resolve(line);
      else this.lines.push(line);
    });
    this.proc.on("close", (code, signal) => {
      this.closed = true;
      this.exitCode = code ?? signal;
      for (const waiter of this.waiters.splice(0)) waiter.reject(this.exitError());
    });
  }

  exitError() {
    return new Error(`ferrozmq-peer ${this.args.join(" ")}: exited ${this.exitCode}: ${this.stderrText}`);
  }

  /** The next stdout line, within `ms`. */
  line(ms = WAIT) {
    if (this.lines.length > 0) return Promise.resolve(this.lines.shift());
    if (this.closed) return Promise.reject(this.exitError());
    let waiter;
    const got = new Promise((resolve, reject) => {
      waiter = { resolve, reject };
      this.waiters.push(waiter);
    });
    const what = () => `ferrozmq-peer ${this.args.join(" ")} (stderr: ${this.stderrText})`;
    return within(got, ms, what).catch((e) => {
      const at = this.waiters.indexOf(waiter);
      if (at >= 0) this.waiters.splice(at, 1);
      throw e;
    });
  }

  /** Waits for `READY <endpoint>`; returns the endpoint. */
  async ready() {
    const line = await this.line();
    if (!line.startsWith("READY ")) throw new Error(`expected READY, got ${line}`);
    return line.slice("READY ".length);
  }

  write(line) {
    this.proc.stdin.write(line + "\n");
  }

  /** The exit code, within `ms`. */
  wait(ms = WAIT) {
    if (this.closed) return Promise.resolve(this.exitCode);
    return within(
      new Promise((resolve) => this.proc.once("close", () => resolve(this.exitCode))),
      ms,
      "ferrozmq-peer exit",
    );
  }

  kill() {
    if (!this.closed) this.proc.kill("SIGKILL");
  }
}

/** Starts ferrozmq-peer with `args`; the child is killed when test `t` ends. */
function spawnPeer(t, args, options) {
  const child = new Child(args, options);
  t.after(() => child.kill());
  return child;
}

/** Parts as ferrozmq-peer reads and prints them: hex, `-` for empty. */
function hexParts(parts) {
  return parts.map((p) => (p.length ? Buffer.from(p).toString("hex") : "-")).join(" ");
}

function parseHexParts(line) {
  return line.split(" ").map((h) => (h === "-" ? Buffer.alloc(0) : Buffer.from(h, "hex")));
}

/** A `ferrozmq-peer script` child: one socket call per stdin line. */
class Script {
  constructor(child) {
    this.child = child;
  }

  async answer(line) {
    this.child.write(line);
    const answer = await this.child.line();
    if (answer.startsWith("ERR")) throw new Error(`${line}: ${answer}`);
    return answer;
  }

  async send(parts) {
    const answer = await this.answer("send " + hexParts(parts));
    if (answer !== "SENT") throw new Error(`send: ${answer}`);
  }

  async recv() {
    return parseHexParts(await this.answer("recv"));
  }

  async subscribe(prefix, on = true) {
    const hex = Buffer.from(prefix).toString("hex") || "-";
    const answer = await this.answer(`${on ? "subscribe" : "unsubscribe"} ${hex}`);
    if (answer !== "DONE") throw new Error(`subscribe: ${answer}`);
  }

  /** Lets the socket take in what changed; a message that came, or null. */
  async idle(ms = 20) {
    const answer = await this.answer(`idle ${ms}`);
    return answer === "NONE" ? null : parseHexParts(answer);
  }
}

/** Shows parts briefly: each one's size and first bytes, in hex. */
function brief(parts) {
  return `[${parts
    .map((p) => `${p.length} B ${Buffer.from(p).subarray(0, 16).toString("hex")}${p.length > 16 ? "..." : ""}`)
    .join(", ")}]`;
}

/** Asserts that a message's parts are `expected`, byte for byte, with a
 * short message (deepEqual would print every byte of a 1 MiB part). */
function assertParts(actual, expected, what = "message") {
  const same =
    actual.length === expected.length && actual.every((p, i) => Buffer.from(p).equals(Buffer.from(expected[i])));
  assert.ok(same, `${what}: got ${brief(actual)}, expected ${brief(expected)}`);
}

/** Message `i` of a numbered stream, the same as ferrozmq-peer makes:
 * `i` as 8 bytes big-endian, then 0 B to 1 MiB of `i % 251`. */
function numbered(i) {
  let size;
  if (i % 1000 === 999) size = 1 << 20;
  else if (i % 100 === 99) size = 65536;
  else size = [0, 1, 16, 255, 256, 1000, 4096][i % 7];
  const head = Buffer.alloc(8);
  head.writeBigUInt64BE(BigInt(i));
  return [head, Buffer.alloc(size, i % 251)];
}

/** The messages an event emitter (a jszmq socket) emits, queued, so a
 * test can await the next one with a deadline. */
class Inbox {
  constructor(emitter, event = "message") {
    this.messages = [];
    this.waiters = [];
    emitter.on(event, (...frames) => {
      const parts = frames.map((f) => Buffer.from(f));
      const waiter = this.waiters.shift();
      if (waiter) waiter(parts);
      else this.messages.push(parts);
    });
  }

  /** The next message, within `ms`. */
  next(ms = WAIT) {
    if (this.messages.length > 0) return Promise.resolve(this.messages.shift());
    let waiter;
    const got = new Promise((resolve) => {
      waiter = resolve;
      this.waiters.push(waiter);
    });
    return within(got, ms, "jszmq receive").catch((e) => {
      const at = this.waiters.indexOf(waiter);
      if (at >= 0) this.waiters.splice(at, 1);
      throw e;
    });
  }

  /** A message that is already queued, or null. */
  take() {
    return this.messages.shift() ?? null;
  }
}

/**
 * A ferrozmq PUB (`pub`, a Script) to a JS subscriber of "news" whose
 * next message `receive(ms)` gives (null when none came within `ms`):
 * publishes a "weather" and a "news" message, numbered, until one gets
 * through (a subscription takes a while to reach the publisher); then
 * checks that what follows comes whole, in order, and past the filter only.
 */
async function checkPublished(pub, receive) {
  const b = (s) => Buffer.from(s);
  const deadline = Date.now() + WAIT;
  let first = null;
  for (let n = 0; first === null; n++) {
    assert.ok(Date.now() < deadline, "no message got through: did the subscription reach ferrozmq?");
    const tag = b(String(n));
    await pub.send([b("weather"), tag]);
    await pub.send([b("news"), tag]);
    first = await receive(20);
  }
  assert.equal(first.length, 2);
  assert.equal(first[0].toString(), "news");
  // From now on every message is sent after the subscription: nothing may
  // be lost or reordered, and no message past the filter shows.
  await pub.send([b("weather"), b("last")]);
  await pub.send([b("newsflash"), b("last")]);
  let got = first;
  while (got[1].toString() !== "last") {
    const previous = Number(got[1]);
    got = await receive(WAIT);
    assert.ok(got !== null, "a message went missing");
    assert.ok(got[0].toString().startsWith("news"), `a message past the filter: ${got}`);
    if (got[1].toString() !== "last") assert.equal(Number(got[1]), previous + 1);
  }
  assert.deepEqual(got, [b("newsflash"), b("last")]);
}

module.exports = {
  checkPublished,
  PEER,
  WAIT,
  Child,
  Inbox,
  Script,
  assertParts,
  hexParts,
  numbered,
  parseHexParts,
  spawnPeer,
  within,
};
