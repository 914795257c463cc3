//! The `wss://` flags every socket command takes: the certificate and key
//! a wss server presents, the CA a wss client trusts.

use std::path::PathBuf;

use crate::Failure;

/// `wss://` options, as PEM files.
#[derive(clap::Args, Clone, Debug, Default)]
pub(crate) struct TlsArgs {
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

/// The PEM files read: certificate, key, trusted CA.
pub(crate) struct Pems {
    pub(crate) cert: Option<Vec<u8>>,
    pub(crate) key: Option<Vec<u8>>,
    pub(crate) trust: Option<Vec<u8>>,
}

impl TlsArgs {
    /// Reads the files given.
    pub(crate) fn read(&self) -> Result<Pems, Failure> {
        let read = |path: &Option<PathBuf>| {
            path.as_ref()
                .map(|p| {
                    std::fs::read(p)
                        .map_err(|e| Failure::new(format!("cannot read {}: {e}", p.display())))
                })
                .transpose()
        };
        Ok(Pems {
            cert: read(&self.wss_cert)?,
            key: read(&self.wss_key)?,
            trust: read(&self.wss_trust)?,
        })
    }
}

/// Gives a socket (blocking or async: both have these setters) the PEMs.
macro_rules! apply_tls {
    ($socket:expr, $pems:expr) => {{
        let pems: &$crate::tls::Pems = $pems;
        if let Some(cert) = &pems.cert {
            $socket.set_wss_cert_pem(cert.clone())?;
        }
        if let Some(key) = &pems.key {
            $socket.set_wss_key_pem(key.clone())?;
        }
        if let Some(trust) = &pems.trust {
            $socket.set_wss_trust_pem(trust.clone())?;
        }
    }};
}
pub(crate) use apply_tls;
