//! Socket options, with libzmq's defaults.

use std::time::Duration;

use bytes::Bytes;
use ferrozmq_proto::{Config, CurveSecret, ProtocolError, Security, SocketType};

use crate::transport::ws::{Page, TlsOptions};

/// Every option of a socket; libzmq's names and defaults.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) sndhwm: usize,
    pub(crate) rcvhwm: usize,
    pub(crate) linger: Option<Duration>,
    pub(crate) reconnect_ivl: Duration,
    pub(crate) reconnect_ivl_max: Option<Duration>,
    pub(crate) routing_id: Bytes,
    pub(crate) heartbeat_ivl: Option<Duration>,
    pub(crate) heartbeat_timeout: Option<Duration>,
    pub(crate) heartbeat_ttl: Option<Duration>,
    pub(crate) max_msg_size: Option<u64>,
    pub(crate) handshake_ivl: Option<Duration>,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) sndbuf: Option<usize>,
    pub(crate) rcvbuf: Option<usize>,
    pub(crate) tos: Option<u32>,
    pub(crate) tcp_keepalive: Option<bool>,
    pub(crate) tcp_keepalive_idle: Option<Duration>,
    pub(crate) tcp_keepalive_intvl: Option<Duration>,
    pub(crate) tcp_keepalive_cnt: Option<u32>,
    pub(crate) immediate: bool,
    pub(crate) conflate: bool,
    pub(crate) ipv6: bool,
    /// Given to the next `connect`'s peer, then cleared.
    pub(crate) connect_routing_id: Option<Bytes>,
    /// `wss://`'s certificates and trust.
    pub(crate) tls: TlsOptions,
    /// Pages a ws port bound by this socket serves to plain `GET`s, by
    /// path.
    pub(crate) http_pages: Vec<(String, Page)>,
    /// PLAIN: this socket is the server.
    pub(crate) plain_server: bool,
    /// PLAIN: this socket is a client logging in with these.
    pub(crate) plain_username: Option<Bytes>,
    pub(crate) plain_password: Option<Bytes>,
    /// CURVE: this socket is the server.
    pub(crate) curve_server: bool,
    /// CURVE: our key pair, and (a client's) the server's public key.
    pub(crate) curve_public: Option<[u8; 32]>,
    pub(crate) curve_secret: Option<CurveSecret>,
    pub(crate) curve_serverkey: Option<[u8; 32]>,
    /// ZAP (RFC 27): the domain given to the handler; with NULL, ZAP is
    /// asked only when one is set.
    pub(crate) zap_domain: Bytes,
    /// ZAP: a connection fails when no handler is there (libzmq's
    /// `ZMQ_ZAP_ENFORCE_DOMAIN`).
    pub(crate) zap_enforce_domain: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            sndhwm: 1000,
            rcvhwm: 1000,
            // libzmq waits forever; we bound it so that a gone peer cannot
            // hang a program's exit (see the `set_linger` docs).
            linger: Some(Duration::from_secs(30)),
            reconnect_ivl: Duration::from_millis(100),
            reconnect_ivl_max: None,
            routing_id: Bytes::new(),
            heartbeat_ivl: None,
            heartbeat_timeout: None,
            heartbeat_ttl: None,
            max_msg_size: None,
            handshake_ivl: Some(Duration::from_secs(30)),
            connect_timeout: None,
            sndbuf: None,
            rcvbuf: None,
            tos: None,
            tcp_keepalive: None,
            tcp_keepalive_idle: None,
            tcp_keepalive_intvl: None,
            tcp_keepalive_cnt: None,
            immediate: false,
            conflate: false,
            ipv6: false,
            connect_routing_id: None,
            tls: TlsOptions::default(),
            http_pages: Vec::new(),
            plain_server: false,
            curve_server: false,
            curve_public: None,
            curve_secret: None,
            curve_serverkey: None,
            plain_username: None,
            plain_password: None,
            zap_domain: Bytes::new(),
            zap_enforce_domain: false,
        }
    }
}

impl Options {
    /// How much a connection's kernel buffer may hold unsent, for a small
    /// `sndhwm` (under 256): about what that many 4 KiB messages weigh, at
    /// least 64 KiB. A small HWM says "buffer little": without this, a
    /// peer that stops reading lets the kernel (whose send buffer Linux
    /// grows to 4 MiB) swallow messages the HWM was to hold back, as
    /// libzmq's does. None for larger or unlimited HWMs, which allow about
    /// that much anyway: the limit costs throughput for larger messages
    /// (about 10% at 4 KiB, measured here), as the writer is woken more
    /// often.
    pub(crate) fn unsent_limit(&self) -> Option<u32> {
        const PER_MESSAGE: usize = 4 * 1024;
        const SMALL_HWM: usize = 256;
        (self.sndhwm != 0 && self.sndhwm < SMALL_HWM)
            .then(|| (self.sndhwm * PER_MESSAGE).max(64 * 1024) as u32)
    }

    /// What a new connection asks of the kernel.
    pub(crate) fn tuning(&self) -> crate::transport::Tuning {
        crate::transport::Tuning {
            unsent_limit: self.unsent_limit(),
            sndbuf: self.sndbuf,
            rcvbuf: self.rcvbuf,
            tos: self.tos,
            keepalive: self.tcp_keepalive,
            keepalive_idle: self.tcp_keepalive_idle,
            keepalive_intvl: self.tcp_keepalive_intvl,
            keepalive_cnt: self.tcp_keepalive_cnt,
        }
    }

    /// How the socket's connections are secured, as libzmq decides it:
    /// CURVE server or client once their keys are set, then PLAIN server
    /// if set so, PLAIN client once a user name is set, NULL otherwise.
    pub(crate) fn security(&self) -> Security {
        if let (true, Some(secret)) = (self.curve_server, &self.curve_secret) {
            return Security::CurveServer {
                secret: secret.clone(),
            };
        }
        if let (Some(server), Some(secret), Some(public)) = (
            self.curve_serverkey,
            &self.curve_secret,
            self.curve_publickey(),
        ) {
            return Security::CurveClient {
                public,
                secret: secret.clone(),
                server,
            };
        }
        if self.plain_server {
            return Security::PlainServer;
        }
        match &self.plain_username {
            Some(username) => Security::PlainClient {
                username: username.clone(),
                password: self.plain_password.clone().unwrap_or_default(),
            },
            None => Security::Null,
        }
    }

    /// Our CURVE public key: the one set, or the one that goes with the
    /// secret key.
    pub(crate) fn curve_publickey(&self) -> Option<[u8; 32]> {
        self.curve_public
            .or_else(|| self.curve_secret.as_ref().map(|s| s.public()))
    }

    /// Whether a new connection's handshake asks the ZAP handler, given
    /// whether one is there; an error when it must and none is (libzmq:
    /// a PLAIN server always asks; NULL asks when a domain is set, and
    /// fails without a handler only with `zap_enforce_domain`).
    pub(crate) fn zap(&self, handler: bool) -> Result<bool, ProtocolError> {
        let must = self.plain_server || self.zap_enforce_domain;
        let asks = self.plain_server || self.curve_server || !self.zap_domain.is_empty();
        match (asks, handler) {
            (true, true) => Ok(true),
            (true, false) if must => Err(ProtocolError::AuthenticationFailed { status_code: 500 }),
            _ => Ok(false),
        }
    }

    /// The protocol configuration of a new connection.
    pub(crate) fn protocol_config(&self, socket_type: SocketType) -> Config {
        let mut config = Config::new(socket_type);
        config.routing_id = self.routing_id.clone();
        config.max_message_size = self.max_msg_size;
        config.handshake_ivl = self.handshake_ivl;
        config.heartbeat_ivl = self.heartbeat_ivl;
        config.heartbeat_timeout = self.heartbeat_timeout;
        config.heartbeat_ttl = self.heartbeat_ttl;
        config.security = self.security();
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unsent_limit_follows_a_small_hwm_only() {
        let mut o = Options::default();
        assert_eq!(o.unsent_limit(), None, "the default HWM");
        o.sndhwm = 0;
        assert_eq!(o.unsent_limit(), None, "no HWM");
        o.sndhwm = 10;
        assert_eq!(o.unsent_limit(), Some(64 * 1024));
        o.sndhwm = 100;
        assert_eq!(o.unsent_limit(), Some(400 * 1024));
    }
}
