//! What operators look at, over the wire: MONITOR's lines in RESP2 and RESP3 (in-process
//! calls included), SLOWLOG's replies, INFO commandstats/errorstats fed by the server and
//! by in-process callers alike, CONFIG RESETSTAT and the slow log settings.

#![cfg(feature = "server")]

mod server_common;

use embedis::command::{dispatch_as, Context};
use embedis::engine::stats::{no_name, Origin};
use embedis::engine::Engine;
use embedis::resp::Frame;
use server_common::{start, Conn};

const LOCAL: Origin<'static> = Origin { peer: "python:1", monitor: "python:1", name: &no_name };

/// Reads one `+...\r\n` line (byte by byte: several may have arrived together).
fn line(c: &mut Conn) -> String {
    let mut l = Vec::new();
    while !l.ends_with(b"\r\n") {
        l.extend(c.read_n(1));
    }
    let text = String::from_utf8(l).unwrap();
    text.strip_prefix('+').and_then(|t| t.strip_suffix("\r\n")).unwrap_or_else(|| panic!("{text:?}")).to_owned()
}

/// The part of a MONITOR line after its timestamp, with the client's port taken out.
fn shape(l: &str) -> String {
    let (stamp, rest) = l.split_once(' ').unwrap();
    let (secs, micros) = stamp.split_once('.').unwrap();
    assert!(secs.parse::<u64>().is_ok() && micros.len() == 6, "{l}");
    let (who, args) = rest.split_once("] ").unwrap();
    let who = match who.rsplit_once(':') {
        Some((addr, port)) if port.parse::<u32>().is_ok() => addr.to_owned(),
        _ => who.to_owned(),
    };
    format!("{who}] {args}")
}

#[test]
fn monitor_sees_network_and_in_process_calls_in_both_protocols() {
    for resp3 in [false, true] {
        let e = Engine::new();
        let srv = start(&e);
        let mut m = Conn::open(&srv);
        if resp3 {
            m.cmd(&[b"HELLO", b"3"]);
            let _ = m.frame();
        }
        m.roundtrip(b"MONITOR\r\n", b"+OK\r\n");
        let mut c = Conn::open(&srv);
        c.roundtrip(b"*3\r\n$5\r\nLPUSH\r\n$1\r\nq\r\n$4\r\na\"\n\x01\r\n", b":1\r\n");
        c.roundtrip(b"*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$2\r\nhz\r\n", b"*2\r\n$2\r\nhz\r\n$2\r\n10\r\n");
        c.roundtrip(b"*1\r\n$3\r\nGET\r\n", b"-ERR wrong number of arguments for 'get' command\r\n");
        c.roundtrip(b"*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n", b"-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n");
        c.roundtrip(b"*2\r\n$6\r\nSELECT\r\n$1\r\n4\r\n", b"+OK\r\n");
        dispatch_as(&e, &mut Context::default(), &[b"rpop", b"q"], &LOCAL).unwrap();
        let got: Vec<String> = (0..4).map(|_| shape(&line(&mut m))).collect();
        assert_eq!(
            got,
            vec![
                "[0 127.0.0.1] \"LPUSH\" \"q\" \"a\\\"\\n\\x01\"",
                "[0 127.0.0.1] \"AUTH\" \"(redacted)\"",
                "[4 127.0.0.1] \"SELECT\" \"4\"",
                "[0 python] \"rpop\" \"q\"",
            ],
            "resp3 {resp3}"
        );
        // Its own commands come after their replies; QUIT gets no line.
        m.send(b"PING\r\n");
        m.expect(b"+PONG\r\n");
        assert!(shape(&line(&mut m)).ends_with("\"PING\""));
        // Pipelined: each line right after its own reply, as Redis writes them; RESET
        // ends monitoring before its own line would come; a transaction may not MONITOR.
        m.send(b"PING\r\nECHO x\r\nRESET\r\nMULTI\r\nMONITOR\r\nEXEC\r\n");
        m.expect(b"+PONG\r\n");
        assert!(shape(&line(&mut m)).ends_with("\"PING\""));
        m.expect(b"$1\r\nx\r\n");
        assert!(shape(&line(&mut m)).ends_with("\"ECHO\" \"x\""));
        m.expect(b"+RESET\r\n+OK\r\n+QUEUED\r\n*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n");
        m.roundtrip(b"MONITOR\r\n", b"+OK\r\n");
        m.roundtrip(b"QUIT\r\n", b"+OK\r\n");
        assert!(m.closed());
    }
}

#[test]
fn slowlog_replies_and_settings() {
    let e = Engine::new();
    let srv = start(&e);
    let mut c = Conn::open(&srv);
    c.roundtrip(b"CONFIG SET slowlog-log-slower-than 0\r\n", b"+OK\r\n");
    c.roundtrip(b"CLIENT SETNAME w1\r\n", b"+OK\r\n");
    c.roundtrip(b"SLOWLOG RESET\r\n", b"+OK\r\n");
    c.roundtrip(b"ECHO hi\r\n", b"$2\r\nhi\r\n");
    c.cmd(&[b"SLOWLOG", b"GET", b"1"]);
    let Frame::Array(entries) = c.frame() else { panic!() };
    let Frame::Array(entry) = &entries[0] else { panic!() };
    assert_eq!(entry.len(), 6);
    // CONFIG SET was 0, CLIENT SETNAME 1, SLOWLOG RESET 2 (logged after it ran).
    assert!(matches!(entry[0], Frame::Integer(3)), "{entry:?}");
    assert!(matches!(entry[1], Frame::Integer(t) if t > 1_600_000_000));
    assert!(matches!(entry[2], Frame::Integer(d) if d >= 0));
    assert_eq!(entry[3], Frame::Array(vec![Frame::Bulk(b"ECHO".to_vec()), Frame::Bulk(b"hi".to_vec())]));
    assert!(matches!(&entry[4], Frame::Bulk(a) if a.starts_with(b"127.0.0.1:")));
    assert_eq!(entry[5], Frame::Bulk(b"w1".to_vec()));
    c.roundtrip(b"SLOWLOG LEN\r\n", b":3\r\n");
    c.roundtrip(b"CONFIG SET slowlog-max-len 1\r\n", b"+OK\r\n");
    c.roundtrip(b"SLOWLOG LEN\r\n", b":1\r\n");
    c.roundtrip(
        b"CONFIG SET slowlog-max-len -1\r\n",
        b"-ERR CONFIG SET failed (possibly related to argument 'slowlog-max-len') - argument must be between 0 and 9223372036854775807 inclusive\r\n",
    );
    c.roundtrip(b"CONFIG GET slowlog-max-len\r\n", b"*2\r\n$15\r\nslowlog-max-len\r\n$1\r\n1\r\n");
    c.roundtrip(b"SLOWLOG GET -2\r\n", b"-ERR count should be greater than or equal to -1\r\n");
    c.roundtrip(b"SLOWLOG GET 1 2\r\n", b"-ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.\r\n");
    c.roundtrip(b"SLOWLOG NOPE\r\n", b"-ERR unknown subcommand 'NOPE'. Try SLOWLOG HELP.\r\n");
    c.roundtrip(b"SLOWLOG LEN x\r\n", b"-ERR wrong number of arguments for 'slowlog|len' command\r\n");
    c.roundtrip(b"CONFIG SET slowlog-log-slower-than -1\r\n", b"+OK\r\n");
    c.roundtrip(b"SLOWLOG RESET\r\n", b"+OK\r\n");
    c.roundtrip(b"PING\r\n", b"+PONG\r\n");
    c.roundtrip(b"SLOWLOG LEN\r\n", b":0\r\n");
}

#[test]
fn info_counts_the_server_and_in_process_callers_together() {
    let e = Engine::new();
    let srv = start(&e);
    let mut c = Conn::open(&srv);
    c.roundtrip(b"CONFIG RESETSTAT\r\n", b"+OK\r\n");
    c.roundtrip(b"LPUSH q a\r\n", b":1\r\n");
    c.roundtrip(b"GET q\r\n", b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    c.roundtrip(b"LPUSH q\r\n", b"-ERR wrong number of arguments for 'lpush' command\r\n");
    c.roundtrip(b"MULTI\r\n", b"+OK\r\n");
    c.roundtrip(b"LPUSH\r\n", b"-ERR wrong number of arguments for 'lpush' command\r\n");
    c.roundtrip(b"EXEC\r\n", b"-EXECABORT Transaction discarded because of previous errors.\r\n");
    dispatch_as(&e, &mut Context::default(), &[b"lpush", b"q", b"b"], &LOCAL).unwrap();
    c.cmd(&[b"INFO", b"commandstats"]);
    let Frame::Bulk(text) = c.frame() else { panic!() };
    let text = String::from_utf8(text).unwrap();
    let lpush = text.lines().find(|l| l.starts_with("cmdstat_lpush:")).unwrap();
    assert!(lpush.starts_with("cmdstat_lpush:calls=2,usec="), "{lpush}");
    assert!(lpush.ends_with(",rejected_calls=2,failed_calls=0"), "{lpush}");
    assert!(text.contains("cmdstat_exec:calls=1,") && text.contains("cmdstat_config|resetstat:calls=1,"), "{text}");
    c.cmd(&[b"INFO", b"errorstats"]);
    let Frame::Bulk(text) = c.frame() else { panic!() };
    assert_eq!(
        String::from_utf8(text).unwrap(),
        "# Errorstats\r\nerrorstat_ERR:count=2\r\nerrorstat_EXECABORT:count=1\r\nerrorstat_WRONGTYPE:count=1\r\n"
    );
}
