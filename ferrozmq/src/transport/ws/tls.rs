//! `wss://`'s TLS (rustls): a server's certificate and key, and what a
//! client trusts, from PEM given as socket options (libzmq's
//! `ZMQ_WSS_CERT_PEM`, `ZMQ_WSS_KEY_PEM`, `ZMQ_WSS_TRUST_PEM`,
//! `ZMQ_WSS_TRUST_SYSTEM`, `ZMQ_WSS_HOSTNAME`).

use std::io;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, StreamOwned};

use super::io::{Link, Tcp};
use crate::{Error, Result};

/// A socket's TLS settings for `wss://`.
#[derive(Clone, Debug)]
pub(crate) struct TlsOptions {
    /// The server's certificate chain, PEM.
    pub(crate) cert_pem: Option<Bytes>,
    /// The server's private key, PEM.
    pub(crate) key_pem: Option<Bytes>,
    /// Certificates a client trusts, PEM, besides the system's.
    pub(crate) trust_pem: Option<Bytes>,
    /// Whether a client trusts the system's roots.
    pub(crate) trust_system: bool,
    /// The name a client checks the server's certificate against, if not
    /// the endpoint's host.
    pub(crate) hostname: Option<String>,
}

impl Default for TlsOptions {
    fn default() -> Self {
        Self {
            cert_pem: None,
            key_pem: None,
            trust_pem: None,
            trust_system: true,
            hostname: None,
        }
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn certificates(pem: &[u8]) -> std::result::Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no certificate in the PEM".into());
    }
    Ok(certs)
}

/// The system's trusted roots, read once.
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

impl TlsOptions {
    /// A `wss://` server's configuration: its certificate and key must be
    /// set and valid.
    pub(crate) fn server_config(&self) -> Result<Arc<ServerConfig>> {
        let (Some(cert), Some(key)) = (&self.cert_pem, &self.key_pem) else {
            return Err(Error::InvalidOption(
                "a wss:// bind needs wss_cert_pem and wss_key_pem",
            ));
        };
        let invalid = |what: &str, e: String| {
            tracing::warn!(error = %e, "{what}");
            Error::InvalidOption("wss_cert_pem / wss_key_pem are not a valid certificate and key")
        };
        let certs = certificates(cert).map_err(|e| invalid("wss certificate", e))?;
        let key =
            PrivateKeyDer::from_pem_slice(key).map_err(|e| invalid("wss key", e.to_string()))?;
        let config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid("tls", e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| invalid("wss certificate and key", e.to_string()))?;
        Ok(Arc::new(config))
    }

    /// A `wss://` client's TLS over `tcp`, checking the server's
    /// certificate for `host` (or the `wss_hostname` option).
    pub(super) fn client(&self, host: &str, tcp: Tcp) -> io::Result<Link> {
        let mut roots = RootCertStore::empty();
        if self.trust_system {
            roots.add_parsable_certificates(system_roots().iter().cloned());
        }
        if let Some(pem) = &self.trust_pem {
            let certs = certificates(pem).map_err(io::Error::other)?;
            roots.add_parsable_certificates(certs);
        }
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = self.hostname.as_deref().unwrap_or(host);
        let name = ServerName::try_from(name.to_owned())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let conn = ClientConnection::new(Arc::new(config), name).map_err(io::Error::other)?;
        Ok(Link::Client(Box::new(StreamOwned::new(conn, tcp))))
    }
}
