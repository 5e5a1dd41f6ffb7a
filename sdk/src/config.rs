//! Client configuration: the server zone table, timeouts and the bounds on queues.
//!
//! What it is: plain data with YIM-like defaults, handed to the `ClientMachine` (and through
//! it to the driver). What it is not: per-login settings (app key and secret go through
//! `init`, credentials through `Call::Login`).

use std::collections::BTreeMap;
use std::fmt;

/// YIM's `ServerZone`: where the app's servers are. Numbers are YIM's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u32)]
pub enum ServerZone {
    /// Mainland China (YIM's default).
    China = 0,
    /// Singapore.
    Singapore = 1,
    /// The United States.
    America = 2,
    /// Hong Kong.
    HongKong = 3,
    /// South Korea.
    Korea = 4,
    /// Australia.
    Australia = 5,
    /// Germany.
    Deutschland = 6,
    /// Brazil.
    Brazil = 7,
    /// India.
    India = 8,
    /// Japan.
    Japan = 9,
    /// Ireland.
    Ireland = 10,
    /// Thailand.
    Thailand = 11,
    /// Taiwan.
    Taiwan = 12,
    /// YIM's "unknown" zone (sic).
    Unknow = 9999,
}

impl ServerZone {
    /// Every zone, in numeric order.
    pub const ALL: [ServerZone; 14] = [
        ServerZone::China,
        ServerZone::Singapore,
        ServerZone::America,
        ServerZone::HongKong,
        ServerZone::Korea,
        ServerZone::Australia,
        ServerZone::Deutschland,
        ServerZone::Brazil,
        ServerZone::India,
        ServerZone::Japan,
        ServerZone::Ireland,
        ServerZone::Thailand,
        ServerZone::Taiwan,
        ServerZone::Unknow,
    ];

    /// YIM's number for the zone.
    pub fn as_u32(self) -> u32 {
        self as u32
    }

    /// The zone with this number, if YIM defines one.
    pub fn from_u32(value: u32) -> Option<ServerZone> {
        ServerZone::ALL.into_iter().find(|z| z.as_u32() == value)
    }
}

impl fmt::Display for ServerZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ({})", self, self.as_u32())
    }
}

/// Settings of one client. `Default` has an empty zone table: start from
/// [`ClientConfig::with_server`], add zones with [`ClientConfig::with_zone`], or fill `zones`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Server address ("host:port") of each zone the app may `init` with.
    pub zones: BTreeMap<ServerZone, String>,
    /// How long a call may wait for the server's reply (login: from the call until the login
    /// reply, connecting included) before it completes with `TimeOut`.
    pub request_timeout_ms: u64,
    /// Send a `Ping` when nothing has been sent for this long while logged in.
    pub heartbeat_interval_ms: u64,
    /// Treat the connection as lost when nothing has been received for this long while
    /// logged in.
    pub heartbeat_timeout_ms: u64,
    /// Calls waiting for their completion at once; past this a call fails with `StatusError`.
    pub max_pending_calls: usize,
    /// Events queued for the application past which the driver stops reading the socket.
    pub max_queued_events: usize,
    /// Message IDs remembered (in the local store) as handed to the application, so a message
    /// the server sends again, also after an app restart, is handed over once. Must cover the
    /// server's redelivery window (a mailbox of up to 1000 messages).
    pub delivered_window: usize,
    /// Messages the local history keeps per conversation (a private chat, a room); past it
    /// the oldest is dropped.
    pub history_max_per_conversation: usize,
    /// Messages the local history keeps in all; past it the oldest is dropped.
    pub history_max_messages: usize,
    /// How long after a lost connection the SDK keeps trying to reconnect before it gives up
    /// (`ReconnectResult::Fail`, then an unsolicited `Logout`). YIM: about 5 minutes. 0: never
    /// reconnect; a lost connection ends the session at once with the unsolicited `Logout`.
    pub reconnect_budget_ms: u64,
    /// The wait before the first reconnect attempt; it doubles after each failed attempt up to
    /// `reconnect_max_backoff_ms`. Each wait is drawn between half of it and all of it
    /// (jitter), so the clients of one dropped network do not all come back at once.
    pub reconnect_initial_backoff_ms: u64,
    /// The longest wait between two reconnect attempts.
    pub reconnect_max_backoff_ms: u64,
    /// Calls waiting at once while reconnecting (made during the outage or in flight when it
    /// began); past this a call fails at once with `NetError`.
    pub max_outage_calls: usize,
}

impl ClientConfig {
    /// Default request timeout.
    pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 10_000;
    /// Default heartbeat interval.
    pub const DEFAULT_HEARTBEAT_INTERVAL_MS: u64 = 10_000;
    /// Default heartbeat timeout.
    pub const DEFAULT_HEARTBEAT_TIMEOUT_MS: u64 = 30_000;
    /// Default bound on pending calls.
    pub const DEFAULT_MAX_PENDING_CALLS: usize = 1024;
    /// Default bound on queued events.
    pub const DEFAULT_MAX_QUEUED_EVENTS: usize = 4096;
    /// Default number of delivered message IDs remembered.
    pub const DEFAULT_DELIVERED_WINDOW: usize = 4096;
    /// Default bound on the messages the local history keeps per conversation.
    pub const DEFAULT_HISTORY_MAX_PER_CONVERSATION: usize = 1000;
    /// Default bound on the messages the local history keeps in all.
    pub const DEFAULT_HISTORY_MAX_MESSAGES: usize = 10_000;
    /// Default reconnect budget: YIM's five minutes.
    pub const DEFAULT_RECONNECT_BUDGET_MS: u64 = 300_000;
    /// Default first reconnect wait.
    pub const DEFAULT_RECONNECT_INITIAL_BACKOFF_MS: u64 = 500;
    /// Default longest reconnect wait.
    pub const DEFAULT_RECONNECT_MAX_BACKOFF_MS: u64 = 8_000;
    /// Default bound on calls waiting during an outage.
    pub const DEFAULT_MAX_OUTAGE_CALLS: usize = 256;

    /// The default config with `ServerZone::China` (the default zone) mapped to `addr`.
    pub fn with_server(addr: impl Into<String>) -> ClientConfig {
        ClientConfig::default().with_zone(ServerZone::China, addr)
    }

    /// This config with `zone` mapped to `addr`.
    pub fn with_zone(mut self, zone: ServerZone, addr: impl Into<String>) -> ClientConfig {
        self.zones.insert(zone, addr.into());
        self
    }
}

impl Default for ClientConfig {
    fn default() -> ClientConfig {
        ClientConfig {
            zones: BTreeMap::new(),
            request_timeout_ms: ClientConfig::DEFAULT_REQUEST_TIMEOUT_MS,
            heartbeat_interval_ms: ClientConfig::DEFAULT_HEARTBEAT_INTERVAL_MS,
            heartbeat_timeout_ms: ClientConfig::DEFAULT_HEARTBEAT_TIMEOUT_MS,
            max_pending_calls: ClientConfig::DEFAULT_MAX_PENDING_CALLS,
            max_queued_events: ClientConfig::DEFAULT_MAX_QUEUED_EVENTS,
            delivered_window: ClientConfig::DEFAULT_DELIVERED_WINDOW,
            history_max_per_conversation: ClientConfig::DEFAULT_HISTORY_MAX_PER_CONVERSATION,
            history_max_messages: ClientConfig::DEFAULT_HISTORY_MAX_MESSAGES,
            reconnect_budget_ms: ClientConfig::DEFAULT_RECONNECT_BUDGET_MS,
            reconnect_initial_backoff_ms: ClientConfig::DEFAULT_RECONNECT_INITIAL_BACKOFF_MS,
            reconnect_max_backoff_ms: ClientConfig::DEFAULT_RECONNECT_MAX_BACKOFF_MS,
            max_outage_calls: ClientConfig::DEFAULT_MAX_OUTAGE_CALLS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_numbers_are_yims() {
        assert_eq!(ServerZone::China.as_u32(), 0);
        assert_eq!(ServerZone::Taiwan.as_u32(), 12);
        assert_eq!(ServerZone::Unknow.as_u32(), 9999);
        for zone in ServerZone::ALL {
            assert_eq!(ServerZone::from_u32(zone.as_u32()), Some(zone));
        }
        assert_eq!(ServerZone::from_u32(13), None);
    }

    #[test]
    fn with_server_maps_china() {
        let cfg = ClientConfig::with_server("127.0.0.1:5000");
        assert_eq!(
            cfg.zones.get(&ServerZone::China).map(String::as_str),
            Some("127.0.0.1:5000")
        );
        assert_eq!(cfg.request_timeout_ms, 10_000);
    }
}
