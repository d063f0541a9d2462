//! What the `command_*` tests share: a broker and one connection's context, driven with
//! command lines as a client would type them.

#![allow(dead_code)] // Each test crate uses its own subset.

use embedis::command::{dispatch, Context, Reply};
use embedis::engine::Engine;

/// A broker and one connection's context.
pub struct Conn {
    pub engine: Engine,
    pub ctx: Context,
}

impl Conn {
    /// A new, empty broker.
    pub fn new() -> Conn {
        Conn { engine: Engine::new(), ctx: Context::default() }
    }

    /// Runs one command line (words split on spaces); the reply or the error text.
    pub fn run(&mut self, line: &str) -> Result<Reply, String> {
        let argv: Vec<&[u8]> = line.split_whitespace().map(str::as_bytes).collect();
        dispatch(&self.engine, &mut self.ctx, &argv).map_err(|e| e.to_string())
    }

    /// The reply of a line that must succeed.
    pub fn ok(&mut self, line: &str) -> Reply {
        self.run(line).unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    /// The error text of a line that must fail.
    pub fn err(&mut self, line: &str) -> String {
        match self.run(line) {
            Ok(r) => panic!("{line}: expected an error, got {r:?}"),
            Err(e) => e,
        }
    }

    /// The integer reply of a line that must give one.
    pub fn int(&mut self, line: &str) -> i64 {
        match self.ok(line) {
            Reply::Int(i) => i,
            other => panic!("{line}: {other:?}"),
        }
    }
}
