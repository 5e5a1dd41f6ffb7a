//! The transport for the driver: the object-safe `Network` trait (connect to an address, get
//! a byte stream) and its real implementation, `TcpNetwork`.
//!
//! What it is: the one way the driver opens connections. What it is not: framing (see
//! `yim_proto::framing`) or the connection's life (see `link`). The simulator supplies a
//! turmoil `Network`.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::clock::BoxFuture;

/// A bidirectional byte stream.
pub trait ByteStream: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + ?Sized> ByteStream for T {}

/// An open connection, boxed.
pub type BoxStream = Box<dyn ByteStream>;

/// Opens connections.
pub trait Network: Send + Sync + 'static {
    /// Connects to `addr` ("host:port").
    fn connect(&self, addr: &str) -> BoxFuture<'_, std::io::Result<BoxStream>>;
}

/// Real TCP with `TCP_NODELAY` (chat frames are small and latency matters).
#[derive(Debug, Default, Clone, Copy)]
pub struct TcpNetwork;

impl Network for TcpNetwork {
    fn connect(&self, addr: &str) -> BoxFuture<'_, std::io::Result<BoxStream>> {
        let addr = addr.to_owned();
        Box::pin(async move {
            let stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            Ok(Box::new(stream) as BoxStream)
        })
    }
}
