//! The `mem` measurement: 10,000 TCP connections to one REP server process
//! (ferrozmq's REP, libzmq's REP), each used once (a 32 KiB request,
//! answered with a short reply), then left idle. The server's RSS is read
//! from `/proc/PID/status` before the clients connect and ~2 s after the
//! last reply; the difference divided by the connections is the cost of an
//! idle connection that once carried a large message.
//!
//! The client is the same for both servers and uses neither library: a
//! minimal ZMTP 3.1 NULL REQ over `std::net::TcpStream`, in a process of
//! its own that holds every connection open while the RSS is read.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use crate::child;
use crate::process::{Proc, Program};
use crate::results::MemResult;

/// Connections per server.
pub const CONNECTIONS: usize = 10_000;
/// Bytes of each request.
pub const REQUEST: usize = 32 * 1024;
/// The servers measured.
pub const SERVERS: &[&str] = &["libzmq", "ferrozmq"];

/// ZMTP frame flags.
const MORE: u8 = 0x01;
const LONG: u8 = 0x02;
const COMMAND: u8 = 0x04;

/// Raises this process's open-file limit to its hard limit.
pub fn raise_nofile() {
    // SAFETY: getrlimit/setrlimit read and write the struct they are given.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// The 64-byte greeting of a ZMTP 3.1 NULL client.
fn greeting() -> [u8; 64] {
    let mut g = [0u8; 64];
    g[0] = 0xff;
    g[9] = 0x7f;
    g[10] = 3; // version 3.1
    g[11] = 1;
    g[12..16].copy_from_slice(b"NULL");
    // g[32] = 0: as-server false; the rest is filler.
    g
}

fn frame(out: &mut Vec<u8>, flags: u8, body: &[u8]) {
    if body.len() > 255 {
        out.push(flags | LONG);
        out.extend_from_slice(&(body.len() as u64).to_be_bytes());
    } else {
        out.push(flags);
        out.push(body.len() as u8);
    }
    out.extend_from_slice(body);
}

/// Reads one frame: its flags and body.
fn read_frame(s: &mut TcpStream) -> io::Result<(u8, Vec<u8>)> {
    let mut flags = [0u8; 1];
    s.read_exact(&mut flags)?;
    let len = if flags[0] & LONG != 0 {
        let mut n = [0u8; 8];
        s.read_exact(&mut n)?;
        u64::from_be_bytes(n) as usize
    } else {
        let mut n = [0u8; 1];
        s.read_exact(&mut n)?;
        n[0] as usize
    };
    let mut body = vec![0u8; len];
    s.read_exact(&mut body)?;
    Ok((flags[0], body))
}

/// Connects, handshakes as a REQ, sends one request and reads the reply.
fn use_once(addr: &str, request: &[u8]) -> io::Result<TcpStream> {
    let mut s = TcpStream::connect(addr)?;
    s.set_nodelay(true)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.write_all(&greeting())?;
    let mut peer = [0u8; 64];
    s.read_exact(&mut peer)?;
    if peer[0] != 0xff || peer[9] != 0x7f || peer[10] < 3 {
        return Err(io::Error::other("not a ZMTP 3 greeting"));
    }
    let mut ready = b"\x05READY\x0bSocket-Type".to_vec();
    ready.extend_from_slice(&3u32.to_be_bytes());
    ready.extend_from_slice(b"REQ");
    let mut out = Vec::with_capacity(REQUEST + 64);
    frame(&mut out, COMMAND, &ready);
    s.write_all(&out)?;
    let (flags, body) = read_frame(&mut s)?;
    if flags & COMMAND == 0 || !body.starts_with(b"\x05READY") {
        return Err(io::Error::other("no READY from the server"));
    }
    out.clear();
    frame(&mut out, MORE, &[]); // the REQ envelope's empty delimiter
    frame(&mut out, 0, request);
    s.write_all(&out)?;
    loop {
        let (flags, _) = read_frame(&mut s)?;
        if flags & MORE == 0 {
            break;
        }
    }
    Ok(s)
}

/// In the client child: opens `n` connections to `endpoint`, each used
/// once, prints `RESULT <answered> <seconds>` (or `FAILED <why>`), then
/// holds them all until told to exit.
pub fn client(endpoint: &str, n: usize) {
    raise_nofile();
    let addr = endpoint.strip_prefix("tcp://").unwrap_or(endpoint);
    let request = vec![7u8; REQUEST];
    let mut held = Vec::with_capacity(n);
    let start = Instant::now();
    for i in 0..n {
        match use_once(addr, &request) {
            Ok(s) => held.push(s),
            Err(e) => {
                println!("FAILED connection {i}: {e}");
                break;
            }
        }
    }
    println!("RESULT {} {}", held.len(), start.elapsed().as_secs_f64());
    child::wait_exit();
}

/// In the server child: `lib`'s REP, until stdin closes.
pub fn server(lib: &str) {
    raise_nofile();
    thread::spawn(|| {
        child::wait_exit();
        std::process::exit(0);
    });
    match lib {
        "libzmq" => crate::libzmq::mem_server(),
        "ferrozmq" => crate::ferro::mem_server(),
        other => panic!("no mem server for {other}"),
    }
}

/// VmRSS of a process, in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// In the parent: measures each server `wanted` accepts.
pub fn measure(wanted: impl Fn(&str) -> bool, connections: usize) -> Vec<MemResult> {
    SERVERS
        .iter()
        .filter(|s| wanted(s))
        .map(|&server| {
            let mut r = MemResult {
                server: server.to_owned(),
                connections,
                request_bytes: REQUEST,
                answered: 0,
                rss_before_kib: None,
                rss_after_kib: None,
                kib_per_connection: None,
                client_secs: None,
                error: None,
            };
            if let Err(e) = measure_one(&mut r) {
                r.error = Some(e);
            }
            eprintln!(
                "[mem] {server}: {} KiB -> {} KiB, {} KiB/connection{}",
                r.rss_before_kib.unwrap_or(0),
                r.rss_after_kib.unwrap_or(0),
                r.kib_per_connection
                    .map_or("?".into(), |k| format!("{k:.1}")),
                r.error
                    .as_ref()
                    .map_or(String::new(), |e| format!(" FAILED: {e}"))
            );
            r
        })
        .collect()
}

fn measure_one(r: &mut MemResult) -> Result<(), String> {
    let program = Program::this();
    let mut server = Proc::spawn(&program, &["mem-server".into(), r.server.clone()])?;
    let endpoint = server.expect("ENDPOINT ", Instant::now() + Duration::from_secs(20))?;
    thread::sleep(Duration::from_millis(500));
    r.rss_before_kib = rss_kib(server.pid());
    let mut client = Proc::spawn(
        &program,
        &["mem-client".into(), endpoint, r.connections.to_string()],
    )?;
    let done = client.expect("RESULT ", Instant::now() + Duration::from_secs(180));
    let done = done.map_err(|e| format!("client: {e}"))?;
    let mut fields = done.split_whitespace();
    r.answered = fields.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    r.client_secs = fields.next().and_then(|s| s.parse().ok());
    // Idle: let the server settle after the last reply.
    thread::sleep(Duration::from_secs(2));
    r.rss_after_kib = rss_kib(server.pid());
    if let (Some(before), Some(after)) = (r.rss_before_kib, r.rss_after_kib)
        && r.answered > 0
    {
        r.kib_per_connection = Some((after as f64 - before as f64) / r.answered as f64);
    }
    // The server goes first: the TIME_WAITs are then on its side, and the
    // client's ephemeral ports are free for the next server.
    server.finish(Instant::now() + Duration::from_secs(10));
    client.finish(Instant::now() + Duration::from_secs(10));
    if r.answered < r.connections {
        return Err(format!(
            "only {} of {} connections answered",
            r.answered, r.connections
        ));
    }
    Ok(())
}
