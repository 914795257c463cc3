//! The security flags every socket command takes: PLAIN's (a client's
//! user name and password; a server's users, checked by the built-in ZAP
//! handler), CURVE's (keys in Z85; a server's allowed clients), and wss's
//! (the certificate and key a server presents, the CA a client trusts).
//! A command with one socket gives it every flag; `proxy` gives the
//! server's flags to the sockets that bind, the client's to those that
//! connect ([`Security::server_side`], [`Security::client_side`]).

use std::path::PathBuf;

use ferrozmq::{Authenticator, Context};

use crate::Failure;

/// Security options; files are read by [`SecurityArgs::read`].
#[derive(clap::Args, Clone, Debug, Default)]
pub(crate) struct SecurityArgs {
    /// PLAIN client: the user name to log in with.
    #[arg(long, value_name = "USER")]
    pub(crate) plain_user: Option<String>,
    /// PLAIN client: the password.
    #[arg(
        long,
        value_name = "PASS",
        requires = "plain_user",
        allow_hyphen_values = true
    )]
    pub(crate) plain_password: Option<String>,
    /// PLAIN server: let this user in (the user id of its messages is the
    /// user name); repeat for several.
    #[arg(long, value_name = "USER:PASS")]
    pub(crate) plain_allow: Vec<String>,
    /// CURVE server: its secret key (Z85, as `ferrozmq keygen` prints it).
    /// Z85 keys and passwords may start with `-`: taken as values.
    #[arg(long, value_name = "KEY", allow_hyphen_values = true)]
    pub(crate) curve_server_secret: Option<String>,
    /// CURVE client: the server's public key (Z85). Without
    /// --curve-secret, a key pair is made for the run.
    #[arg(long, value_name = "KEY", allow_hyphen_values = true)]
    pub(crate) curve_server_key: Option<String>,
    /// CURVE client: its secret key (Z85; the public one follows from it).
    #[arg(
        long,
        value_name = "KEY",
        requires = "curve_server_key",
        allow_hyphen_values = true
    )]
    pub(crate) curve_secret: Option<String>,
    /// CURVE server: let in the client with this public key (Z85), or
    /// every client whose certificate is in this directory, or `any`
    /// client that knows the server's key; repeat for several. Without
    /// it, as in libzmq, any client that knows the server's key gets in.
    #[arg(
        long,
        value_name = "KEY|DIR|any",
        requires = "curve_server_secret",
        allow_hyphen_values = true
    )]
    pub(crate) curve_allow: Vec<String>,
    /// wss:// binds: the server's certificate chain (PEM file).
    #[arg(long, value_name = "PEM", requires = "wss_key")]
    pub(crate) wss_cert: Option<PathBuf>,
    /// wss:// binds: the server's private key (PEM file).
    #[arg(long, value_name = "PEM", requires = "wss_cert")]
    pub(crate) wss_key: Option<PathBuf>,
    /// wss:// connects: a CA certificate to trust besides the system's (PEM file).
    #[arg(long, value_name = "PEM")]
    pub(crate) wss_trust: Option<PathBuf>,
}

/// The options as read: PEM files read, `USER:PASS` pairs split.
#[derive(Clone)]
pub(crate) struct Security {
    pub(crate) cert: Option<Vec<u8>>,
    pub(crate) key: Option<Vec<u8>>,
    pub(crate) trust: Option<Vec<u8>>,
    pub(crate) plain_user: Option<String>,
    pub(crate) plain_password: Option<String>,
    pub(crate) plain_allow: Vec<(String, String)>,
    pub(crate) curve_server_secret: Option<String>,
    pub(crate) curve_client: Option<(String, String)>,
    pub(crate) curve_allow: Vec<String>,
}

impl Security {
    /// What a socket that binds takes: the server's flags, and wss's
    /// certificate and key.
    pub(crate) fn server_side(&self) -> Self {
        Self {
            trust: None,
            plain_user: None,
            plain_password: None,
            curve_client: None,
            ..self.clone()
        }
    }

    /// What a socket that connects takes: the client's flags, and the CA
    /// wss trusts.
    pub(crate) fn client_side(&self) -> Self {
        Self {
            cert: None,
            key: None,
            plain_allow: Vec::new(),
            curve_server_secret: None,
            curve_allow: Vec::new(),
            ..self.clone()
        }
    }

    /// The built-in ZAP handler for `--plain-allow`, if given: keep it
    /// while the socket runs.
    pub(crate) fn authenticator(&self, ctx: &Context) -> Result<Option<Authenticator>, Failure> {
        if self.plain_allow.is_empty() && self.curve_allow.is_empty() {
            return Ok(None);
        }
        let auth = Authenticator::start(ctx)?;
        for (user, password) in &self.plain_allow {
            auth.add_plain_user(user.clone(), password.clone());
        }
        for allowed in &self.curve_allow {
            if allowed == "any" {
                auth.allow_any_curve_key();
            } else if std::path::Path::new(allowed).is_dir() {
                auth.allow_curve_keys_from(allowed)?;
            } else {
                auth.allow_curve_key(allowed)?;
            }
        }
        Ok(Some(auth))
    }
}

impl SecurityArgs {
    /// Reads the files given and checks the pairs.
    pub(crate) fn read(&self) -> Result<Security, Failure> {
        let read = |path: &Option<PathBuf>| {
            path.as_ref()
                .map(|p| {
                    std::fs::read(p)
                        .map_err(|e| Failure::new(format!("cannot read {}: {e}", p.display())))
                })
                .transpose()
        };
        let plain_allow = self
            .plain_allow
            .iter()
            .map(|pair| {
                pair.split_once(':')
                    .map(|(u, p)| (u.to_owned(), p.to_owned()))
                    .ok_or_else(|| Failure::new(format!("--plain-allow {pair}: give USER:PASS")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Security {
            cert: read(&self.wss_cert)?,
            key: read(&self.wss_key)?,
            trust: read(&self.wss_trust)?,
            plain_user: self.plain_user.clone(),
            plain_password: self.plain_password.clone(),
            plain_allow,
            curve_server_secret: self.curve_server_secret.clone(),
            curve_client: self.curve_server_key.clone().map(|server| {
                let secret = self
                    .curve_secret
                    .clone()
                    .unwrap_or_else(|| ferrozmq::curve_keypair().1);
                (secret, server)
            }),
            curve_allow: self.curve_allow.clone(),
        })
    }
}

/// Gives a socket (blocking or async: both have these setters) the
/// security options.
macro_rules! apply_security {
    ($socket:expr, $security:expr) => {{
        let pems: &$crate::security::Security = $security;
        if let Some(cert) = &pems.cert {
            $socket.set_wss_cert_pem(cert.clone())?;
        }
        if let Some(key) = &pems.key {
            $socket.set_wss_key_pem(key.clone())?;
        }
        if let Some(trust) = &pems.trust {
            $socket.set_wss_trust_pem(trust.clone())?;
        }
        if let Some(user) = &pems.plain_user {
            $socket.set_plain_username(Some(user.clone().into()))?;
            $socket.set_plain_password(pems.plain_password.clone().map(Into::into))?;
        }
        if !pems.plain_allow.is_empty() {
            $socket.set_plain_server(true)?;
        }
        if let Some(secret) = &pems.curve_server_secret {
            $socket.set_curve_server(true)?;
            $socket.set_curve_secretkey(secret)?;
        }
        if let Some((secret, server)) = &pems.curve_client {
            $socket.set_curve_secretkey(secret)?;
            $socket.set_curve_serverkey(server)?;
        }
    }};
}
pub(crate) use apply_security;
