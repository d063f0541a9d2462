//! requirepass, AUTH and HELLO AUTH, protected mode, and the Unix socket.

#![cfg(feature = "server")]

mod server_common;

use embedis::engine::Engine;
use embedis::server::{Config, Server, StartError};
use server_common::{start_with, Conn};

fn with_password(e: &Engine) -> Server {
    start_with(e, Config { requirepass: Some(b"s3cret".to_vec()), ..Config::default() })
}

#[test]
fn nothing_but_auth_hello_quit_reset_before_authentication() {
    let e = Engine::new();
    let srv = with_password(&e);
    let mut c = Conn::open(&srv);
    c.roundtrip(b"PING\r\n", b"-NOAUTH Authentication required.\r\n");
    c.roundtrip(b"GET k\r\n", b"-NOAUTH Authentication required.\r\n");
    c.roundtrip(b"CLIENT ID\r\n", b"-NOAUTH Authentication required.\r\n");
    // Unknown commands and arity are checked first, as Redis does.
    c.roundtrip(b"NOSUCH\r\n", b"-ERR unknown command 'NOSUCH', with args beginning with: \r\n");
    c.roundtrip(
        b"HELLO 3\r\n",
        b"-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n",
    );
    c.roundtrip(b"AUTH wrong\r\n", b"-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    c.roundtrip(b"AUTH bob s3cret\r\n", b"-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    c.roundtrip(b"AUTH s3cret\r\nPING\r\n", b"+OK\r\n+PONG\r\n");
    // RESET logs out when a password is set.
    c.roundtrip(b"RESET\r\nPING\r\n", b"+RESET\r\n-NOAUTH Authentication required.\r\n");
    c.roundtrip(b"AUTH default s3cret\r\nPING\r\n", b"+OK\r\n+PONG\r\n");
    c.roundtrip(b"QUIT\r\n", b"+OK\r\n");
}

#[test]
fn hello_auth_authenticates_and_switches_protocol() {
    let e = Engine::new();
    let srv = with_password(&e);
    let mut c = Conn::open(&srv);
    c.cmd(&[b"HELLO", b"3", b"AUTH", b"default", b"s3cret"]);
    assert!(matches!(c.frame(), embedis::resp::Frame::Map(_)));
    c.roundtrip(b"GET nothing\r\n", b"_\r\n");
}

#[test]
fn unauthenticated_clients_get_redis_small_limits() {
    let e = Engine::new();
    let srv = with_password(&e);
    let mut c = Conn::open(&srv);
    c.roundtrip(b"*11\r\n", b"-ERR Protocol error: unauthenticated multibulk length\r\n");
    assert!(c.closed());
    let mut c = Conn::open(&srv);
    c.roundtrip(b"*2\r\n$4\r\nAUTH\r\n$20000\r\n", b"-ERR Protocol error: unauthenticated bulk length\r\n");
    assert!(c.closed());
    // Once authenticated, the usual limits apply.
    let mut c = Conn::open(&srv);
    c.roundtrip(b"AUTH s3cret\r\n", b"+OK\r\n");
    let big = vec![b'v'; 20000];
    c.cmd(&[b"SET", b"k", &big]);
    c.expect(b"+OK\r\n");
}

#[test]
fn config_set_requirepass_applies_to_new_auths_only() {
    let e = Engine::new();
    let srv = start_with(&e, Config::default());
    let mut old = Conn::open(&srv);
    old.roundtrip(b"CONFIG SET requirepass pw\r\n", b"+OK\r\n");
    old.roundtrip(b"PING\r\n", b"+PONG\r\n");
    let mut new = Conn::open(&srv);
    new.roundtrip(b"PING\r\n", b"-NOAUTH Authentication required.\r\n");
    new.roundtrip(b"AUTH pw\r\nPING\r\n", b"+OK\r\n+PONG\r\n");
}

#[test]
fn protected_mode_refuses_a_public_address_without_a_password() {
    let e = Engine::new();
    let config = Config { bind: vec!["0.0.0.0".into()], port: Some(0), ..Config::default() };
    match Server::start(e.clone(), None, config) {
        Err(StartError::ProtectedMode { addr }) => assert_eq!(addr, "0.0.0.0"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let config = Config { bind: vec!["127.0.0.1".into(), "::".into()], port: Some(0), ..Config::default() };
    assert!(matches!(Server::start(e.clone(), None, config), Err(StartError::ProtectedMode { .. })));
    // Loopback names are fine.
    let config = Config { bind: vec!["localhost".into()], port: Some(0), ..Config::default() };
    let srv = Server::start(e, None, config).expect("loopback starts");
    assert!(srv.local_addrs().iter().all(|a| a.ip().is_loopback()));
}

#[test]
fn a_unix_socket_only_server() {
    use std::io::{Read, Write};
    let dir = std::env::temp_dir().join(format!("embedis-sock-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("embedis.sock");
    let e = Engine::new();
    let srv = Server::start(
        e,
        None,
        Config { port: None, unixsocket: Some(path.clone()), unixsocketperm: Some(0o700), ..Config::default() },
    )
    .unwrap();
    assert!(srv.local_addrs().is_empty());
    let mut s = std::os::unix::net::UnixStream::connect(&path).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    s.write_all(b"PING\r\nCLIENT INFO\r\n").unwrap();
    let mut buf = [0u8; 512];
    let mut got = Vec::new();
    while !got.ends_with(b"\n\r\n") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("+PONG\r\n$"), "{text}");
    assert!(text.contains("flags=U"), "{text}");
    srv.stop();
    assert!(!path.exists(), "the socket file is removed on stop");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_listener_is_an_error() {
    let r = Server::start(Engine::new(), None, Config { port: None, ..Config::default() });
    assert!(matches!(r, Err(StartError::NoListener)));
}
