//! The socket API: [`Socket`] (blocking) and [`AsyncSocket`], thin fronts
//! over one [`SocketCore`].

mod async_socket;
mod core;
mod routing;
pub(crate) mod shared;

pub use async_socket::AsyncSocket;
pub(crate) use core::SocketCore;

use std::future::poll_fn;
use std::time::Duration;

use crate::blocking::block_on;
use crate::endpoint::Endpoint;
use crate::{Error, Message, Result, SendError, SocketType};
use core::Bound;

/// Methods shared by [`Socket`] and [`AsyncSocket`]: options, endpoints,
/// type. Options take effect for connections made after the call.
macro_rules! common_methods {
    () => {
        /// The socket's type.
        pub fn socket_type(&self) -> SocketType {
            self.core.shared.socket_type
        }

        /// The last endpoint bound (resolved: an ephemeral port is
        /// replaced by the port the system chose) or connected.
        pub fn last_endpoint(&self) -> Option<String> {
            self.core.last_endpoint()
        }

        /// A stream of this socket's connection events: what happened to
        /// each connection and, when one was dropped, why. Several
        /// monitors may be open; events come from the moment of the call.
        pub fn monitor(&self) -> crate::Monitor {
            self.core.shared.monitor()
        }

        /// Send high-water mark: messages queued per peer before `send`
        /// blocks (or drops, per socket type). 0 = unlimited. Default 1000.
        pub fn set_sndhwm(&self, messages: usize) -> Result<()> {
            self.core.set(|o| o.sndhwm = messages)
        }

        /// Receive high-water mark: messages queued per peer before the
        /// socket stops reading from it. 0 = unlimited. Default 1000.
        pub fn set_rcvhwm(&self, messages: usize) -> Result<()> {
            self.core.set(|o| o.rcvhwm = messages)
        }

        /// How long queued messages may still be sent after the socket is
        /// dropped (or an endpoint disconnected). `None` = until sent.
        /// Default 30 s: libzmq's default is to wait forever, which hangs a
        /// program's exit when a peer is gone.
        pub fn set_linger(&self, linger: Option<Duration>) -> Result<()> {
            self.core.set(|o| o.linger = linger)
        }

        /// How long `send` waits for room; `None` = forever (default),
        /// zero = never ([`Error::WouldBlock`]). Expiry is [`Error::Timeout`].
        pub fn set_send_timeout(&self, timeout: Option<Duration>) -> Result<()> {
            self.core.send_timeout.set(timeout);
            Ok(())
        }

        /// How long `recv` waits for a message; `None` = forever (default),
        /// zero = never ([`Error::WouldBlock`]). Expiry is [`Error::Timeout`].
        pub fn set_recv_timeout(&self, timeout: Option<Duration>) -> Result<()> {
            self.core.recv_timeout.set(timeout);
            Ok(())
        }

        /// Wait before reconnecting a lost or failed connection. Default 100 ms.
        pub fn set_reconnect_ivl(&self, ivl: Duration) -> Result<()> {
            self.core.set(|o| o.reconnect_ivl = ivl)
        }

        /// Upper bound of the exponential reconnect backoff; `None`
        /// (default) = always wait `reconnect_ivl`.
        pub fn set_reconnect_ivl_max(&self, max: Option<Duration>) -> Result<()> {
            self.core.set(|o| o.reconnect_ivl_max = max)
        }

        /// The routing id announced to peers (READY `Identity`): 1 to 255
        /// bytes, not starting with a zero byte.
        pub fn set_routing_id(&self, id: impl Into<bytes::Bytes>) -> Result<()> {
            let id = id.into();
            if id.is_empty() || id.len() > 255 || id[0] == 0 {
                return Err(Error::InvalidOption(
                    "routing id must be 1 to 255 bytes and not start with a zero byte",
                ));
            }
            self.core.set(|o| o.routing_id = id)
        }

        /// `ZMQ_IMMEDIATE`: messages go only to peers whose connection is
        /// up, so that a `connect` to a peer not (yet) there does not take
        /// messages to hold for it. Applies to connects made after the
        /// call. Default off (libzmq's).
        pub fn set_immediate(&self, on: bool) -> Result<()> {
            self.core.set(|o| o.immediate = on)
        }

        /// See [`set_immediate`](Self::set_immediate).
        pub fn immediate(&self) -> bool {
            self.core.get(|o| o.immediate)
        }

        /// `ZMQ_CONFLATE`: each peer's queues keep only the newest
        /// message, each way (the high-water marks do not apply): a
        /// subscriber that wants the latest value, not every one. Applies
        /// to connections made after the call; for messages of one part,
        /// as in libzmq. Default off.
        pub fn set_conflate(&self, on: bool) -> Result<()> {
            self.core.set(|o| o.conflate = on)
        }

        /// See [`set_conflate`](Self::set_conflate).
        pub fn conflate(&self) -> bool {
            self.core.get(|o| o.conflate)
        }

        /// `ZMQ_IPV6`: a `bind` to `*` listens on every interface of both
        /// families (one dual-stack IPv6 socket) instead of IPv4's only.
        /// IPv6 literals and names work either way. Default off.
        pub fn set_ipv6(&self, on: bool) -> Result<()> {
            self.core.set(|o| o.ipv6 = on)
        }

        /// See [`set_ipv6`](Self::set_ipv6).
        pub fn ipv6(&self) -> bool {
            self.core.get(|o| o.ipv6)
        }

        /// The kernel's send buffer per connection, in bytes
        /// (`ZMQ_SNDBUF`); `None` (default) leaves the system's.
        pub fn set_sndbuf(&self, bytes: Option<usize>) -> Result<()> {
            self.core.set(|o| o.sndbuf = bytes)
        }

        /// See [`set_sndbuf`](Self::set_sndbuf).
        pub fn sndbuf(&self) -> Option<usize> {
            self.core.get(|o| o.sndbuf)
        }

        /// The kernel's receive buffer per connection, in bytes
        /// (`ZMQ_RCVBUF`); `None` (default) leaves the system's.
        pub fn set_rcvbuf(&self, bytes: Option<usize>) -> Result<()> {
            self.core.set(|o| o.rcvbuf = bytes)
        }

        /// See [`set_rcvbuf`](Self::set_rcvbuf).
        pub fn rcvbuf(&self) -> Option<usize> {
            self.core.get(|o| o.rcvbuf)
        }

        /// The IP type-of-service byte of each connection's packets
        /// (`ZMQ_TOS`; the traffic class over IPv6); `None` (default)
        /// leaves the system's.
        pub fn set_tos(&self, tos: Option<u32>) -> Result<()> {
            self.core.set(|o| o.tos = tos)
        }

        /// See [`set_tos`](Self::set_tos).
        pub fn tos(&self) -> Option<u32> {
            self.core.get(|o| o.tos)
        }

        /// TCP keepalive on (`Some(true)`) or off (`Some(false)`)
        /// (`ZMQ_TCP_KEEPALIVE`); `None` (default) leaves the system's.
        pub fn set_tcp_keepalive(&self, on: Option<bool>) -> Result<()> {
            self.core.set(|o| o.tcp_keepalive = on)
        }

        /// See [`set_tcp_keepalive`](Self::set_tcp_keepalive).
        pub fn tcp_keepalive(&self) -> Option<bool> {
            self.core.get(|o| o.tcp_keepalive)
        }

        /// With keepalive on: idle time before the first probe
        /// (`ZMQ_TCP_KEEPALIVE_IDLE`); `None` leaves the system's.
        pub fn set_tcp_keepalive_idle(&self, idle: Option<Duration>) -> Result<()> {
            self.core.set(|o| o.tcp_keepalive_idle = idle)
        }

        /// See [`set_tcp_keepalive_idle`](Self::set_tcp_keepalive_idle).
        pub fn tcp_keepalive_idle(&self) -> Option<Duration> {
            self.core.get(|o| o.tcp_keepalive_idle)
        }

        /// With keepalive on: time between probes
        /// (`ZMQ_TCP_KEEPALIVE_INTVL`); `None` leaves the system's.
        pub fn set_tcp_keepalive_intvl(&self, intvl: Option<Duration>) -> Result<()> {
            self.core.set(|o| o.tcp_keepalive_intvl = intvl)
        }

        /// See [`set_tcp_keepalive_intvl`](Self::set_tcp_keepalive_intvl).
        pub fn tcp_keepalive_intvl(&self) -> Option<Duration> {
            self.core.get(|o| o.tcp_keepalive_intvl)
        }

        /// With keepalive on: unanswered probes before the connection is
        /// dropped (`ZMQ_TCP_KEEPALIVE_CNT`); `None` leaves the system's.
        pub fn set_tcp_keepalive_cnt(&self, count: Option<u32>) -> Result<()> {
            self.core.set(|o| o.tcp_keepalive_cnt = count)
        }

        /// See [`set_tcp_keepalive_cnt`](Self::set_tcp_keepalive_cnt).
        pub fn tcp_keepalive_cnt(&self) -> Option<u32> {
            self.core.get(|o| o.tcp_keepalive_cnt)
        }

        /// ROUTER, STREAM (`ZMQ_CONNECT_ROUTING_ID`): the identity the
        /// peer of the next `connect` has here, whatever it announces (so
        /// that a ROUTER can address a server it connects to before the
        /// server says anything). Used by one `connect`, then cleared.
        pub fn set_connect_routing_id(&self, id: impl Into<bytes::Bytes>) -> Result<()> {
            let id = id.into();
            if !matches!(
                self.core.shared.socket_type,
                SocketType::Router | SocketType::Stream
            ) {
                return Err(Error::InvalidOption(
                    "connect_routing_id is a ROUTER or STREAM option",
                ));
            }
            if id.is_empty() || id.len() > 255 || id[0] == 0 {
                return Err(Error::InvalidOption(
                    "routing id must be 1 to 255 bytes and not start with a zero byte",
                ));
            }
            self.core.set(|o| o.connect_routing_id = Some(id))
        }

        /// ROUTER (`ZMQ_ROUTER_MANDATORY`): a message for an identity with
        /// no peer fails with [`Error::HostUnreachable`] instead of being
        /// dropped, and one for a peer at its HWM waits (or says
        /// `WouldBlock`) instead of being dropped. Default off.
        pub fn set_router_mandatory(&self, on: bool) -> Result<()> {
            self.core.behave(
                &[SocketType::Router],
                "router_mandatory is a ROUTER option",
                |b| b.router_mandatory = on,
            )
        }

        /// See [`set_router_mandatory`](Self::set_router_mandatory).
        pub fn router_mandatory(&self) -> bool {
            self.core.behaviour(|b| b.router_mandatory)
        }

        /// ROUTER (`ZMQ_ROUTER_HANDOVER`): a peer announcing an identity
        /// another peer has takes it over (otherwise the newcomer is
        /// ignored). Default off.
        pub fn set_router_handover(&self, on: bool) -> Result<()> {
            self.core.behave(
                &[SocketType::Router],
                "router_handover is a ROUTER option",
                |b| b.router_handover = on,
            )
        }

        /// See [`set_router_handover`](Self::set_router_handover).
        pub fn router_handover(&self) -> bool {
            self.core.behaviour(|b| b.router_handover)
        }

        /// ROUTER, DEALER, REQ (`ZMQ_PROBE_ROUTER`): send an empty message
        /// to each peer as its connection comes up, so that a ROUTER peer
        /// learns our identity before we say anything. Default off.
        pub fn set_probe_router(&self, on: bool) -> Result<()> {
            let types = [SocketType::Router, SocketType::Dealer, SocketType::Req];
            self.core.behave(
                &types,
                "probe_router is a ROUTER, DEALER or REQ option",
                |b| b.probe_router = on,
            )
        }

        /// See [`set_probe_router`](Self::set_probe_router).
        pub fn probe_router(&self) -> bool {
            self.core.behaviour(|b| b.probe_router)
        }

        /// REQ (`ZMQ_REQ_CORRELATE`): each request carries a 4-byte id
        /// before its delimiter, and only a reply carrying it back is
        /// taken. Default off.
        pub fn set_req_correlate(&self, on: bool) -> Result<()> {
            self.core
                .behave(&[SocketType::Req], "req_correlate is a REQ option", |b| {
                    b.req_correlate = on
                })
        }

        /// See [`set_req_correlate`](Self::set_req_correlate).
        pub fn req_correlate(&self) -> bool {
            self.core.behaviour(|b| b.req_correlate)
        }

        /// REQ (`ZMQ_REQ_RELAXED`): a new request may be sent before the
        /// reply to the last one came; that one is given up (use with
        /// `req_correlate`, so that its late reply is not taken for the
        /// new one's). Default off.
        pub fn set_req_relaxed(&self, on: bool) -> Result<()> {
            self.core
                .behave(&[SocketType::Req], "req_relaxed is a REQ option", |b| {
                    b.req_relaxed = on
                })
        }

        /// See [`set_req_relaxed`](Self::set_req_relaxed).
        pub fn req_relaxed(&self) -> bool {
            self.core.behaviour(|b| b.req_relaxed)
        }

        /// XPUB (`ZMQ_XPUB_VERBOSE`): every subscribe is received, not
        /// only those of a prefix no one had. Default off.
        pub fn set_xpub_verbose(&self, on: bool) -> Result<()> {
            self.core
                .behave(&[SocketType::XPub], "xpub_verbose is an XPUB option", |b| {
                    b.xpub_verbose = on
                })
        }

        /// See [`set_xpub_verbose`](Self::set_xpub_verbose).
        pub fn xpub_verbose(&self) -> bool {
            self.core.behaviour(|b| b.xpub_verbose)
        }

        /// XPUB (`ZMQ_XPUB_VERBOSER`): every subscribe and every
        /// unsubscribe is received. Default off.
        pub fn set_xpub_verboser(&self, on: bool) -> Result<()> {
            self.core.behave(
                &[SocketType::XPub],
                "xpub_verboser is an XPUB option",
                |b| b.xpub_verboser = on,
            )
        }

        /// See [`set_xpub_verboser`](Self::set_xpub_verboser).
        pub fn xpub_verboser(&self) -> bool {
            self.core.behaviour(|b| b.xpub_verboser)
        }

        /// XPUB (`ZMQ_XPUB_WELCOME_MSG`): a message sent to each subscriber
        /// as its connection comes up; `None` (default) sends none.
        pub fn set_xpub_welcome_msg(&self, msg: Option<bytes::Bytes>) -> Result<()> {
            self.core.behave(
                &[SocketType::XPub],
                "xpub_welcome_msg is an XPUB option",
                |b| b.xpub_welcome_msg = msg,
            )
        }

        /// See [`set_xpub_welcome_msg`](Self::set_xpub_welcome_msg).
        pub fn xpub_welcome_msg(&self) -> Option<bytes::Bytes> {
            self.core.behaviour(|b| b.xpub_welcome_msg.clone())
        }

        /// XPUB (`ZMQ_XPUB_MANUAL`): subscriptions from subscribers are
        /// not applied but received, every one; the application applies
        /// one with [`subscribe`](Self::subscribe) (or `unsubscribe`),
        /// for the subscriber whose subscription it received last.
        /// Default off.
        pub fn set_xpub_manual(&self, on: bool) -> Result<()> {
            self.core
                .behave(&[SocketType::XPub], "xpub_manual is an XPUB option", |b| {
                    b.xpub_manual = on
                })
        }

        /// See [`set_xpub_manual`](Self::set_xpub_manual).
        pub fn xpub_manual(&self) -> bool {
            self.core.behaviour(|b| b.xpub_manual)
        }

        /// PUB, XPUB, SUB (`ZMQ_INVERT_MATCHING`): a subscription matches
        /// the messages that do not start with it. Default off.
        pub fn set_invert_matching(&self, on: bool) -> Result<()> {
            let types = [SocketType::Pub, SocketType::XPub, SocketType::Sub];
            self.core.behave(
                &types,
                "invert_matching is a PUB, XPUB or SUB option",
                |b| b.invert_matching = on,
            )
        }

        /// See [`set_invert_matching`](Self::set_invert_matching).
        pub fn invert_matching(&self) -> bool {
            self.core.behaviour(|b| b.invert_matching)
        }

        /// SUB: receive the messages whose first frame starts with
        /// `prefix` (empty: every message). Subscribing twice to a prefix
        /// takes two unsubscribes to end it, as in libzmq. On an XPUB with
        /// `xpub_manual`: subscribes the subscriber whose subscription
        /// message was received last.
        pub fn subscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
            let prefix = bytes::Bytes::copy_from_slice(prefix.as_ref());
            self.core
                .routing()
                .subscribe(&self.core.shared.mailbox, prefix, true)
        }

        /// SUB: ends one subscription to `prefix`.
        pub fn unsubscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
            let prefix = bytes::Bytes::copy_from_slice(prefix.as_ref());
            self.core
                .routing()
                .subscribe(&self.core.shared.mailbox, prefix, false)
        }

        /// Send a PING every `ivl` (ZMTP 3.1 heartbeats); `None` = off (default).
        pub fn set_heartbeat_ivl(&self, ivl: Option<Duration>) -> Result<()> {
            self.core.set(|o| o.heartbeat_ivl = ivl)
        }

        /// Drop the connection when nothing arrives within this time of a
        /// PING; `None` = the heartbeat interval (default), zero = never.
        pub fn set_heartbeat_timeout(&self, timeout: Option<Duration>) -> Result<()> {
            self.core.set(|o| o.heartbeat_timeout = timeout)
        }

        /// The time-to-live announced in our PINGs: the peer drops the
        /// connection when it hears nothing for this long. At most 6553.5 s.
        pub fn set_heartbeat_ttl(&self, ttl: Option<Duration>) -> Result<()> {
            if ttl.is_some_and(|t| t > Duration::from_millis(6_553_500)) {
                return Err(Error::InvalidOption("heartbeat ttl is at most 6553.5 s"));
            }
            self.core.set(|o| o.heartbeat_ttl = ttl)
        }

        /// Largest message accepted from a peer, in bytes, all parts
        /// together; a peer that sends a larger one is disconnected, as soon
        /// as a frame header announces it. A message may also have no more
        /// parts than this many bytes (so a flood of empty parts is cut
        /// off too). libzmq's `ZMQ_MAXMSGSIZE` checks each frame on its own:
        /// a multipart message it accepts may exceed this limit.
        /// `None` = unlimited (default).
        pub fn set_max_msg_size(&self, bytes: Option<u64>) -> Result<()> {
            self.core.set(|o| o.max_msg_size = bytes)
        }

        /// Time a new connection has to complete its handshake; `None` =
        /// unlimited. Default 30 s.
        pub fn set_handshake_ivl(&self, ivl: Option<Duration>) -> Result<()> {
            self.core.set(|o| o.handshake_ivl = ivl)
        }

        /// How long a `connect` attempt may take before it is given up and
        /// retried after the reconnect interval (libzmq's
        /// `ZMQ_CONNECT_TIMEOUT`): a peer that drops our packets does not
        /// hold the endpoint for the system's own timeout, which is
        /// minutes. `None` (default) leaves it to the system.
        pub fn set_connect_timeout(&self, timeout: Option<Duration>) -> Result<()> {
            self.core.set(|o| o.connect_timeout = timeout)
        }

        /// See [`set_sndhwm`](Self::set_sndhwm).
        pub fn sndhwm(&self) -> usize {
            self.core.get(|o| o.sndhwm)
        }

        /// See [`set_rcvhwm`](Self::set_rcvhwm).
        pub fn rcvhwm(&self) -> usize {
            self.core.get(|o| o.rcvhwm)
        }

        /// See [`set_linger`](Self::set_linger).
        pub fn linger(&self) -> Option<Duration> {
            self.core.get(|o| o.linger)
        }

        /// See [`set_send_timeout`](Self::set_send_timeout).
        pub fn send_timeout(&self) -> Option<Duration> {
            self.core.send_timeout.get()
        }

        /// See [`set_recv_timeout`](Self::set_recv_timeout).
        pub fn recv_timeout(&self) -> Option<Duration> {
            self.core.recv_timeout.get()
        }

        /// See [`set_reconnect_ivl`](Self::set_reconnect_ivl).
        pub fn reconnect_ivl(&self) -> Duration {
            self.core.get(|o| o.reconnect_ivl)
        }

        /// See [`set_reconnect_ivl_max`](Self::set_reconnect_ivl_max).
        pub fn reconnect_ivl_max(&self) -> Option<Duration> {
            self.core.get(|o| o.reconnect_ivl_max)
        }

        /// See [`set_routing_id`](Self::set_routing_id); empty when none
        /// was set.
        pub fn routing_id(&self) -> bytes::Bytes {
            self.core.get(|o| o.routing_id.clone())
        }

        /// See [`set_heartbeat_ivl`](Self::set_heartbeat_ivl).
        pub fn heartbeat_ivl(&self) -> Option<Duration> {
            self.core.get(|o| o.heartbeat_ivl)
        }

        /// See [`set_heartbeat_timeout`](Self::set_heartbeat_timeout).
        pub fn heartbeat_timeout(&self) -> Option<Duration> {
            self.core.get(|o| o.heartbeat_timeout)
        }

        /// See [`set_heartbeat_ttl`](Self::set_heartbeat_ttl).
        pub fn heartbeat_ttl(&self) -> Option<Duration> {
            self.core.get(|o| o.heartbeat_ttl)
        }

        /// See [`set_max_msg_size`](Self::set_max_msg_size).
        pub fn max_msg_size(&self) -> Option<u64> {
            self.core.get(|o| o.max_msg_size)
        }

        /// See [`set_handshake_ivl`](Self::set_handshake_ivl).
        pub fn handshake_ivl(&self) -> Option<Duration> {
            self.core.get(|o| o.handshake_ivl)
        }

        /// See [`set_connect_timeout`](Self::set_connect_timeout).
        pub fn connect_timeout(&self) -> Option<Duration> {
            self.core.get(|o| o.connect_timeout)
        }

        /// `wss://` binds: the server's certificate chain, PEM (libzmq's
        /// `ZMQ_WSS_CERT_PEM`); read at `bind`.
        pub fn set_wss_cert_pem(&self, pem: impl Into<bytes::Bytes>) -> Result<()> {
            let pem = pem.into();
            self.core.set(|o| o.tls.cert_pem = Some(pem))
        }

        /// `wss://` binds: the server's private key, PEM
        /// (`ZMQ_WSS_KEY_PEM`).
        pub fn set_wss_key_pem(&self, pem: impl Into<bytes::Bytes>) -> Result<()> {
            let pem = pem.into();
            self.core.set(|o| o.tls.key_pem = Some(pem))
        }

        /// `wss://` connects: certificates to trust besides the system's
        /// roots, PEM (`ZMQ_WSS_TRUST_PEM`).
        pub fn set_wss_trust_pem(&self, pem: impl Into<bytes::Bytes>) -> Result<()> {
            let pem = pem.into();
            self.core.set(|o| o.tls.trust_pem = Some(pem))
        }

        /// `wss://` connects: whether the system's roots are trusted
        /// (`ZMQ_WSS_TRUST_SYSTEM`); default true.
        pub fn set_wss_trust_system(&self, on: bool) -> Result<()> {
            self.core.set(|o| o.tls.trust_system = on)
        }

        /// `wss://` connects: the name the server's certificate must carry,
        /// when not the endpoint's host (`ZMQ_WSS_HOSTNAME`).
        pub fn set_wss_hostname(&self, name: Option<String>) -> Result<()> {
            self.core.set(|o| o.tls.hostname = name)
        }

        /// `ws://` and `wss://` binds: the port also serves this page to a
        /// plain HTTP `GET` of `path` (one that asks no upgrade), so that
        /// a web page and the sockets it talks to share one origin (what
        /// `ferrozmq web` does). Read at `bind`; every socket bound to a
        /// port adds its pages.
        pub fn add_http_page(
            &self,
            path: &str,
            content_type: &str,
            body: impl Into<bytes::Bytes>,
        ) -> Result<()> {
            if !path.starts_with('/') || content_type.contains(['\r', '\n']) {
                return Err(Error::InvalidOption(
                    "a page's path starts with / and its content type is one line",
                ));
            }
            let page = (path.to_owned(), (content_type.to_owned(), body.into()));
            self.core.set(|o| o.http_pages.push(page))
        }

        /// PLAIN (RFC 24): makes this socket the server, which asks the
        /// ZAP handler at `inproc://zeromq.zap.01` of its context about
        /// each client's user name and password (as in libzmq, a PLAIN
        /// server without a handler lets no one in). Read at each new
        /// connection.
        pub fn set_plain_server(&self, on: bool) -> Result<()> {
            self.core.set(|o| o.plain_server = on)
        }

        /// PLAIN: makes this socket a client logging in as `username` (at
        /// most 255 bytes); `None` goes back to NULL.
        pub fn set_plain_username(&self, username: Option<bytes::Bytes>) -> Result<()> {
            if username.as_ref().is_some_and(|u| u.len() > 255) {
                return Err(Error::InvalidOption(
                    "a PLAIN user name is at most 255 bytes",
                ));
            }
            self.core.set(|o| o.plain_username = username)
        }

        /// PLAIN: the client's password (at most 255 bytes).
        pub fn set_plain_password(&self, password: Option<bytes::Bytes>) -> Result<()> {
            if password.as_ref().is_some_and(|p| p.len() > 255) {
                return Err(Error::InvalidOption(
                    "a PLAIN password is at most 255 bytes",
                ));
            }
            self.core.set(|o| o.plain_password = password)
        }

        /// CURVE (RFC 26): makes this socket the server; it needs its
        /// secret key ([`set_curve_secretkey`](Self::set_curve_secretkey)).
        /// It asks the ZAP handler, if one is bound, about each client's
        /// public key; without one any client that knows the server's
        /// public key gets in (as libzmq; `set_zap_enforce_domain` refuses
        /// them instead).
        pub fn set_curve_server(&self, on: bool) -> Result<()> {
            self.core.set(|o| o.curve_server = on)
        }

        /// CURVE: our public key, 32 bytes or 40 Z85 characters.
        pub fn set_curve_publickey(&self, key: impl AsRef<[u8]>) -> Result<()> {
            let key = crate::keys::parse(key.as_ref())?;
            self.core.set(|o| o.curve_public = Some(key))
        }

        /// CURVE: our secret key, 32 bytes or 40 Z85 characters.
        pub fn set_curve_secretkey(&self, key: impl AsRef<[u8]>) -> Result<()> {
            let key = crate::keys::parse(key.as_ref())?;
            self.core
                .set(|o| o.curve_secret = Some(ferrozmq_proto::CurveSecret::new(key)))
        }

        /// CURVE client: the server's public key, 32 bytes or 40 Z85
        /// characters; with our secret key set, makes this socket a CURVE
        /// client.
        pub fn set_curve_serverkey(&self, key: impl AsRef<[u8]>) -> Result<()> {
            let key = crate::keys::parse(key.as_ref())?;
            self.core.set(|o| o.curve_serverkey = Some(key))
        }

        /// See [`set_curve_server`](Self::set_curve_server).
        pub fn curve_server(&self) -> bool {
            self.core.get(|o| o.curve_server)
        }

        /// See [`set_curve_publickey`](Self::set_curve_publickey) (or the
        /// one that goes with the secret key).
        pub fn curve_publickey(&self) -> Option<[u8; 32]> {
            self.core.get(|o| o.curve_publickey())
        }

        /// See [`set_curve_serverkey`](Self::set_curve_serverkey).
        pub fn curve_serverkey(&self) -> Option<[u8; 32]> {
            self.core.get(|o| o.curve_serverkey)
        }

        /// ZAP (RFC 27): the domain handed to the handler. With NULL
        /// security, setting one is what asks the handler about each peer.
        pub fn set_zap_domain(&self, domain: impl Into<bytes::Bytes>) -> Result<()> {
            let domain = domain.into();
            if domain.len() > 255 {
                return Err(Error::InvalidOption("a ZAP domain is at most 255 bytes"));
            }
            self.core.set(|o| o.zap_domain = domain)
        }

        /// ZAP: with a domain set, a connection fails when no handler is
        /// bound (libzmq's `ZMQ_ZAP_ENFORCE_DOMAIN`); default false.
        pub fn set_zap_enforce_domain(&self, on: bool) -> Result<()> {
            self.core.set(|o| o.zap_enforce_domain = on)
        }

        /// See [`set_plain_server`](Self::set_plain_server).
        pub fn plain_server(&self) -> bool {
            self.core.get(|o| o.plain_server)
        }

        /// See [`set_plain_username`](Self::set_plain_username).
        pub fn plain_username(&self) -> Option<bytes::Bytes> {
            self.core.get(|o| o.plain_username.clone())
        }

        /// See [`set_plain_password`](Self::set_plain_password).
        pub fn plain_password(&self) -> Option<bytes::Bytes> {
            self.core.get(|o| o.plain_password.clone())
        }

        /// See [`set_zap_domain`](Self::set_zap_domain).
        pub fn zap_domain(&self) -> bytes::Bytes {
            self.core.get(|o| o.zap_domain.clone())
        }

        /// See [`set_zap_enforce_domain`](Self::set_zap_enforce_domain).
        pub fn zap_enforce_domain(&self) -> bool {
            self.core.get(|o| o.zap_enforce_domain)
        }

        /// See [`set_wss_trust_system`](Self::set_wss_trust_system).
        pub fn wss_trust_system(&self) -> bool {
            self.core.get(|o| o.tls.trust_system)
        }

        /// See [`set_wss_hostname`](Self::set_wss_hostname).
        pub fn wss_hostname(&self) -> Option<String> {
            self.core.get(|o| o.tls.hostname.clone())
        }

        /// Whether a certificate and a key are set for `wss://` binds
        /// (what was set is not given back: it holds a secret).
        pub fn has_wss_cert(&self) -> bool {
            self.core
                .get(|o| o.tls.cert_pem.is_some() && o.tls.key_pem.is_some())
        }
    };
}
pub(crate) use common_methods;

/// A ZeroMQ socket with a blocking API.
///
/// `send` and `recv` block the calling thread (up to the send/receive
/// timeout); connections are served by the context's I/O threads. Dropping
/// the socket closes it at once; queued messages are still sent in the
/// background for up to the linger period.
///
/// ```
/// use ferrozmq::{Context, SocketType};
///
/// let ctx = Context::new();
/// let rep = ctx.socket(SocketType::Rep)?;
/// rep.bind("tcp://127.0.0.1:*")?;
/// let mut req = ctx.socket(SocketType::Req)?;
/// req.connect(&rep.last_endpoint().unwrap())?;
/// # let mut rep = rep;
/// req.send("Hello")?;
/// assert_eq!(rep.recv()?.first().unwrap(), "Hello");
/// rep.send("World")?;
/// assert_eq!(req.recv()?.first().unwrap(), "World");
/// # Ok::<(), ferrozmq::Error>(())
/// ```
#[derive(Debug)]
pub struct Socket {
    core: SocketCore,
}

impl Socket {
    pub(crate) fn new(core: SocketCore) -> Self {
        Self { core }
    }

    common_methods!();

    /// Binds to a local endpoint and accepts connections on it.
    /// `tcp://*:*` binds every IPv4 interface on an ephemeral port (see
    /// [`Socket::last_endpoint`]); the host may also be an IP address, a
    /// network interface's name (`tcp://eth0:5555`, as in libzmq) or a
    /// host name.
    pub fn bind(&self, endpoint: &str) -> Result<()> {
        let setup = self.core.bind_setup();
        let bound = self
            .core
            .bind_failed(endpoint, Bound::new(endpoint, &setup))?;
        self.core.listen(bound)
    }

    /// Connects to an endpoint. Succeeds before the peer exists: the
    /// connection is made, and remade after a loss, in the background.
    /// The peer is `tcp://host:port`, the host an IP address or a DNS
    /// name; as in libzmq, `tcp://source;host:port` connects from a local
    /// address (`*`, an IP literal or an interface's name; port `*` or `0`
    /// for any).
    pub fn connect(&self, endpoint: &str) -> Result<()> {
        self.core
            .connect(Endpoint::parse(endpoint, false)?, endpoint)
    }

    /// Stops listening on an endpoint given to `bind` (or its resolved
    /// form) and closes the connections accepted on it.
    pub fn unbind(&self, endpoint: &str) -> Result<()> {
        self.core.unbind(endpoint)
    }

    /// Closes the connection made by `connect` to this endpoint.
    pub fn disconnect(&self, endpoint: &str) -> Result<()> {
        self.core.disconnect(endpoint)
    }

    /// Closes the socket and waits until what it had queued is sent, or
    /// its linger period has passed (libzmq's `zmq_close` and then
    /// `zmq_ctx_term`, for this one socket). Dropping a socket closes it
    /// without waiting: its messages are flushed in the background, and
    /// the context's drop waits for them.
    pub fn close(self) {
        block_on(self.core.close().flushed(), None);
    }

    /// Sends a message, blocking while no peer can take it (up to the send
    /// timeout). On failure the message comes back in the error.
    pub fn send(&mut self, msg: impl Into<Message>) -> Result<(), SendError> {
        let timeout = self.core.send_timeout.get();
        self.send_within(msg.into(), timeout)
    }

    /// Sends without blocking: [`Error::WouldBlock`] when no peer can take
    /// the message now.
    pub fn try_send(&mut self, msg: impl Into<Message>) -> Result<(), SendError> {
        self.send_within(msg.into(), Some(Duration::ZERO))
    }

    /// Receives a message, blocking until one arrives (up to the receive
    /// timeout).
    pub fn recv(&mut self) -> Result<Message> {
        let timeout = self.core.recv_timeout.get();
        self.recv_within(timeout)
    }

    /// Receives without blocking: [`Error::WouldBlock`] when none is queued.
    pub fn try_recv(&mut self) -> Result<Message> {
        self.recv_within(Some(Duration::ZERO))
    }

    /// What of `events` the socket is ready for now; otherwise the
    /// caller's waker is left to hear of a change.
    pub(crate) fn poll_events(
        &self,
        events: crate::Events,
        cx: &mut std::task::Context<'_>,
    ) -> crate::Events {
        let mut routing = self.core.routing();
        let mailbox = &self.core.shared.mailbox;
        let mut ready = crate::Events::NONE;
        if events.is_writable() && routing.poll_writable(mailbox, cx) {
            ready = ready | crate::Events::WRITABLE;
        }
        if events.is_readable() && routing.poll_readable(mailbox, cx) {
            ready = ready | crate::Events::READABLE;
        }
        ready
    }

    fn send_within(&mut self, msg: Message, timeout: Option<Duration>) -> Result<(), SendError> {
        let mut slot = Some(msg);
        let (routing, mailbox) = self.core.exclusive();
        let send = poll_fn(|cx| routing.poll_send(mailbox, cx, &mut slot));
        match block_on(send, timeout) {
            Some(result) => result,
            None => Err(SendError {
                error: expired(timeout),
                message: slot.take().unwrap_or_default(),
            }),
        }
    }

    fn recv_within(&mut self, timeout: Option<Duration>) -> Result<Message> {
        let (routing, mailbox) = self.core.exclusive();
        let recv = poll_fn(|cx| routing.poll_recv(mailbox, cx));
        block_on(recv, timeout).unwrap_or_else(|| Err(expired(timeout)))
    }
}

/// A socket a proxy moves messages through, polled as a future would be:
/// the blocking kind (held exclusively) or the async kind.
pub(crate) trait Polled {
    fn socket_type(&self) -> SocketType;
    fn poll_recv(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<Message>>;
    fn poll_send(
        &mut self,
        cx: &mut std::task::Context<'_>,
        slot: &mut Option<Message>,
    ) -> std::task::Poll<Result<(), SendError>>;
}

impl Polled for Socket {
    fn socket_type(&self) -> SocketType {
        self.core.shared.socket_type
    }

    fn poll_recv(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<Message>> {
        let (routing, mailbox) = self.core.exclusive();
        routing.poll_recv(mailbox, cx)
    }

    fn poll_send(
        &mut self,
        cx: &mut std::task::Context<'_>,
        slot: &mut Option<Message>,
    ) -> std::task::Poll<Result<(), SendError>> {
        let (routing, mailbox) = self.core.exclusive();
        routing.poll_send(mailbox, cx, slot)
    }
}

impl Polled for &AsyncSocket {
    fn socket_type(&self) -> SocketType {
        self.core.shared.socket_type
    }

    fn poll_recv(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<Message>> {
        self.core.routing().poll_recv(&self.core.shared.mailbox, cx)
    }

    fn poll_send(
        &mut self,
        cx: &mut std::task::Context<'_>,
        slot: &mut Option<Message>,
    ) -> std::task::Poll<Result<(), SendError>> {
        self.core
            .routing()
            .poll_send(&self.core.shared.mailbox, cx, slot)
    }
}

/// The error of a wait that ran out: zero means "don't wait".
fn expired(timeout: Option<Duration>) -> Error {
    if timeout == Some(Duration::ZERO) {
        Error::WouldBlock
    } else {
        Error::Timeout
    }
}
