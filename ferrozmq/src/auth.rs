//! [`Authenticator`]: a ready-made ZAP handler (RFC 27) in the spirit of
//! pyzmq's `zmq.auth`: it serves `inproc://zeromq.zap.01` of a context and
//! decides by the peer's IP address and, for PLAIN, by user name and
//! password. A handler of one's own (a REP or ROUTER socket bound there)
//! works just as well.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;

use crate::{Context, Error, Message, Result, Socket, SocketType};

/// How often the handler's thread looks whether it should stop.
const STOP_CHECK: Duration = Duration::from_millis(100);

/// Who may connect. Addresses are checked first: a denied one never gets
/// in; with an allow list, only its addresses do. Then the mechanism: a
/// PLAIN user needs a matching password; NULL needs nothing more.
#[derive(Debug, Default)]
struct Policy {
    allow: HashSet<IpAddr>,
    deny: HashSet<IpAddr>,
    passwords: HashMap<Bytes, Bytes>,
    /// CURVE clients let in by public key; or any, if chosen.
    curve_keys: HashSet<[u8; 32]>,
    any_curve: bool,
}

impl Policy {
    /// The status code and user id for a request's frames (RFC 27 order).
    fn decide(&self, frames: &[Bytes]) -> (&'static str, &'static str, Bytes) {
        let address = frames
            .get(3)
            .and_then(|a| std::str::from_utf8(a).ok())
            .and_then(|a| a.parse::<IpAddr>().ok());
        let listed = |set: &HashSet<IpAddr>| address.is_some_and(|a| set.contains(&a));
        if listed(&self.deny) || (!self.allow.is_empty() && !listed(&self.allow)) {
            return ("400", "address not allowed", Bytes::new());
        }
        match frames.get(5..) {
            Some([mechanism]) if &mechanism[..] == b"NULL" => ("200", "OK", Bytes::new()),
            Some([mechanism, user, password]) if &mechanism[..] == b"PLAIN" => {
                if self.passwords.get(user) == Some(password) {
                    ("200", "OK", user.clone())
                } else {
                    ("400", "invalid user name or password", Bytes::new())
                }
            }
            Some([mechanism, key]) if &mechanism[..] == b"CURVE" => {
                let known =
                    <[u8; 32]>::try_from(&key[..]).is_ok_and(|k| self.curve_keys.contains(&k));
                if known || self.any_curve {
                    // As pyzmq's: the user id is the key in Z85.
                    let id = ferrozmq_proto::z85::encode(key).unwrap_or_default();
                    ("200", "OK", Bytes::from(id))
                } else {
                    ("400", "unknown CURVE key", Bytes::new())
                }
            }
            _ => ("400", "mechanism not allowed", Bytes::new()),
        }
    }
}

/// A ZAP handler running in a thread of its own for one [`Context`]; it
/// stops when dropped (or [`stop`](Self::stop)ped).
#[derive(Debug)]
pub struct Authenticator {
    policy: Arc<Mutex<Policy>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn lock(policy: &Mutex<Policy>) -> MutexGuard<'_, Policy> {
    policy.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Authenticator {
    /// Binds the context's ZAP endpoint and starts answering; until it is
    /// configured it lets NULL peers in and no PLAIN user.
    pub fn start(ctx: &Context) -> Result<Self> {
        let mut socket = ctx.socket(SocketType::Rep)?;
        socket.set_recv_timeout(Some(STOP_CHECK))?;
        socket.set_linger(Some(Duration::ZERO))?;
        socket.bind(&format!("inproc://{}", crate::zap::HANDLER))?;
        let policy = Arc::new(Mutex::new(Policy::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (policy, stop) = (policy.clone(), stop.clone());
            std::thread::Builder::new()
                .name("ferrozmq-zap".into())
                .spawn(move || serve(&mut socket, &policy, &stop))?
        };
        Ok(Self {
            policy,
            stop,
            thread: Some(thread),
        })
    }

    /// Lets only these addresses in (with others allowed before).
    pub fn allow(&self, address: IpAddr) {
        lock(&self.policy).allow.insert(address);
    }

    /// Keeps this address out.
    pub fn deny(&self, address: IpAddr) {
        lock(&self.policy).deny.insert(address);
    }

    /// A PLAIN user and its password; the user name becomes the peer's
    /// `User-Id`.
    pub fn add_plain_user(&self, user: impl Into<Bytes>, password: impl Into<Bytes>) {
        lock(&self.policy)
            .passwords
            .insert(user.into(), password.into());
    }

    /// PLAIN users from a password file, one `user=password` a line (the
    /// format of pyzmq's `zmq.auth`; blank lines and `#` comments skipped).
    pub fn add_plain_users_from(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let text = std::fs::read_to_string(path)?;
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (user, password) = line.split_once('=').ok_or(Error::InvalidOption(
                "a password file line is user=password",
            ))?;
            self.add_plain_user(user.to_owned(), password.to_owned());
        }
        Ok(())
    }

    /// Lets in the CURVE client with this public key (32 bytes or 40 Z85
    /// characters); its user id is the key in Z85.
    pub fn allow_curve_key(&self, key: impl AsRef<[u8]>) -> Result<()> {
        let key = crate::keys::parse(key.as_ref())?;
        lock(&self.policy).curve_keys.insert(key);
        Ok(())
    }

    /// Lets in the CURVE clients whose public certificates are in `dir`:
    /// pyzmq's format (`zmq.auth.create_certificates`), a
    /// `public-key = "<Z85>"` line in each `*.key` file.
    pub fn allow_curve_keys_from(&self, dir: impl AsRef<std::path::Path>) -> Result<usize> {
        let mut found = 0;
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.extension().is_none_or(|e| e != "key") {
                continue;
            }
            let text = std::fs::read_to_string(&path)?;
            for line in text.lines() {
                if let Some(key) = crate::keys::certificate_value(line, "public-key") {
                    self.allow_curve_key(key)?;
                    found += 1;
                }
            }
        }
        Ok(found)
    }

    /// Lets in any CURVE client that knows the server's key (encryption
    /// without client authentication): an explicit choice, never the
    /// default.
    pub fn allow_any_curve_key(&self) {
        lock(&self.policy).any_curve = true;
    }

    /// Stops answering and lets the ZAP endpoint go.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Authenticator {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Answers requests until told to stop.
fn serve(socket: &mut Socket, policy: &Mutex<Policy>, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let request = match socket.recv() {
            Ok(request) => request,
            Err(Error::Timeout) => continue,
            Err(_) => return,
        };
        let frames = request.parts();
        let (status, text, user_id) = if frames.first().is_some_and(|v| &v[..] == b"1.0") {
            lock(policy).decide(frames)
        } else {
            ("500", "bad version", Bytes::new())
        };
        let reply: Vec<Bytes> = vec![
            Bytes::from_static(b"1.0"),
            frames.get(1).cloned().unwrap_or_default(),
            Bytes::from_static(status.as_bytes()),
            Bytes::from_static(text.as_bytes()),
            user_id,
            Bytes::new(),
        ];
        if socket.send(Message::from(reply)).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(address: &str, mechanism: &'static str, credentials: &[&'static str]) -> Vec<Bytes> {
        let mut frames: Vec<Bytes> = vec![
            "1.0".into(),
            "7".into(),
            "domain".into(),
            Bytes::copy_from_slice(address.as_bytes()),
            Bytes::new(),
            mechanism.into(),
        ];
        frames.extend(credentials.iter().map(|c| Bytes::from(*c)));
        frames
    }

    #[test]
    fn the_policy_checks_addresses_then_credentials() {
        let mut policy = Policy::default();
        policy.passwords.insert("admin".into(), "secret".into());
        let ok = request("10.0.0.1", "PLAIN", &["admin", "secret"]);
        assert_eq!(policy.decide(&ok), ("200", "OK", Bytes::from("admin")));
        let bad = request("10.0.0.1", "PLAIN", &["admin", "wrong"]);
        assert_eq!(policy.decide(&bad).0, "400");
        assert_eq!(policy.decide(&request("10.0.0.1", "NULL", &[])).0, "200");
        assert_eq!(
            policy.decide(&request("10.0.0.1", "CURVE", &["k"])).0,
            "400"
        );
        let key: &'static str = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            policy.decide(&request("10.0.0.1", "CURVE", &[key])).0,
            "400"
        );
        policy.curve_keys.insert(key.as_bytes().try_into().unwrap());
        let (status, _, id) = policy.decide(&request("10.0.0.1", "CURVE", &[key]));
        assert_eq!((status, id.len()), ("200", 40));
        policy.deny.insert("10.0.0.1".parse().unwrap());
        assert_eq!(policy.decide(&ok).0, "400", "denied first");
        policy.allow.insert("10.0.0.2".parse().unwrap());
        assert_eq!(policy.decide(&request("10.0.0.3", "NULL", &[])).0, "400");
        assert_eq!(policy.decide(&request("10.0.0.2", "NULL", &[])).0, "200");
    }
}
