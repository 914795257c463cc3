//! Socket options, with libzmq's defaults.

use std::time::Duration;

use bytes::Bytes;
use ferrozmq_proto::{Config, SocketType};

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
        }
    }
}

impl Options {
    /// The protocol configuration of a new connection.
    pub(crate) fn protocol_config(&self, socket_type: SocketType) -> Config {
        let mut config = Config::new(socket_type);
        config.routing_id = self.routing_id.clone();
        config.max_message_size = self.max_msg_size;
        config.handshake_ivl = self.handshake_ivl;
        config.heartbeat_ivl = self.heartbeat_ivl;
        config.heartbeat_timeout = self.heartbeat_timeout;
        config.heartbeat_ttl = self.heartbeat_ttl;
        config
    }
}
