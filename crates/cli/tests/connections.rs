//! Connection limits and timeouts on the real server: a client that sends
//! half a request and waits cannot keep the server from stopping, idle
//! connections are closed, and connections beyond the limit are turned
//! away at once instead of waiting for ever.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::Server;

/// A server whose limits are small enough to reach in a test.
fn server() -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("tracelot.toml");
    std::fs::write(
        &config,
        "[connections]\nheader_read_timeout_seconds = 1\nbody_timeout_seconds = 2\nmax_connections = 4\nshutdown_grace_seconds = 2\n",
    )
    .expect("config");
    let db = dir.path().join("api.db");
    Server::start_on(dir, db, &["--config", config.to_str().expect("utf-8")])
}

fn connect(s: &Server) -> TcpStream {
    let stream = TcpStream::connect(s.base.trim_start_matches("http://")).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    stream
}

/// Reads until the server closes the connection, which it must do within
/// a few seconds (the client's own read timeout is 10 s); what it sent.
fn read_to_close(stream: &mut TcpStream) -> String {
    let started = Instant::now();
    let mut text = Vec::new();
    let closed = stream.read_to_end(&mut text);
    assert!(closed.is_ok(), "the server kept the connection open: {closed:?}");
    assert!(started.elapsed() < Duration::from_secs(8), "closed only after {:?}", started.elapsed());
    String::from_utf8_lossy(&text).into_owned()
}

#[test]
fn stalled_and_idle_clients_are_cut_off_and_extra_ones_turned_away() {
    let s = server();
    // Half a request's headers, then nothing: closed after the header timeout.
    let mut stalled = connect(&s);
    stalled.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").expect("write");
    read_to_close(&mut stalled);

    // Connecting and saying nothing is cut off the same way.
    read_to_close(&mut connect(&s));

    // A body trickled a byte at a time is cut off once the body timeout passes.
    let mut trickle = connect(&s);
    trickle
        .write_all(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n")
        .expect("write");
    let mut writer = trickle.try_clone().expect("clone");
    let dripping = std::thread::spawn(move || {
        for _ in 0..40 {
            if writer.write_all(b" ").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    });
    let answer = read_to_close(&mut trickle);
    assert!(answer.starts_with("HTTP/1.1 400") && answer.contains("did not arrive"), "{answer}");
    dripping.join().expect("writer");

    // A complete request is answered; the kept-alive connection is then
    // closed once idle for the same time.
    let mut idle = connect(&s);
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").expect("write");
    let answer = read_to_close(&mut idle);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // Four silent connections fill the server; the fifth is told to come back.
    let silent: Vec<TcpStream> = (0..4).map(|_| connect(&s)).collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut fifth = connect(&s);
    let busy = read_to_close(&mut fifth);
    assert!(busy.starts_with("HTTP/1.1 503") && busy.contains("too_many_connections"), "{busy}");
    // Once the silent ones time out, clients are served again.
    drop(silent);
    std::thread::sleep(Duration::from_millis(1500));
    let (status, _) = s.get(&Server::client(), "/api/v1/auth/me", "viewer");
    assert_eq!(status, 200);
}

#[test]
fn a_stalled_client_does_not_keep_the_server_from_stopping() {
    let mut s = server();
    let mut stalled = connect(&s);
    // A request whose body never comes: it is in flight when SIGTERM arrives.
    stalled
        .write_all(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{")
        .expect("write");
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    assert!(s.stop(), "the server exits cleanly");
    assert!(started.elapsed() < Duration::from_secs(10), "stopping took {:?}", started.elapsed());
}
