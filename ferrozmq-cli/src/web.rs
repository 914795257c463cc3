//! `ferrozmq web`: the browser demo. One HTTP port serves the page, the
//! `ferrozmq.js` module (and its CURVE crypto, `ferrozmq-curve.js`) and
//! the page's two sockets: a REP answering requests (`/rep`) and a PUB
//! publishing a tick every half second (`/pub`), both over ws (wss, given
//! a certificate), and CURVE servers given a secret key: the page then
//! boxes everything with the matching public key.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ferrozmq::{Context, Socket, SocketType};

use crate::Failure;
use crate::security::{SecurityArgs, apply_security};
use crate::text::{message_line, print_line};

const PAGE: &str = include_str!("../../web/demo.html");
const MODULE: &str = include_str!("../../web/ferrozmq.js");
const TYPES: &str = include_str!("../../web/ferrozmq.d.ts");
const CURVE: &str = include_str!("../../web/ferrozmq-curve.js");
const ICON: &str = "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'>\
<circle cx='8' cy='8' r='7' fill='#b7410e'/></svg>";

/// Options of `ferrozmq web`.
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  ferrozmq web                                   # http://127.0.0.1:8080
  ferrozmq web --http 0.0.0.0:8080
  ferrozmq web --req-url ws://127.0.0.1:5555/zmq # the page asks another server
  ferrozmq web --wss-cert cert.pem --wss-key key.pem   # https:// and wss://
  ferrozmq web --curve-server-secret \"$(ferrozmq keygen | tail -1)\"  # CURVE

The page's requests go to this command's REP socket (each answered with
\"Received: <request>\") unless --req-url names another ws endpoint, e.g. a
`ferrozmq server --bind ws://...`; its feed comes from this command's PUB
socket (\"tick N <time>\" on topic \"tick\") unless --sub-url names another.
With --curve-server-secret, this command's sockets are CURVE servers and
the page's sockets CURVE clients of that key (for --req-url and --sub-url
too: give them servers with the same secret).")]
pub(crate) struct Args {
    /// The address to serve on, host:port (port 0: any free one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    http: String,
    /// The ws endpoint the page sends its requests to (default: ours).
    #[arg(long, value_name = "URL")]
    req_url: Option<String>,
    /// The ws endpoint the page's feed subscribes to (default: ours).
    #[arg(long, value_name = "URL")]
    sub_url: Option<String>,
    /// The prefix the page's feed subscribes to.
    #[arg(long, value_name = "PREFIX", default_value = "tick")]
    topic: String,
    #[command(flatten)]
    security: SecurityArgs,
}

/// A JSON string (the page's config is all strings).
fn json(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Serves the demo until killed.
pub(crate) fn run(args: Args) -> Result<(), Failure> {
    let pems = args.security.read()?;
    let secure = pems.cert.is_some();
    let scheme = if secure { "wss" } else { "ws" };
    let ctx = Context::new();
    let _authenticator = pems.authenticator(&ctx)?;
    let mut rep = ctx.socket(SocketType::Rep)?;
    apply_security!(rep, &pems);
    let mut config = vec![format!("\"topic\": {}", json(&args.topic))];
    if let Some(url) = &args.req_url {
        config.push(format!("\"req\": {}", json(url)));
    }
    if let Some(url) = &args.sub_url {
        config.push(format!("\"sub\": {}", json(url)));
    }
    if let Some(secret) = &pems.curve_server_secret {
        let public = ferrozmq::curve_public(secret)?;
        config.push(format!("\"curveServerKey\": {}", json(&public)));
    }
    let config = format!("{{{}}}\n", config.join(", "));
    let pages = [
        ("/", "text/html; charset=utf-8", PAGE),
        ("/index.html", "text/html; charset=utf-8", PAGE),
        ("/ferrozmq.js", "text/javascript; charset=utf-8", MODULE),
        ("/ferrozmq.d.ts", "text/plain; charset=utf-8", TYPES),
        (
            "/ferrozmq-curve.js",
            "text/javascript; charset=utf-8",
            CURVE,
        ),
        ("/config.json", "application/json", &config),
        ("/favicon.ico", "image/svg+xml", ICON),
    ];
    for (path, content_type, body) in pages {
        rep.add_http_page(path, content_type, body.to_owned())?;
    }
    rep.bind(&format!("{scheme}://{}/rep", args.http))?;
    let bound = rep
        .last_endpoint()
        .ok_or_else(|| Failure::new("no endpoint bound"))?;
    let authority = bound
        .split_once("://")
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap_or_default()
        .to_owned();
    let publisher = ctx.socket(SocketType::Pub)?;
    apply_security!(publisher, &pems);
    publisher.bind(&format!("{scheme}://{authority}/pub"))?;
    let http = if secure { "https" } else { "http" };
    print_line(&format!(
        "serving {http}://{authority} (requests: {scheme}://{authority}/rep, feed: {scheme}://{authority}/pub)"
    ));
    std::thread::spawn(move || publish(publisher));
    loop {
        let request = rep.recv()?;
        let line = message_line(&request);
        print_line(&format!("Received request: {line}"));
        rep.send(format!("Received: {line}"))?;
    }
}

/// Publishes `tick N <unix time>` every half second.
fn publish(mut publisher: Socket) {
    for n in 0u64.. {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if publisher.send(format!("tick {n} {now}")).is_err() {
            return;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}
