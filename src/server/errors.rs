//! The server's own error replies, word for word as Redis 7.0 writes them (the engine's
//! live in `engine::Error`). One place, so that no handler words an error of its own.

/// A command other than AUTH/HELLO/QUIT/RESET before authentication (`shared.noautherr`).
pub const NOAUTH: &str = "NOAUTH Authentication required.";
/// HELLO without AUTH from a client that must authenticate (`helloCommand`).
pub const NOAUTH_HELLO: &str = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time";
/// AUTH or HELLO AUTH with a wrong user or password (`addAuthErrReply`).
pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";
/// AUTH <password> while no password is set (`authCommand`).
pub const AUTH_NO_PASSWORD: &str = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";
/// HELLO with a version that is not a number.
pub const HELLO_PROTO_NOT_INT: &str = "ERR Protocol version is not an integer or out of range";
/// HELLO with a version other than 2 or 3.
pub const NOPROTO: &str = "NOPROTO unsupported protocol version";
/// The reply to a client over `maxclients`, before closing it (`acceptCommonHandler`).
pub const MAX_CLIENTS: &str = "ERR max number of clients reached";
/// A command flagged no-multi inside MULTI (`processCommand`).
pub const NOT_IN_MULTI: &str = "ERR Command not allowed inside a transaction";
/// MULTI inside MULTI.
pub const MULTI_NESTED: &str = "ERR MULTI calls can not be nested";
/// EXEC without MULTI.
pub const EXEC_NO_MULTI: &str = "ERR EXEC without MULTI";
/// DISCARD without MULTI.
pub const DISCARD_NO_MULTI: &str = "ERR DISCARD without MULTI";
/// EXEC after a command was refused while queuing.
pub const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";
/// WATCH inside MULTI.
pub const WATCH_IN_MULTI: &str = "ERR WATCH inside MULTI is not allowed";
/// A bad CLIENT SETNAME name.
pub const CLIENT_NAME: &str = "ERR Client names cannot contain spaces, newlines or special characters.";
/// CLIENT KILL with the old form and no such client.
pub const NO_SUCH_CLIENT: &str = "ERR No such client";
/// CLIENT KILL ID with a bad id.
pub const CLIENT_ID: &str = "ERR client-id should be greater than 0";
/// CLIENT UNBLOCK with a bad reason.
pub const UNBLOCK_REASON: &str = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR";
/// What a client unblocked by CLIENT UNBLOCK ... ERROR receives.
pub const UNBLOCKED: &str = "UNBLOCKED client unblocked via CLIENT UNBLOCK";
/// A command that needs persistence on a server without `dir` (embedis's own words:
/// Redis always has a directory).
pub const NO_PERSISTENCE: &str = "ERR this broker has no persistence: start it with a directory (embedis serve --dir, or Broker(dir=...))";
/// SHUTDOWN with bad options.
pub const SYNTAX: &str = "ERR syntax error";
/// SHUTDOWN while the final save failed (`prepareForShutdown`).
pub const SHUTDOWN_SAVE: &str = "ERR Errors trying to SHUTDOWN. Check logs.";

/// SSUBSCRIBE queued in MULTI, run by EXEC (`ssubscribeCommand` refuses a client that may
/// not block, which a transaction is; SUBSCRIBE has an exception for MULTI, SSUBSCRIBE not).
pub const SSUBSCRIBE_DENY_BLOCKING: &str = "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client";

/// The commands with subcommands, which Redis names `name|sub` (`cmd->fullname`).
const CONTAINERS: &[&str] = &["client", "command", "config", "pubsub", "xgroup", "xinfo"];

/// RESP2 subscribed mode refuses `cmd` (`processCommand`), named as Redis names it: with
/// its subcommand for a container (`config|get`).
pub fn pubsub_context(cmd: &str, args: &[&[u8]]) -> String {
    let name = match args.get(1) {
        Some(sub) if CONTAINERS.contains(&cmd) => {
            format!("{cmd}|{}", crate::command::sanitize(sub).to_ascii_lowercase())
        }
        _ => cmd.to_owned(),
    };
    format!("ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
}

/// A protocol error, before the connection is closed (`setProtocolError`).
pub fn protocol(what: &dyn std::fmt::Display) -> String {
    format!("ERR Protocol error: {what}")
}

/// An unknown subcommand (`addReplySubcommandSyntaxError`'s sibling).
pub fn unknown_subcommand(cmd: &str, sub: &[u8]) -> String {
    let sub = crate::command::sanitize(&sub[..sub.len().min(128)]);
    format!("ERR unknown subcommand '{sub}'. Try {} HELP.", cmd.to_ascii_uppercase())
}

/// A HELLO option it does not know.
pub fn hello_option(opt: &[u8]) -> String {
    format!("ERR Syntax error in HELLO option '{}'", crate::command::sanitize(opt))
}

/// MONITOR run by EXEC: a transaction expects one reply per command.
pub const MONITOR_IN_MULTI: &str = "ERR MONITOR isn't allowed for DENY BLOCKING client";
