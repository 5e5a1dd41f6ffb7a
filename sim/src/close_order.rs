//! The order in which a crashing host's connections close: the order they were opened in.
//!
//! turmoil crashes a host by dropping its tokio runtime, and tokio drops the runtime's tasks
//! list by list: it keeps them in 4 lists by task ID modulo 4, and task IDs come from one
//! counter for the whole process. Every connection a dying task drops sends its FIN or RST
//! then, and turmoil draws that segment's latency from the run's random generator, so the
//! drop order decided which client heard of the crash first: a run depended on how many
//! tasks the runs before it (or another sweep thread's runs) had spawned.
//!
//! So every connection of a host that can crash is wrapped in an [`Ordered`]: while the runner
//! crashes a host ([`CloseOrder::crash`]), a connection dropped is kept instead of closed, and
//! the host's root task, which turmoil drops last (its local task set goes after the runtime),
//! holds a [`Closer`] that closes what was kept, by opening order, still inside the crashing
//! host. Outside a crash a dropped connection closes at once.
//! Not a model of how a real kernel orders its resets: any fixed order will do.

use std::collections::BTreeMap;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

#[derive(Default)]
struct State {
    /// Connections opened so far in the run (the next one's number).
    opened: u64,
    /// True while the runner crashes a host.
    crashing: bool,
    /// The connections dropped during this crash, by opening number, not yet closed.
    kept: BTreeMap<u64, Box<dyn Send>>,
}

/// The run's connections and their closing order, shared by the runner and the hosts.
#[derive(Clone, Default)]
pub struct CloseOrder(Arc<Mutex<State>>);

impl std::fmt::Debug for CloseOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CloseOrder")
    }
}

impl CloseOrder {
    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wraps a connection just opened (accepted or connected).
    pub fn wrap<S: Send + 'static>(&self, stream: S) -> Ordered<S> {
        let mut state = self.state();
        let opened = state.opened;
        state.opened += 1;
        Ordered {
            stream: Some(stream),
            opened,
            order: self.clone(),
        }
    }

    /// What a host's root task holds: dropped, it closes the connections the crash kept.
    pub fn closer(&self) -> Closer {
        Closer(self.clone())
    }

    /// Crashes `host`, its connections closing in the order they were opened.
    pub fn crash(&self, sim: &mut turmoil::Sim<'_>, host: &str) {
        self.while_crashing(|| sim.crash(host));
    }

    /// Restarts `host` (turmoil's `bounce`: a running host's tasks die as in a crash).
    pub fn bounce(&self, sim: &mut turmoil::Sim<'_>, host: &str) {
        self.while_crashing(|| sim.bounce(host));
    }

    fn while_crashing(&self, crash: impl FnOnce()) {
        self.state().crashing = true;
        crash();
        let left = {
            let mut state = self.state();
            state.crashing = false;
            std::mem::take(&mut state.kept)
        };
        // Every host's root task holds a closer, so nothing is left here; were something
        // left, it closes now, in order, outside the host (its peer is not told).
        debug_assert!(left.is_empty(), "a crashed host kept connections unclosed");
        close_in_order(left);
    }
}

fn close_in_order(kept: BTreeMap<u64, Box<dyn Send>>) {
    for (_, stream) in kept {
        drop(stream);
    }
}

/// Closes the connections a crash kept, when dropped (see the module doc).
pub struct Closer(CloseOrder);

impl std::fmt::Debug for Closer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Closer")
    }
}

impl Drop for Closer {
    fn drop(&mut self) {
        let kept = std::mem::take(&mut self.0.state().kept);
        close_in_order(kept);
    }
}

/// A connection whose close during a crash waits for its turn (see the module doc).
pub struct Ordered<S: Send + 'static> {
    /// Always `Some` until dropped.
    stream: Option<S>,
    opened: u64,
    order: CloseOrder,
}

impl<S: Send + 'static> std::fmt::Debug for Ordered<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ordered({})", self.opened)
    }
}

impl<S: Send + 'static> Drop for Ordered<S> {
    fn drop(&mut self) {
        let Some(stream) = self.stream.take() else {
            return;
        };
        let mut state = self.order.state();
        if state.crashing {
            state.kept.insert(self.opened, Box::new(stream));
        } else {
            drop(state);
            drop(stream);
        }
    }
}

fn gone() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "connection closed")
}

impl<S: AsyncRead + Send + Unpin + 'static> AsyncRead for Ordered<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut().stream.as_mut() {
            Some(stream) => Pin::new(stream).poll_read(cx, buf),
            None => Poll::Ready(Err(gone())),
        }
    }
}

impl<S: AsyncWrite + Send + Unpin + 'static> AsyncWrite for Ordered<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut().stream.as_mut() {
            Some(stream) => Pin::new(stream).poll_write(cx, data),
            None => Poll::Ready(Err(gone())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().stream.as_mut() {
            Some(stream) => Pin::new(stream).poll_flush(cx),
            None => Poll::Ready(Err(gone())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().stream.as_mut() {
            Some(stream) => Pin::new(stream).poll_shutdown(cx),
            None => Poll::Ready(Err(gone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Notes its number in a shared log when dropped.
    struct Noted(u64, Arc<Mutex<Vec<u64>>>);

    impl Drop for Noted {
        fn drop(&mut self) {
            self.1.lock().unwrap().push(self.0);
        }
    }

    #[test]
    fn during_a_crash_drops_wait_for_the_closer_and_go_by_opening_order() {
        let order = CloseOrder::default();
        let log = Arc::new(Mutex::new(Vec::new()));
        let streams: Vec<_> = (0..4).map(|n| order.wrap(Noted(n, log.clone()))).collect();
        let closer = order.closer();
        order.state().crashing = true;
        let mut streams = streams.into_iter();
        let (a, b, c, d) = (
            streams.next(),
            streams.next(),
            streams.next(),
            streams.next(),
        );
        drop((d, b, a, c));
        assert!(log.lock().unwrap().is_empty(), "kept, not closed");
        drop(closer);
        assert_eq!(*log.lock().unwrap(), [0, 1, 2, 3]);
        order.state().crashing = false;
        let late = order.wrap(Noted(4, log.clone()));
        drop(late);
        assert_eq!(
            log.lock().unwrap().last(),
            Some(&4),
            "outside a crash: closed at once"
        );
    }
}
