//! The server's wire behaviour, byte for byte as Redis 7.0: RESP2 and RESP3 replies,
//! HELLO, inline commands, pipelining, malformed and oversized input.

#![cfg(feature = "server")]

mod server_common;

use embedis::engine::Engine;
use embedis::server::Config;
use server_common::{eventually, start, start_with, Conn};

#[test]
fn ping_echo_and_replies_in_resp2() {
    let e = Engine::new();
    let srv = start(&e);
    let mut c = Conn::open(&srv);
    c.roundtrip(b"*1\r\n$4\r\nPING\r\n", b"+PONG\r\n");
    c.roundtrip(b"*2\r\n$4\r\nping\r\n$2\r\nhi\r\n", b"$2\r\nhi\r\n");
    c.roundtrip(b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", b"$0\r\n\r\n");
    c.roundtrip(b"*3\r\n$5\r\nLPUSH\r\n$1\r\nq\r\n$1\r\na\r\n", b":1\r\n");
    c.roundtrip(b"*2\r\n$3\r\nGET\r\n$4\r\nnone\r\n", b"$-1\r\n");
    c.roundtrip(b"*3\r\n$4\r\nLPOP\r\n$4\r\nnone\r\n$1\r\n2\r\n", b"*-1\r\n");
    c.roundtrip(b"*2\r\n$3\r\nGET\r\n$1\r\nq\r\n", b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    c.roundtrip(
        b"*2\r\n$6\r\nNOSUCH\r\n$1\r\nx\r\n",
        b"-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n",
    );
    c.roundtrip(b"*1\r\n$3\r\nGET\r\n", b"-ERR wrong number of arguments for 'get' command\r\n");
    c.roundtrip(b"*4\r\n$6\r\nLRANGE\r\n$1\r\nq\r\n$1\r\n0\r\n$2\r\n-1\r\n", b"*1\r\n$1\r\na\r\n");
}

#[test]
fn hello_3_switches_to_resp3_with_redis_7_map() {
    let e = Engine::new();
    let srv = start(&e);
    let mut c = Conn::open(&srv);
    c.cmd(&[b"CLIENT", b"ID"]);
    let id = match c.frame() {
        embedis::resp::Frame::Integer(i) => i,
        f => panic!("{f:?}"),
    };
    c.cmd(&[b"HELLO", b"3"]);
    let want = format!(
        "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:{id}\r\n\
         $4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
    );
    c.expect(want.as_bytes());
    c.roundtrip(b"GET nothing\r\n", b"_\r\n");
    c.roundtrip(b"LPOP nothing 3\r\n", b"_\r\n");
    c.roundtrip(b"CONFIG GET maxclients\r\n", b"%1\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n");
    c.cmd(&[b"HELLO", b"2"]);
    let _ = c.frame();
    c.roundtrip(b"GET nothing\r\n", b"$-1\r\n");
    c.roundtrip(b"CONFIG GET maxclients\r\n", b"*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n");
}

#[test]
fn hello_errors_are_redis_words() {
    let e = Engine::new();
    let srv = start(&e);
    let mut c = Conn::open(&srv);
    c.roundtrip(b"HELLO 4\r\n", b"-NOPROTO unsupported protocol version\r\n");
    c.roundtrip(b"HELLO x\r\n", b"-ERR Protocol version is not an integer or out of range\r\n");
    c.roundtrip(b"HELLO 3 FOO\r\n", b"-ERR Syntax error in HELLO option 'FOO'\r\n");
    c.roundtrip(b"HELLO 3 AUTH bob pw\r\n", b"-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    // No password: the default user takes any.
    c.cmd(&[b"HELLO", b"2", b"AUTH", b"default", b"any", b"SETNAME", b"me"]);
    let _ = c.frame();
    c.roundtrip(b"CLIENT GETNAME\r\n", b"$2\r\nme\r\n");
}

#[test]
fn inline_commands_and_quoting() {
    let e = Engine::new();
    let srv = start(&e);
    let mut c = Conn::open(&srv);
    c.roundtrip(b"PING\r\n", b"+PONG\r\n");
    c.roundtrip(b"PING\n", b"+PONG\r\n");
    c.roundtrip(b"\r\n", b"");
    c.roundtrip(b"SET \"a b\" 'c d'\r\nGET \"a b\"\r\n", b"+OK\r\n$3\r\nc d\r\n");
    c.roundtrip(b"ECHO \"\\x41\\n\"\r\n", b"$2\r\nA\n\r\n");
    c.roundtrip(b"ECHO \"unbalanced\r\n", b"-ERR Protocol error: unbalanced quotes in request\r\n");
    assert!(c.closed());
}

#[test]
fn pipelined_requests_are_answered_in_order_in_one_write() {
    let e = Engine::new();
    let srv = start(&e);
    let mut c = Conn::open(&srv);
    let mut req = Vec::new();
    let mut want = Vec::new();
    for i in 0..1000 {
        req.extend_from_slice(format!("RPUSH q {i}\r\n").as_bytes());
        want.extend_from_slice(format!(":{}\r\n", i + 1).as_bytes());
    }
    for i in 0..1000 {
        embedis::resp::encode_command(&[b"LPOP", b"q"], &mut req);
        let s = i.to_string();
        want.extend_from_slice(format!("${}\r\n{s}\r\n", s.len()).as_bytes());
    }
    // Sent in odd-sized pieces: requests split across reads still arrive whole.
    for chunk in req.chunks(7777) {
        c.send(chunk);
    }
    c.expect(&want);
}

#[test]
fn malformed_requests_get_the_protocol_error_then_close() {
    let e = Engine::new();
    let srv = start(&e);
    for (req, err) in [
        (&b"*1\r\n$x\r\n"[..], &b"-ERR Protocol error: invalid bulk length\r\n"[..]),
        (b"*x\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
        (b"*1\r\n+PING\r\n", b"-ERR Protocol error: expected '$', got '+'\r\n"),
        (b"*1\r\n$-5\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
        (b"*1\r\n$536870913\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    ] {
        let mut c = Conn::open(&srv);
        c.roundtrip(b"PING\r\n", b"+PONG\r\n");
        c.roundtrip(req, err);
        assert!(c.closed(), "{}", String::from_utf8_lossy(req));
    }
    // Replies to the requests before the bad one are written first.
    let mut c = Conn::open(&srv);
    c.roundtrip(b"PING\r\nPING\r\n*1\r\n$z\r\n", b"+PONG\r\n+PONG\r\n-ERR Protocol error: invalid bulk length\r\n");
    assert!(c.closed());
}

#[test]
fn an_inline_line_past_64k_is_refused() {
    let e = Engine::new();
    let srv = start(&e);
    let mut c = Conn::open(&srv);
    let long = vec![b'a'; 70 * 1024];
    c.send(&long);
    c.expect(b"-ERR Protocol error: too big inline request\r\n");
    assert!(c.closed());
}

#[test]
fn the_bulk_length_limit_is_configurable() {
    let e = Engine::new();
    let srv = start_with(&e, Config { proto_max_bulk_len: 1024 * 1024, ..Config::default() });
    let mut c = Conn::open(&srv);
    c.roundtrip(b"*2\r\n$4\r\nECHO\r\n$1048577\r\n", b"-ERR Protocol error: invalid bulk length\r\n");
    assert!(c.closed());
    let mut c = Conn::open(&srv);
    c.roundtrip(b"CONFIG SET proto-max-bulk-len 2mb\r\n", b"+OK\r\n");
    let big = vec![b'x'; 1024 * 1024 + 1];
    c.cmd(&[b"SET", b"k", &big]);
    c.expect(b"+OK\r\n");
    c.cmd(&[b"STRLEN", b"k"]);
    let _ = c.frame();
}

#[test]
fn the_query_buffer_limit_closes_the_client() {
    let e = Engine::new();
    let srv = start(&e);
    let mut c = Conn::open(&srv);
    c.roundtrip(b"CONFIG SET client-query-buffer-limit 1mb\r\n", b"+OK\r\n");
    // A request announcing 2 MB of argument, sent in part: the buffer passes 1 MB.
    c.send(b"*2\r\n$4\r\nECHO\r\n$2000000\r\n");
    let chunk = vec![b'y'; 64 * 1024];
    let mut closed = false;
    for _ in 0..30 {
        use std::io::Write;
        if c.s.write_all(&chunk).is_err() {
            closed = true;
            break;
        }
    }
    assert!(closed || c.closed());
}

#[test]
fn maxclients_refuses_with_redis_error() {
    let e = Engine::new();
    let srv = start_with(&e, Config { maxclients: 2, ..Config::default() });
    let mut a = Conn::open(&srv);
    let mut b = Conn::open(&srv);
    a.roundtrip(b"PING\r\n", b"+PONG\r\n");
    b.roundtrip(b"PING\r\n", b"+PONG\r\n");
    let mut c = Conn::open(&srv);
    c.expect(b"-ERR max number of clients reached\r\n");
    assert!(c.closed());
    drop(a);
    assert!(server_common::eventually(|| srv.connected_clients() == 1));
    let mut d = Conn::open(&srv);
    d.roundtrip(b"PING\r\n", b"+PONG\r\n");
}

#[test]
fn quit_answers_then_closes() {
    let e = Engine::new();
    let srv = start(&e);
    let mut c = Conn::open(&srv);
    c.roundtrip(b"QUIT\r\nPING\r\n", b"+OK\r\n");
    assert!(c.closed());
}

#[test]
fn select_info_time_and_client_commands() {
    let e = Engine::new();
    let srv = start(&e);
    let mut c = Conn::open(&srv);
    c.roundtrip(b"SELECT 3\r\nSET k v\r\nDBSIZE\r\nSELECT 0\r\nDBSIZE\r\n", b"+OK\r\n+OK\r\n:1\r\n+OK\r\n:0\r\n");
    c.roundtrip(b"SELECT 16\r\n", b"-ERR DB index is out of range\r\n");
    c.cmd(&[b"INFO"]);
    let info = match c.frame() {
        embedis::resp::Frame::Bulk(b) => String::from_utf8(b).unwrap(),
        f => panic!("{f:?}"),
    };
    for field in ["# Server\r\n", "redis_version:7.0.15\r\n", "arch_bits:64\r\n", "cluster_enabled:0\r\n", "blocked_clients:0\r\n", "db3:keys=1,expires=0,avg_ttl=0\r\n", "# Keyspace\r\n"] {
        assert!(info.contains(field), "{field} not in {info}");
    }
    c.cmd(&[b"TIME"]);
    assert!(matches!(c.frame(), embedis::resp::Frame::Array(v) if v.len() == 2));
    c.roundtrip(b"CLIENT SETNAME worker-1\r\nCLIENT GETNAME\r\n", b"+OK\r\n$8\r\nworker-1\r\n");
    c.roundtrip(b"CLIENT SETNAME \"a b\"\r\n", b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
    c.roundtrip(b"CLIENT SETINFO LIB-NAME redis-py\r\n", b"+OK\r\n");
    c.roundtrip(b"CLIENT NOSUCH\r\n", b"-ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.\r\n");
    c.roundtrip(b"CLIENT SETNAME\r\n", b"-ERR wrong number of arguments for 'client|setname' command\r\n");
    c.cmd(&[b"CLIENT", b"LIST"]);
    let list = match c.frame() {
        embedis::resp::Frame::Bulk(b) => String::from_utf8(b).unwrap(),
        f => panic!("{f:?}"),
    };
    assert!(list.contains("name=worker-1") && list.contains("lib-name=redis-py") && list.contains("cmd=client|list"), "{list}");
    c.roundtrip(b"CONFIG GET save\r\n", b"*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
    c.roundtrip(b"CONFIG GET appendonly\r\n", b"*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n");
    c.roundtrip(b"CONFIG SET hz 20\r\nCONFIG GET hz\r\n", b"+OK\r\n*2\r\n$2\r\nhz\r\n$2\r\n20\r\n");
    c.roundtrip(b"CONFIG SET nosuch 1\r\n", b"-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n");
    c.roundtrip(
        b"CONFIG SET databases 4\r\n",
        b"-ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config\r\n",
    );
    c.cmd(&[b"COMMAND", b"COUNT"]);
    assert!(matches!(c.frame(), embedis::resp::Frame::Integer(n) if n > 60));
    c.cmd(&[b"COMMAND", b"INFO", b"lpush"]);
    let info = c.frame();
    let embedis::resp::Frame::Array(v) = info else { panic!() };
    let embedis::resp::Frame::Array(lpush) = &v[0] else { panic!() };
    assert_eq!(lpush[0], embedis::resp::Frame::Bulk(b"lpush".to_vec()));
    assert_eq!(lpush[1], embedis::resp::Frame::Integer(-3));
    assert_eq!(lpush[3], embedis::resp::Frame::Integer(1));
}

/// `timeout` closes idle clients without a reply, but never one blocked in a command or
/// one subscribed (Redis's `clientsCronHandleTimeout`); CONFIG SET checks the range in
/// Redis's words.
#[test]
fn idle_clients_are_closed_after_timeout_but_not_blocked_or_subscribed_ones() {
    let e = Engine::new();
    let srv = start(&e);
    let mut admin = Conn::open(&srv);
    admin.roundtrip(
        b"CONFIG SET timeout -1\r\n",
        b"-ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive\r\n",
    );
    admin.roundtrip(
        b"CONFIG SET timeout x\r\n",
        b"-ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer\r\n",
    );
    let mut idle = Conn::open(&srv);
    idle.roundtrip(b"PING\r\n", b"+PONG\r\n");
    let mut blocked = Conn::open(&srv);
    blocked.send(b"BLPOP q 0\r\n");
    let mut subscribed = Conn::open(&srv);
    subscribed.roundtrip(b"SUBSCRIBE c\r\n", b"*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n");
    let mut busy = Conn::open(&srv);
    admin.roundtrip(b"CONFIG SET timeout 1\r\n", b"+OK\r\n");
    admin.roundtrip(b"CONFIG GET timeout\r\n", b"*2\r\n$7\r\ntimeout\r\n$1\r\n1\r\n");
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_millis(3500) {
        busy.roundtrip(b"PING\r\n", b"+PONG\r\n");
        admin.roundtrip(b"PING\r\n", b"+PONG\r\n");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // Closed with no reply at all.
    idle.s.set_read_timeout(Some(std::time::Duration::from_secs(1))).unwrap();
    let mut b = [0u8; 16];
    let r = std::io::Read::read(&mut idle.s, &mut b);
    let closed = match &r {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut),
    };
    assert!(closed, "the idle client is still open: {r:?}");
    // The others are still served.
    let mut p = Conn::open(&srv);
    p.roundtrip(b"RPUSH q x\r\nPUBLISH c m\r\n", b":1\r\n:1\r\n");
    blocked.expect(b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
    subscribed.expect(b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n");
    busy.roundtrip(b"PING\r\n", b"+PONG\r\n");
    admin.roundtrip(b"CONFIG SET timeout 0\r\n", b"+OK\r\n");
}

/// The keepalive timer of the server's end of `c`, from /proc/net/tcp: `None` when the
/// socket has none, else the seconds until it fires (the idle time when just set). Waits
/// out a retransmission timer of a reply not yet acknowledged.
fn server_keepalive(server: &embedis::server::Server, c: &Conn) -> Option<f64> {
    let server_port = server.local_addrs()[0].port();
    let client_port = c.s.local_addr().unwrap().port();
    let want = (format!(":{server_port:04X}"), format!(":{client_port:04X}"));
    let mut timer = None;
    assert!(
        eventually(|| {
            let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
            let line = table.lines().find(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                f.len() > 5 && f[1].ends_with(&want.0) && f[2].ends_with(&want.1)
            });
            let Some(line) = line else { return false };
            let (kind, when) = line.split_whitespace().nth(5).unwrap().split_once(':').unwrap();
            let when = u64::from_str_radix(when, 16).unwrap() as f64 / 100.0;
            match kind {
                "00" => timer = Some(None),
                "02" => timer = Some(Some(when)),
                _ => return false,
            }
            true
        }),
        "the server's socket never settled"
    );
    timer.unwrap()
}

#[test]
fn tcp_keepalive_applies_to_new_clients_as_redis() {
    let e = Engine::new();
    let server = start(&e);
    let mut c = Conn::open(&server);
    c.roundtrip(b"PING\r\n", b"+PONG\r\n");
    let t = server_keepalive(&server, &c).expect("a keepalive timer by default");
    assert!(t > 60.0 && t <= 300.0, "Redis's default is 300 s: {t}");
    c.roundtrip(b"CONFIG SET tcp-keepalive 0\r\n", b"+OK\r\n");
    assert!(server_keepalive(&server, &c).is_some(), "connected clients keep theirs");
    let mut off = Conn::open(&server);
    off.roundtrip(b"PING\r\n", b"+PONG\r\n");
    assert_eq!(server_keepalive(&server, &off), None);
    c.roundtrip(b"CONFIG SET tcp-keepalive 20\r\n", b"+OK\r\n");
    let mut short = Conn::open(&server);
    short.roundtrip(b"PING\r\n", b"+PONG\r\n");
    let t = server_keepalive(&server, &short).expect("a keepalive timer");
    assert!(t > 10.0 && t <= 20.0, "{t}");
}
