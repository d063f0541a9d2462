//! A brief fuzz of the server's request handling that runs in `cargo test` (cargo-fuzz is
//! not available in CI): arbitrary bytes, mangled RESP, and well-formed commands with
//! arbitrary arguments go to a live server; each connection must end cleanly (the server
//! closes it or answers), and the server must keep answering PING. No case may panic the
//! server thread or leave a waiter behind.

#![cfg(feature = "server")]

mod server_common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use embedis::engine::Engine;
use embedis::server::Server;
use proptest::collection::vec;
use proptest::prelude::*;
use server_common::{eventually, start};

/// Command names worth exercising: the engine's and the server's, minus SHUTDOWN (it
/// stops the server) and CONFIG SET (it could set a password for the later cases).
const NAMES: &[&str] = &[
    "PING", "ECHO", "HELLO", "AUTH", "SELECT", "QUIT", "RESET", "CLIENT", "COMMAND", "INFO", "DBSIZE", "FLUSHDB", "TIME",
    "LASTSAVE", "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH", "SUBSCRIBE", "PSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE",
    "PUBLISH", "PUBSUB", "SSUBSCRIBE", "SUNSUBSCRIBE", "SPUBLISH", "LPUSH", "RPUSH", "LPOP", "RPOP", "BLPOP", "BRPOP", "BLMOVE", "BLMPOP", "LMOVE", "LRANGE", "LLEN",
    "SET", "GET", "INCR", "DEL", "EXPIRE", "XADD", "XREAD", "XREADGROUP", "XGROUP", "XRANGE", "XLEN", "XACK", "SCAN", "KEYS",
];

/// Small arguments, often ones the commands recognise.
fn arg() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"q".to_vec()),
        Just(b"0".to_vec()),
        Just(b"0.01".to_vec()),
        Just(b"-1".to_vec()),
        Just(b"3".to_vec()),
        Just(b"LEFT".to_vec()),
        Just(b"COUNT".to_vec()),
        Just(b"BLOCK".to_vec()),
        Just(b"STREAMS".to_vec()),
        Just(b"$".to_vec()),
        Just(b"*".to_vec()),
        Just(b">".to_vec()),
        Just(b"GROUP".to_vec()),
        Just(b"LIST".to_vec()),
        Just(b"KILL".to_vec()),
        Just(b"UNBLOCK".to_vec()),
        Just(b"GET".to_vec()),
        vec(any::<u8>(), 0..12),
    ]
}

fn command() -> impl Strategy<Value = Vec<u8>> {
    (prop::sample::select(NAMES), vec(arg(), 0..6)).prop_map(|(name, args)| {
        let mut argv: Vec<&[u8]> = vec![name.as_bytes()];
        argv.extend(args.iter().map(Vec::as_slice));
        let mut out = Vec::new();
        embedis::resp::encode_command(&argv, &mut out);
        out
    })
}

/// One piece of a request stream.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => command(),
        1 => vec(any::<u8>(), 0..40),
        1 => (command(), any::<prop::sample::Index>(), any::<u8>()).prop_map(|(mut c, at, b)| {
            let i = at.index(c.len());
            c[i] = b;
            c
        }),
        1 => "[A-Za-z]{1,8}( [a-z0-9\"']{0,6}){0,3}\r?\n".prop_map(String::into_bytes),
    ]
}

/// Sends `bytes`, closes the sending side, and reads until the server closes.
fn exchange(server: &Server, bytes: &[u8]) {
    let mut s = TcpStream::connect(server.local_addrs()[0]).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // The server may close first (protocol error, QUIT): a failed write is fine.
    let _ = s.write_all(bytes);
    let _ = s.shutdown(Shutdown::Write);
    let mut sink = [0u8; 8192];
    loop {
        match s.read(&mut sink) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return,
            Err(e) => panic!("the server neither answered nor closed: {e}"),
        }
    }
}

fn still_serving(server: &Server) {
    let mut s = TcpStream::connect(server.local_addrs()[0]).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"PING\r\n").unwrap();
    let mut b = [0u8; 7];
    s.read_exact(&mut b).unwrap();
    assert_eq!(&b, b"+PONG\r\n");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn any_request_stream_ends_cleanly(pieces in vec(piece(), 1..12)) {
        thread_local! {
            static SERVER: (Engine, Server) = {
                let e = Engine::new();
                let s = start(&e);
                (e, s)
            };
        }
        SERVER.with(|(engine, server)| {
            exchange(server, &pieces.concat());
            still_serving(server);
            // Every connection closed: no waiter may be left behind.
            assert!(eventually(|| server.connected_clients() == 0 && engine.execute(|ks| ks.blocked_clients()) == 0));
        });
    }
}
