//! The RESP server (feature `server`): any Redis client, redis-cli and redis-benchmark reach
//! an engine over TCP or a Unix socket. Layer rule: it reads requests with `resp`, runs
//! every engine command through `command::dispatch`, and keeps only connection state
//! (database, protocol, name, AUTH, MULTI queue, WATCHed keys, pub/sub mode) of its own.
//! It never calls into Python, so it runs on threads that never hold the GIL.
//!
//! Layout, as mini-redis's: `mod.rs` (configuration, start, accept, shutdown),
//! `connection.rs` (framing, pipelining, blocking waits, pub/sub delivery), `client.rs`
//! (client state, CLIENT), `commands.rs` (connection and server commands), `info.rs`
//! (INFO), `config.rs` (CONFIG's server parameters; the table is `command/config.rs`),
//! `cmdinfo.rs` (COMMAND), `reply.rs` (encoding), `errors.rs`.
//!
//! One runtime per server: tokio's current-thread runtime on a thread of its own, as
//! Redis's single event loop. The engine's one lock would serialise several workers
//! anyway, and a machine with two cores keeps the other one for the clients.

mod client;
mod cmdinfo;
mod commands;
mod config;
mod connection;
mod durability;
mod errors;
mod info;
mod reply;
mod slowlog;
mod spin;

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, RwLock};
use tokio::sync::{mpsc, watch};

use crate::engine::clock::unix_ms;
use crate::engine::Engine;
use crate::persist::Persistence;

pub use client::ClientEntry;

/// The Redis version whose behaviour embedis follows; HELLO and INFO report it, as clients
/// pick features by it.
pub const REDIS_VERSION: &str = "7.0.15";

/// How long a stopping server waits for its connections to finish their replies.
const GRACE: Duration = Duration::from_secs(5);

/// Output buffer limits of one client class (`client-output-buffer-limit`): bytes, 0 for
/// none. The soft limit is recorded and reported; the hard one closes the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutputLimit {
    /// Close the client once this many reply bytes wait for it.
    pub hard: usize,
    /// Soft limit (reported by CONFIG GET).
    pub soft: usize,
    /// Seconds the soft limit may be exceeded.
    pub soft_seconds: u64,
}

/// What a server is started with. Names and defaults are redis-server's.
#[derive(Debug, Clone)]
pub struct Config {
    /// `bind`: the addresses to listen on (default `127.0.0.1`). Host names are resolved.
    pub bind: Vec<String>,
    /// `port`: TCP port; `None` for no TCP listener (redis-server's `--port 0`); `Some(0)`
    /// for a port the system picks (see `Server::local_addrs`).
    pub port: Option<u16>,
    /// `unixsocket`: also (or only) listen on this Unix socket.
    pub unixsocket: Option<PathBuf>,
    /// `unixsocketperm`: the socket file's mode (octal in redis.conf), if set.
    pub unixsocketperm: Option<u32>,
    /// `requirepass`: the default user's password; `None` lets every client in.
    pub requirepass: Option<Vec<u8>>,
    /// `maxclients` (default 10000): more connections get an error and are closed.
    pub maxclients: usize,
    /// `protected-mode` (default yes): refuse to listen on a non-loopback address without
    /// `requirepass`.
    pub protected_mode: bool,
    /// `proto-max-bulk-len` (default 512 MB): the largest bulk string of a request.
    pub proto_max_bulk_len: usize,
    /// `client-query-buffer-limit` (default 1 GB): a client whose unprocessed input grows
    /// past it is closed.
    pub client_query_buffer_limit: usize,
    /// `client-output-buffer-limit normal` (default none).
    pub output_normal: OutputLimit,
    /// `timeout` (default 0, never): a client idle this many seconds is closed, unless it
    /// is blocked or subscribed.
    pub timeout: u64,
    /// `client-output-buffer-limit pubsub`: applied to the engine's subscribers when set;
    /// `None` keeps the engine's (Redis's defaults: 32 MB hard, 8 MB for 60 s).
    pub output_pubsub: Option<crate::engine::pubsub::Limits>,
    /// `tcp-keepalive` (default 300 s; 0: off).
    pub tcp_keepalive: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: vec!["127.0.0.1".into()],
            port: Some(6379),
            unixsocket: None,
            unixsocketperm: None,
            requirepass: None,
            maxclients: 10_000,
            protected_mode: true,
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            output_normal: OutputLimit::default(),
            timeout: 0,
            output_pubsub: None,
            tcp_keepalive: 300,
        }
    }
}

/// Why a server did not start.
#[derive(Debug)]
pub enum StartError {
    /// Protected mode refused a non-loopback address without a password.
    ProtectedMode {
        /// The address.
        addr: String,
    },
    /// Nothing to listen on (no port and no Unix socket).
    NoListener,
    /// Binding or starting failed.
    Io {
        /// What was being done (`bind 127.0.0.1:6379`).
        what: String,
        /// The error.
        source: io::Error,
    },
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::ProtectedMode { addr } => write!(
                f,
                "refusing to listen on {addr} without a password (protected mode): set requirepass \
                 (--requirepass), bind to 127.0.0.1, or turn protected mode off (--protected-mode no)"
            ),
            StartError::NoListener => f.write_str("nothing to listen on: give a port or a unixsocket"),
            StartError::Io { what, source } => write!(f, "{what}: {source}"),
        }
    }
}

impl std::error::Error for StartError {}

/// What CONFIG SET may change while the server runs. Read by connections once per batch.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// `requirepass`; new AUTHs are checked against it, authenticated clients stay so.
    pub requirepass: Option<Vec<u8>>,
    /// `maxclients`.
    pub maxclients: usize,
    /// `proto-max-bulk-len`.
    pub proto_max_bulk_len: usize,
    /// `client-query-buffer-limit`.
    pub client_query_buffer_limit: usize,
    /// `client-output-buffer-limit normal`.
    pub output_normal: OutputLimit,
    /// `timeout`, seconds (0: never).
    pub timeout: u64,
    /// `tcp-keepalive`, seconds (0: off): applied to each new TCP client, as Redis does.
    pub tcp_keepalive: u32,
}

/// Counters for INFO stats. Relaxed atomics: each is read on its own.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub connections_received: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub net_input_bytes: AtomicU64,
    pub net_output_bytes: AtomicU64,
}

/// What every connection of one server shares.
pub(crate) struct Shared {
    /// The broker served.
    pub engine: Engine,
    /// Waits for `appendfsync always` durability once per round of requests.
    pub syncer: Arc<durability::Syncer>,
    /// Its persistence, if it has one (SAVE, BGSAVE, INFO persistence, CONFIG GET dir).
    pub persist: Option<Persistence>,
    /// CONFIG SET-able settings.
    pub settings: RwLock<Settings>,
    /// Connected clients by id (CLIENT LIST/KILL/UNBLOCK); each connection adds and removes
    /// its own entry.
    pub clients: Mutex<BTreeMap<u64, Arc<ClientEntry>>>,
    /// Source of client ids (from 1, never reused).
    pub next_client_id: AtomicU64,
    /// Open connections, for `maxclients`.
    pub connected: AtomicUsize,
    /// INFO stats.
    pub stats: Stats,
    /// When the server started (uptime).
    pub started: Instant,
    /// Keeps the runtime thread polling for a moment after each batch (see `spin`); `None`
    /// on a single CPU.
    pub spin: Option<spin::Spin>,
    /// Unix seconds at start (LASTSAVE without persistence).
    pub started_unix: i64,
    /// Milliseconds since `started`, refreshed ten times a second by the server's clock
    /// task (Redis's cached `server.unixtime`): connections stamp their activity with it
    /// instead of reading the clock on every batch.
    pub coarse_ms: AtomicU64,
    /// Set to true to stop (SHUTDOWN, `Server::stop`); connections and accept loops watch it.
    pub stop: watch::Sender<bool>,
    /// INFO's `run_id`.
    pub run_id: String,
    /// The TCP port listened on (0 without TCP).
    pub tcp_port: u16,
    /// The addresses bound, as given (CONFIG GET bind).
    pub bind: Vec<String>,
    /// The Unix socket, if any.
    pub unixsocket: Option<PathBuf>,
    /// Its mode, if one was given (`unixsocketperm`).
    pub unixsocketperm: Option<u32>,
    /// `protected-mode` as started.
    pub protected_mode: bool,
}

impl Shared {
    /// The coarse clock (see `coarse_ms`).
    pub fn now_ms(&self) -> u64 {
        self.coarse_ms.load(Ordering::Relaxed)
    }

    /// Asks the server to stop (idempotent): the accept loops end, and every connection's
    /// input is ended, so each closes once its replies are written.
    pub fn request_stop(&self) {
        self.stop.send_replace(true);
        for c in self.clients.lock().values() {
            c.end_input();
        }
    }
}

/// A listener of either kind.
enum Listener {
    Tcp(tokio::net::TcpListener),
    Unix(tokio::net::UnixListener),
}

/// A running server. Dropping it stops it (gracefully, as `stop`).
pub struct Server {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Set by the server thread when it has finished.
    done: Arc<(Mutex<bool>, Condvar)>,
    local_addrs: Vec<SocketAddr>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server").field("addrs", &self.local_addrs).field("unixsocket", &self.shared.unixsocket).finish_non_exhaustive()
    }
}

fn io_err(what: String) -> impl FnOnce(io::Error) -> StartError {
    move |source| StartError::Io { what, source }
}

/// The socket addresses `host:port` names, refusing non-loopback ones in protected mode.
fn resolve(host: &str, port: u16, config: &Config) -> Result<Vec<SocketAddr>, StartError> {
    let addrs: Vec<SocketAddr> = (host, port).to_socket_addrs().map_err(io_err(format!("resolve {host}")))?.collect();
    if config.protected_mode && config.requirepass.is_none() && addrs.iter().any(|a| !a.ip().is_loopback()) {
        return Err(StartError::ProtectedMode { addr: host.to_owned() });
    }
    Ok(addrs)
}

impl Server {
    /// Binds the listeners `config` names and starts serving `engine` on a thread of its
    /// own. Returns once the listeners are bound, so a port in use or a protected-mode
    /// refusal is an error here, and clients may connect as soon as it returns.
    ///
    /// # Errors
    /// `ProtectedMode`, `NoListener`, or the I/O error of a bind.
    pub fn start(engine: Engine, persist: Option<Persistence>, config: Config) -> Result<Server, StartError> {
        if config.port.is_none() && config.unixsocket.is_none() {
            return Err(StartError::NoListener);
        }
        let mut std_tcp = Vec::new();
        if let Some(port) = config.port {
            for host in &config.bind {
                for addr in resolve(host, port, &config)? {
                    let l = std::net::TcpListener::bind(addr).map_err(io_err(format!("bind {addr}")))?;
                    l.set_nonblocking(true).map_err(io_err(format!("bind {addr}")))?;
                    std_tcp.push(l);
                }
            }
        }
        let local_addrs: Vec<SocketAddr> = std_tcp.iter().filter_map(|l| l.local_addr().ok()).collect();
        let std_unix = match &config.unixsocket {
            Some(path) => {
                // As Redis: a stale socket file from an earlier run is replaced.
                let _ = std::fs::remove_file(path);
                let l = std::os::unix::net::UnixListener::bind(path).map_err(io_err(format!("bind {}", path.display())))?;
                l.set_nonblocking(true).map_err(io_err(format!("bind {}", path.display())))?;
                if let Some(mode) = config.unixsocketperm {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                        .map_err(io_err(format!("chmod {}", path.display())))?;
                }
                Some(l)
            }
            None => None,
        };

        let syncer = Arc::new(durability::Syncer::new());
        let hook = syncer.clone();
        let rt = tokio::runtime::Builder::new_current_thread()
            .on_thread_park(move || hook.sync_round())
            .enable_all()
            .thread_name("embedis-server")
            .build()
            .map_err(io_err("start the server's runtime".into()))?;
        let mut listeners = Vec::new();
        {
            let _in_rt = rt.enter();
            for l in std_tcp {
                listeners.push(Listener::Tcp(tokio::net::TcpListener::from_std(l).map_err(io_err("listen".into()))?));
            }
            if let Some(l) = std_unix {
                listeners.push(Listener::Unix(tokio::net::UnixListener::from_std(l).map_err(io_err("listen".into()))?));
            }
        }

        if let Some(limits) = config.output_pubsub {
            engine.execute(|ks| ks.pubsub.set_limits(limits));
        }
        let (stop, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            engine,
            syncer,
            persist,
            settings: RwLock::new(Settings {
                requirepass: config.requirepass.clone(),
                maxclients: config.maxclients,
                proto_max_bulk_len: config.proto_max_bulk_len,
                client_query_buffer_limit: config.client_query_buffer_limit,
                output_normal: config.output_normal,
                timeout: config.timeout,
                tcp_keepalive: config.tcp_keepalive,
            }),
            clients: Mutex::new(BTreeMap::new()),
            next_client_id: AtomicU64::new(1),
            connected: AtomicUsize::new(0),
            stats: Stats::default(),
            started: Instant::now(),
            spin: spin::Spin::new_if_useful(),
            started_unix: unix_ms() / 1000,
            coarse_ms: AtomicU64::new(0),
            stop,
            run_id: info::run_id(),
            tcp_port: local_addrs.first().map_or(0, SocketAddr::port),
            bind: config.bind.clone(),
            unixsocket: config.unixsocket.clone(),
            unixsocketperm: config.unixsocketperm,
            protected_mode: config.protected_mode,
        });
        let done = Arc::new((Mutex::new(false), Condvar::new()));
        let thread = {
            let shared = shared.clone();
            let done = done.clone();
            std::thread::Builder::new()
                .name("embedis-server".into())
                .spawn(move || {
                    crate::engine::mark_worker_thread();
                    rt.block_on(run(shared.clone(), listeners));
                    // Dropping the runtime drops every task left: a client still blocked
                    // then gives back what it was handed.
                    drop(rt);
                    if let Some(path) = &shared.unixsocket {
                        let _ = std::fs::remove_file(path);
                    }
                    *done.0.lock() = true;
                    done.1.notify_all();
                })
                .map_err(io_err("start the server thread".into()))?
        };
        Ok(Server { shared, thread: Mutex::new(Some(thread)), done, local_addrs })
    }

    /// The TCP addresses listened on (with the real port when 0 was asked for).
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// The Unix socket listened on, if any.
    pub fn unixsocket(&self) -> Option<&std::path::Path> {
        self.shared.unixsocket.as_deref()
    }

    /// Asks the server to stop without waiting: it stops accepting, lets each connection
    /// finish the replies it is writing, then closes them.
    pub fn request_stop(&self) {
        self.shared.request_stop();
    }

    /// Stops the server and waits until it has stopped (see `request_stop`), at most a
    /// few seconds for slow readers.
    pub fn stop(&self) {
        self.request_stop();
        let thread = self.thread.lock().take();
        if let Some(t) = thread {
            let _ = t.join();
        }
    }

    /// Waits until the server has stopped (SHUTDOWN, `stop`), at most `timeout` if given.
    /// Returns whether it has stopped.
    pub fn wait(&self, timeout: Option<Duration>) -> bool {
        let (lock, cv) = &*self.done;
        let mut done = lock.lock();
        match timeout {
            None => {
                while !*done {
                    cv.wait(&mut done);
                }
            }
            Some(t) => {
                let until = Instant::now() + t;
                while !*done {
                    if cv.wait_until(&mut done, until).timed_out() {
                        break;
                    }
                }
            }
        }
        *done
    }

    /// Whether the server still runs.
    pub fn is_running(&self) -> bool {
        !*self.done.0.lock()
    }

    /// Connections open now.
    pub fn connected_clients(&self) -> usize {
        self.shared.connected.load(Ordering::Relaxed)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The server's main task: accept on every listener until asked to stop, then give the
/// connections `GRACE` to finish.
async fn run(shared: Arc<Shared>, listeners: Vec<Listener>) {
    // Every connection and accept loop holds a clone; `recv` ends once all are gone
    // (mini-redis's shutdown-complete channel).
    let (alive, mut all_gone) = mpsc::channel::<()>(1);
    let mut stop = shared.stop.subscribe();
    for l in listeners {
        tokio::spawn(accept_loop(l, shared.clone(), alive.clone()));
    }
    if shared.spin.is_some() {
        let shared = shared.clone();
        tokio::spawn(async move {
            if let Some(spin) = &shared.spin {
                spin.run(&shared.syncer).await;
            }
        });
    }
    let clock = {
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            for n in 0u64.. {
                tick.tick().await;
                let ms = u64::try_from(shared.started.elapsed().as_millis()).unwrap_or(u64::MAX);
                shared.coarse_ms.store(ms, Ordering::Relaxed);
                if n % 10 == 0 {
                    close_idle_clients(&shared, ms);
                }
            }
        })
    };
    drop(alive);
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            break;
        }
    }
    let _ = tokio::time::timeout(GRACE, all_gone.recv()).await;
    clock.abort();
}

/// `timeout`: closes every client idle for longer, once a second, as Redis's
/// `clientsCronHandleTimeout`: not one blocked in a command, nor one subscribed to a
/// channel or a pattern. Closed without a reply.
fn close_idle_clients(shared: &Shared, now: u64) {
    let timeout = shared.settings.read().timeout;
    if timeout == 0 {
        return;
    }
    let limit = timeout.saturating_mul(1000);
    for c in shared.clients.lock().values() {
        if now.saturating_sub(c.last_active.load(Ordering::Relaxed)) <= limit {
            continue;
        }
        let exempt = {
            let s = c.shown.lock();
            s.blocked || s.sub + s.psub > 0
        };
        if !exempt {
            c.kill();
        }
    }
}

async fn accept_loop(listener: Listener, shared: Arc<Shared>, alive: mpsc::Sender<()>) {
    let mut stop = shared.stop.subscribe();
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        let accepted = tokio::select! {
            biased;
            _ = stop.changed() => return,
            a = accept(&listener, &shared) => a,
        };
        match accepted {
            Ok(sock) => {
                shared.stats.connections_received.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(connection::serve(sock, shared.clone(), alive.clone()));
            }
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning, as
                // Redis's accept handler logs and goes on.
                if !matches!(e.kind(), io::ErrorKind::ConnectionAborted | io::ErrorKind::Interrupted) {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}

async fn accept(l: &Listener, shared: &Shared) -> io::Result<connection::Socket> {
    match l {
        Listener::Tcp(l) => {
            let (s, peer) = l.accept().await?;
            let _ = s.set_nodelay(true);
            let keepalive = shared.settings.read().tcp_keepalive;
            if keepalive > 0 {
                keep_alive(&s, keepalive);
            }
            let local = s.local_addr().map_or_else(|_| String::new(), |a| a.to_string());
            Ok(connection::Socket::tcp(s, peer.to_string(), local))
        }
        Listener::Unix(l) => {
            let (s, _) = l.accept().await?;
            let path = s.local_addr().ok().and_then(|a| a.as_pathname().map(|p| p.display().to_string())).unwrap_or_default();
            Ok(connection::Socket::unix(s, format!("{path}:0")))
        }
    }
}

/// TCP keepalive probes, as Redis's `anetKeepAlive` (`tcp-keepalive`, default 300 s):
/// the first after `secs` of silence, then every third of it, three unanswered closing
/// the connection. A client whose host vanished while blocked is then dropped (and gives
/// back what it was handed) instead of waiting forever to take an element into a socket
/// nobody reads.
fn keep_alive(s: &tokio::net::TcpStream, secs: u32) {
    use rustix::net::sockopt;
    let _ = sockopt::set_socket_keepalive(s, true);
    let _ = sockopt::set_tcp_keepidle(s, Duration::from_secs(secs.into()));
    let _ = sockopt::set_tcp_keepintvl(s, Duration::from_secs((secs / 3).max(1).into()));
    let _ = sockopt::set_tcp_keepcnt(s, 3);
}
