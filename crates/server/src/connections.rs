//! The accept loop: connection limits and timeouts that axum's own `serve`
//! does not offer. HTTP/1.1 only, so that every connection is under the
//! header timer from its first byte. A client that connects and says
//! nothing, sends half its headers, or keeps a connection idle, is cut off
//! after `header_read_timeout_seconds`; a request body must arrive within
//! `body_timeout_seconds`; past `max_connections` a new connection gets a
//! 503 and is closed; a read that runs past `read_timeout_seconds` is
//! answered 503; and on shutdown the server waits for in-flight requests at
//! most `shutdown_grace_seconds`, whatever clients do.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::problem::Problem;

/// `[connections]` in the config file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConnectionLimits {
    /// The longest a connection may wait for a request's complete headers,
    /// counted from the end of the previous response: it is also how long
    /// a kept-alive connection may stay idle.
    pub header_read_timeout_seconds: u64,
    /// The longest a read (GET or HEAD) may take before it is answered 503.
    /// Writes are never cut short: a write is answered once it is durable.
    pub read_timeout_seconds: u64,
    /// The longest a request's body may take to arrive.
    pub body_timeout_seconds: u64,
    /// Connections served at once; more are answered 503 and closed.
    pub max_connections: usize,
    /// How long shutdown waits for in-flight requests before closing
    /// their connections.
    pub shutdown_grace_seconds: u64,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout_seconds: 15,
            read_timeout_seconds: 60,
            body_timeout_seconds: 30,
            max_connections: 512,
            shutdown_grace_seconds: 30,
        }
    }
}

/// Tells a client over the connection limit to come back, then closes.
async fn refuse(mut stream: TcpStream) {
    let body = r#"{"code":"too_many_connections","detail":"the server is at its connection limit; retry in a moment"}"#;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\ncontent-type: application/problem+json\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        // Read what the client sent first: closing a socket with unread
        // data resets it, and the client would see the reset, not the 503.
        let mut request = [0u8; 8192];
        let _ = tokio::time::timeout(Duration::from_millis(200), stream.read(&mut request)).await;
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
        while matches!(stream.read(&mut request).await, Ok(n) if n > 0) {}
    })
    .await;
}

/// The time limits of one request.
#[derive(Debug, Clone, Copy)]
struct Timeouts {
    read: Duration,
    body: Duration,
}

/// A request body that fails once its deadline passes, so that a client
/// trickling a body cannot hold its connection for ever.
struct Timed {
    inner: Incoming,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
    limit: Duration,
}

impl Timed {
    fn new(inner: Incoming, limit: Duration) -> Self {
        Timed { inner, deadline: Box::pin(tokio::time::sleep(limit)), limit }
    }
}

impl hyper::body::Body for Timed {
    type Data = hyper::body::Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        if let std::task::Poll::Ready(frame) = std::pin::Pin::new(&mut self.inner).poll_frame(cx) {
            return std::task::Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        match self.deadline.as_mut().poll(cx) {
            std::task::Poll::Ready(()) => {
                let limit = self.limit.as_secs();
                std::task::Poll::Ready(Some(Err(format!("the body did not arrive within {limit} s").into())))
            }
            std::task::Poll::Pending => std::task::Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Answers one request, with the peer's address for handlers that ask,
/// and reads bounded in time.
async fn answer(router: Router, peer: SocketAddr, limits: Timeouts, mut req: Request<Incoming>) -> Response {
    req.extensions_mut().insert(ConnectInfo(peer));
    let is_read = matches!(*req.method(), Method::GET | Method::HEAD);
    let read_timeout = limits.read;
    let call = router.oneshot(req.map(|body| axum::body::Body::new(Timed::new(body, limits.body))));
    let result = if is_read {
        match tokio::time::timeout(read_timeout, call).await {
            Ok(r) => r,
            Err(_) => {
                let detail = format!("the read took longer than {} s; narrow it or page it", read_timeout.as_secs());
                return Problem::new(StatusCode::SERVICE_UNAVAILABLE, "read_timeout", detail).into_response();
            }
        }
    } else {
        call.await
    };
    match result {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then waits
/// for in-flight requests up to the grace period.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_read_timeout_seconds.max(1)));
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let timeouts = Timeouts {
        read: Duration::from_secs(limits.read_timeout_seconds.max(1)),
        body: Duration::from_secs(limits.body_timeout_seconds.max(1)),
    };
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors, most often: wait for some to close.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            let router = router.clone();
            async move { Ok::<_, Infallible>(answer(router, peer, timeouts, req).await) }
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    let grace = Duration::from_secs(limits.shutdown_grace_seconds);
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
        tracing::warn!(seconds = grace.as_secs(), "in-flight requests did not finish within the grace period");
    }
    Ok(())
}
