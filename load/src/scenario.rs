//! The named load scenarios and every parameter of a run, overridable from the CLI.
//!
//! - `world`: 1,000 clients in 10 rooms of 100 (each client in one), mostly room chat, some
//!   private messages and voice messages.
//! - `live`: one room of 2,000 members and a barrage (弹幕) of short room messages.
//! - `private`: 1,000 pairs chatting privately (client 2k with 2k+1), a few voice messages.
//! - `smoke`: 20 clients for 2 s, every kind of message (CI).

use serde::Serialize;

/// A named scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioName {
    /// 1,000 clients in 10 rooms of 100, 200 msg/s: room 90%, private 8%, voice 2%.
    World,
    /// One room of 2,000 members, 50 short room messages a second (100,000 deliveries/s).
    Live,
    /// 1,000 pairs chatting privately, 1,000 msg/s: private 98%, voice 2%.
    Private,
    /// 20 clients (about a quarter of them SDK clients) in 2 rooms, 40 msg/s for 2 s, every
    /// kind of message (what CI runs).
    Smoke,
}

/// Weights of the kinds of message sent (percentages by convention; only their ratios
/// matter). A kind no client can send (room messages without rooms, voice without raw
/// clients) is left out and the others share its weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Mix {
    /// Text messages to one of the sender's rooms.
    pub room: u32,
    /// Text messages to another client.
    pub private: u32,
    /// Voice messages (an upload, then the send), to the sender's first room or, without
    /// rooms, to another client.
    pub voice: u32,
}

impl std::str::FromStr for Mix {
    type Err = String;

    /// `room=90,private=8,voice=2` (missing kinds weigh 0).
    fn from_str(text: &str) -> Result<Mix, String> {
        let mut mix = Mix {
            room: 0,
            private: 0,
            voice: 0,
        };
        for part in text.split(',').filter(|p| !p.is_empty()) {
            let (kind, weight) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}`: expected kind=weight"))?;
            let weight: u32 = weight
                .parse()
                .map_err(|_| format!("`{part}`: the weight is not a number"))?;
            match kind {
                "room" => mix.room = weight,
                "private" => mix.private = weight,
                "voice" => mix.voice = weight,
                _ => return Err(format!("`{kind}`: kinds are room, private, voice")),
            }
        }
        if mix.room + mix.private + mix.voice == 0 {
            return Err("the mix weighs nothing".into());
        }
        Ok(mix)
    }
}

impl std::fmt::Display for Mix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "room={},private={},voice={}",
            self.room, self.private, self.voice
        )
    }
}

/// Every parameter of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadParams {
    /// The scenario whose defaults these started from (names the rooms and the report).
    pub scenario: ScenarioName,
    /// Clients in all, raw and SDK.
    pub clients: usize,
    /// Rooms; client `i` joins room `i % rooms`. 0: no rooms (private chat only).
    pub rooms: usize,
    /// Private messages go to the partner (client `i ^ 1`) instead of a random client.
    pub pairs: bool,
    /// Messages offered per second by all clients together (open loop: the schedule does not
    /// wait for the server).
    pub rate_per_sec: f64,
    /// The share of each kind of message in the sends.
    pub mix: Mix,
    /// Bytes of text in each text message (the send time and sender, padded).
    pub text_bytes: usize,
    /// Bytes of encoded audio uploaded for each voice message.
    pub voice_bytes: usize,
    /// Share of the clients (0..=1) that are the SDK's `Client`; the rest are raw protocol
    /// clients.
    pub sdk_share: f64,
    /// Seconds of load before the measurement window.
    pub warmup_secs: f64,
    /// Seconds of the measurement window.
    pub seconds: f64,
    /// Seconds to wait after the window for its messages to arrive.
    pub drain_secs: f64,
    /// Seeds the dispatcher's choices (kind, sender, receiver) and the SDK clients' own
    /// generators: with the same clients connected, the same seed offers the same sends in
    /// the same order.
    pub seed: u64,
}

impl LoadParams {
    /// The defaults of a named scenario.
    pub fn of(scenario: ScenarioName) -> LoadParams {
        let base = LoadParams {
            scenario,
            clients: 1000,
            rooms: 10,
            pairs: false,
            rate_per_sec: 200.0,
            mix: Mix {
                room: 90,
                private: 8,
                voice: 2,
            },
            text_bytes: 64,
            voice_bytes: 4096,
            sdk_share: 0.05,
            warmup_secs: 2.0,
            seconds: 10.0,
            drain_secs: 3.0,
            seed: 1,
        };
        match scenario {
            ScenarioName::World => base,
            ScenarioName::Live => LoadParams {
                clients: 2000,
                rooms: 1,
                rate_per_sec: 50.0,
                mix: Mix {
                    room: 100,
                    private: 0,
                    voice: 0,
                },
                text_bytes: 32,
                ..base
            },
            ScenarioName::Private => LoadParams {
                clients: 2000,
                rooms: 0,
                pairs: true,
                rate_per_sec: 1000.0,
                mix: Mix {
                    room: 0,
                    private: 98,
                    voice: 2,
                },
                ..base
            },
            ScenarioName::Smoke => LoadParams {
                clients: 20,
                rooms: 2,
                rate_per_sec: 40.0,
                mix: Mix {
                    room: 80,
                    private: 15,
                    voice: 5,
                },
                sdk_share: 0.25,
                warmup_secs: 0.5,
                seconds: 2.0,
                // Ends as soon as everything is in; generous for a busy CI machine.
                drain_secs: 10.0,
                ..base
            },
        }
    }

    /// Rooms client `client` joins.
    pub fn rooms_of(&self, client: usize) -> Vec<usize> {
        if self.rooms == 0 {
            Vec::new()
        } else {
            vec![client % self.rooms]
        }
    }

    /// Whether client `client` is an SDK client: a scrambled pick of about `sdk_share` of the
    /// clients, so they fall in every room (an even stride would put them all in one).
    pub fn is_sdk(&self, client: usize) -> bool {
        let scrambled = (client as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
        (scrambled as f64) < self.sdk_share.clamp(0.0, 1.0) * (1u64 << 24) as f64
    }

    /// Room names, index by index.
    pub fn room_names(&self) -> Vec<String> {
        (0..self.rooms)
            .map(|r| match self.scenario {
                ScenarioName::Live => format!("live_{r}"),
                _ => format!("room_{r}"),
            })
            .collect()
    }

    /// User names, index by index.
    pub fn user_names(&self) -> Vec<String> {
        (0..self.clients).map(|c| format!("load_u{c}")).collect()
    }

    /// The largest room's member count if every join succeeds.
    pub fn largest_room(&self) -> usize {
        if self.rooms == 0 {
            0
        } else {
            self.clients.div_ceil(self.rooms)
        }
    }

    /// Checks the parameters make sense.
    pub fn validate(&self) -> Result<(), String> {
        if self.clients < 2 {
            return Err("at least 2 clients".into());
        }
        if !self.rate_per_sec.is_finite() || self.rate_per_sec <= 0.0 {
            return Err("the rate must be a positive number".into());
        }
        if self.seconds <= 0.0 || self.warmup_secs < 0.0 || self.drain_secs < 0.0 {
            return Err("seconds must be positive, warm-up and drain not negative".into());
        }
        if self.rooms == 0 && self.mix.room > 0 {
            return Err("room messages need at least one room (--rooms)".into());
        }
        if self.text_bytes > yim_proto::limits::MAX_TEXT_BYTES {
            return Err(format!(
                "--text-bytes is at most {}",
                yim_proto::limits::MAX_TEXT_BYTES
            ));
        }
        if self.voice_bytes == 0 || self.voice_bytes as u64 > yim_proto::limits::MAX_AUDIO_BYTES {
            return Err(format!(
                "--voice-bytes is 1..={}",
                yim_proto::limits::MAX_AUDIO_BYTES
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixes_parse() {
        let mix: Mix = "room=90,private=8,voice=2".parse().unwrap();
        assert_eq!((mix.room, mix.private, mix.voice), (90, 8, 2));
        assert_eq!(mix.to_string().parse::<Mix>().unwrap(), mix);
        assert!("room=x".parse::<Mix>().is_err());
        assert!("chat=1".parse::<Mix>().is_err());
        assert!("room=0".parse::<Mix>().is_err());
    }

    #[test]
    fn scenarios_are_valid_and_sdk_clients_spread() {
        for name in [
            ScenarioName::World,
            ScenarioName::Live,
            ScenarioName::Private,
            ScenarioName::Smoke,
        ] {
            LoadParams::of(name).validate().unwrap();
        }
        let world = LoadParams::of(ScenarioName::World);
        let sdk: Vec<usize> = (0..world.clients).filter(|&c| world.is_sdk(c)).collect();
        assert!((35..=65).contains(&sdk.len()), "{}", sdk.len());
        for room in 0..world.rooms {
            assert!(
                sdk.iter().any(|&c| world.rooms_of(c) == [room]),
                "room {room}"
            );
        }
        assert_eq!(world.largest_room(), 100);
        assert_eq!(LoadParams::of(ScenarioName::Live).largest_room(), 2000);
    }
}
