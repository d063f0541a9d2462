//! Helpers for the server tests: start a server on a free loopback port and talk to it
//! with plain blocking sockets, comparing bytes exactly.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use embedis::engine::Engine;
use embedis::server::{Config, Server};

/// A server on 127.0.0.1 with a port the system picked.
pub fn start(engine: &Engine) -> Server {
    start_with(engine, Config::default())
}

/// A server with `config`, on a free loopback port unless it names another.
pub fn start_with(engine: &Engine, mut config: Config) -> Server {
    if config.port == Some(6379) {
        config.port = Some(0);
    }
    Server::start(engine.clone(), None, config).expect("server starts")
}

/// A client connection with a read timeout, so a missing reply fails the test.
pub struct Conn {
    pub s: TcpStream,
}

impl Conn {
    pub fn open(server: &Server) -> Conn {
        let s = TcpStream::connect(server.local_addrs()[0]).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.set_nodelay(true).unwrap();
        Conn { s }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).unwrap();
    }

    /// Reads exactly `n` bytes.
    pub fn read_n(&mut self, n: usize) -> Vec<u8> {
        let mut buf = vec![0u8; n];
        self.s.read_exact(&mut buf).unwrap_or_else(|e| panic!("reading {n} bytes: {e}"));
        buf
    }

    /// Asserts that the next bytes are exactly `want`.
    pub fn expect(&mut self, want: &[u8]) {
        let got = self.read_n(want.len());
        assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want));
    }

    /// Sends `req` and asserts that the reply is exactly `want`.
    pub fn roundtrip(&mut self, req: &[u8], want: &[u8]) {
        self.send(req);
        self.expect(want);
    }

    /// Sends a command as a RESP array.
    pub fn cmd(&mut self, args: &[&[u8]]) {
        let mut out = Vec::new();
        embedis::resp::encode_command(args, &mut out);
        self.send(&out);
    }

    /// Reads one whole reply frame.
    pub fn frame(&mut self) -> embedis::resp::Frame {
        let mut buf = Vec::new();
        let limits = embedis::resp::Limits::default();
        loop {
            if let Ok(Some((f, used))) = embedis::resp::decode(&buf, &limits) {
                assert_eq!(used, buf.len(), "more bytes than one reply");
                return f;
            }
            let mut chunk = [0u8; 4096];
            let n = self.s.read(&mut chunk).expect("read a reply");
            assert!(n > 0, "connection closed before a whole reply");
            buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Whether the server closed the connection (reads EOF within the timeout).
    pub fn closed(&mut self) -> bool {
        let mut b = [0u8; 64];
        matches!(self.s.read(&mut b), Ok(0) | Err(_))
    }
}

/// Waits until `f` holds, up to 5 s.
pub fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}
