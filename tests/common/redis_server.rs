//! Throwaway `redis-server` processes for the Redis store's tests: each on a free loopback
//! port, in its own temporary directory (in memory where the machine has `/dev/shm`), with
//! AOF on and fsync on every write.
//!
//! The binary is `$REDIS_SERVER_BIN`, or `redis-server` on `PATH`. When it is missing the
//! tests that need it are skipped with a note, except under CI (`$CI` set), where that is
//! an error.
#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running (or killed, or paused) `redis-server`. Killed on drop.
#[derive(Debug)]
pub struct RedisServer {
    bin: PathBuf,
    port: u16,
    dir: tempfile::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server with the standard options, or `None` (after a note) when there is no
    /// `redis-server` and this is not CI.
    pub fn start() -> Option<Self> {
        Self::start_with(&[])
    }

    /// Starts a server with the standard options followed by `extra` (later options win).
    pub fn start_with(extra: &[&str]) -> Option<Self> {
        Self::start_with_env(extra, &[])
    }

    /// Starts a server whose wall clock reads `offset_secs` from the real time (ahead when
    /// positive), with datefudge preloaded (`$DATEFUDGE_LIB`, or the distribution's
    /// `datefudge.so`). `None` (after a note) when datefudge or `redis-server` is missing
    /// and this is not CI. (libfaketime cannot be used: it deadlocks at start in a
    /// jemalloc build of Redis, such as Debian's.)
    pub fn start_skewed(offset_secs: i64) -> Option<Self> {
        let lib = datefudge_lib()?;
        // datefudge subtracts $DATEFUDGE seconds from the real time.
        let fudge = (-offset_secs).to_string();
        Self::start_with_env(
            &[],
            &[
                ("LD_PRELOAD", lib.to_str().expect("utf-8 path")),
                ("DATEFUDGE", &fudge),
            ],
        )
    }

    /// Starts a server with the standard options followed by `extra`, with `env` set.
    pub fn start_with_env(extra: &[&str], env: &[(&str, &str)]) -> Option<Self> {
        let bin = binary()?;
        let mut last_error = String::new();
        // The port is free when picked but may be taken before the server binds it: retry.
        for _ in 0..5 {
            let mut server = Self {
                bin: bin.clone(),
                port: free_port(),
                dir: data_dir(),
                args: extra.iter().map(|s| s.to_string()).collect(),
                env: env
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                child: None,
            };
            match server.spawn() {
                Ok(()) => return Some(server),
                Err(e) => last_error = e,
            }
        }
        panic!("could not start redis-server: {last_error}");
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().expect("server is running").id()
    }

    /// `kill -9`: no shutdown, no final save.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill(); // SIGKILL, which also ends a stopped process
            let _ = child.wait();
        }
    }

    /// `SIGSTOP`: the process stays, its sockets accept connections, nothing answers.
    pub fn pause(&self) {
        signal(self.pid(), "-STOP");
    }

    /// `SIGCONT` after [`pause`](Self::pause).
    pub fn resume(&self) {
        signal(self.pid(), "-CONT");
    }

    /// Kills the server if it runs, then starts it again on the same port, in the same
    /// directory (so with the same AOF).
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.spawn() {
                Ok(()) => return,
                Err(e) if Instant::now() > deadline => panic!("redis-server restart: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    fn spawn(&mut self) -> Result<(), String> {
        let port = self.port.to_string();
        let dir = self.dir.path().to_str().expect("utf-8 temp dir").to_owned();
        let log = self.dir.path().join("redis.log");
        let mut args: Vec<String> = [
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--dir",
            &dir,
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
            "--daemonize",
            "no",
            "--logfile",
            log.to_str().expect("utf-8 log path"),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(self.args.iter().cloned());
        let mut child = Command::new(&self.bin)
            .args(&args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", self.bin.display()))?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(format!("redis-server exited with {status}: {log}"));
            }
            if ping(self.port) {
                self.child = Some(child);
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err("redis-server did not answer PING within 10 s".into());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A directory for a server's files (its AOF, its log), in memory (`/dev/shm`) when the
/// machine has it. The tests kill the process, never the machine, so an AOF in memory
/// keeps what they check, and `appendfsync always` costs a memory write instead of a disk
/// flush, which on a busy CI disk can outlast a call's timeout.
fn data_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("redis-test-")
        .tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .expect("temporary directory")
}

/// The server binary, or `None` when it is missing outside CI.
fn binary() -> Option<PathBuf> {
    let bin = PathBuf::from(
        std::env::var_os("REDIS_SERVER_BIN").unwrap_or_else(|| "redis-server".into()),
    );
    match Command::new(&bin).arg("--version").output() {
        Ok(out) if out.status.success() => Some(bin),
        result => {
            let why = match result {
                Ok(out) => format!("exited with {}", out.status),
                Err(e) => e.to_string(),
            };
            if std::env::var_os("CI").is_some() {
                panic!(
                    "{} is not usable ({why}); CI must run the Redis tests (set REDIS_SERVER_BIN)",
                    bin.display()
                );
            }
            eprintln!(
                "note: skipping a Redis test: {} is not usable ({why}); install redis-server \
                 or set REDIS_SERVER_BIN",
                bin.display()
            );
            None
        }
    }
}

/// datefudge's library, or `None` when it is missing outside CI.
fn datefudge_lib() -> Option<PathBuf> {
    let candidates = std::env::var_os("DATEFUDGE_LIB")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            [
                "/usr/lib/x86_64-linux-gnu/datefudge/datefudge.so",
                "/usr/lib/aarch64-linux-gnu/datefudge/datefudge.so",
                "/usr/lib/datefudge/datefudge.so",
            ]
            .map(PathBuf::from),
        );
    for lib in candidates {
        if lib.is_file() {
            return Some(lib);
        }
    }
    if std::env::var_os("CI").is_some() {
        panic!("datefudge is missing; CI must run the clock-skew tests (set DATEFUDGE_LIB)");
    }
    eprintln!("note: skipping a clock-skew test: datefudge is missing (apt package datefudge)");
    None
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Whether the server on `port` answers `PING` with `+PONG` (not `-LOADING`).
pub fn ping(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

fn signal(pid: u32, sig: &str) {
    let status = Command::new("kill")
        .arg(sig)
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {sig} {pid} failed");
}

/// A throwaway Redis Sentinel (`redis-server <config> --sentinel`) on a free loopback port,
/// monitoring `master` at a loopback port with quorum 2. Killed on drop.
#[derive(Debug)]
pub struct Sentinel {
    port: u16,
    _dir: tempfile::TempDir,
    child: Child,
}

impl Sentinel {
    /// Starts a Sentinel, or `None` (after a note) when there is no `redis-server` and this
    /// is not CI.
    pub fn start(master: &str, master_port: u16) -> Option<Self> {
        let bin = binary()?;
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            let dir = data_dir();
            let config = dir.path().join("sentinel.conf");
            let log = dir.path().join("sentinel.log");
            std::fs::write(
                &config,
                format!(
                    "port {port}\nbind 127.0.0.1\ndir {dir}\nlogfile {log}\n\
                     sentinel monitor {master} 127.0.0.1 {master_port} 2\n\
                     sentinel down-after-milliseconds {master} 1000\n\
                     sentinel failover-timeout {master} 10000\n\
                     sentinel parallel-syncs {master} 1\n",
                    dir = dir.path().display(),
                    log = log.display(),
                ),
            )
            .expect("write the sentinel config");
            let mut child = Command::new(&bin)
                .arg(&config)
                .arg("--sentinel")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn redis-server --sentinel");
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    last_error = format!(
                        "sentinel exited with {status}: {}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                    break;
                }
                if ping(port) {
                    return Some(Self {
                        port,
                        _dir: dir,
                        child,
                    });
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_error = "sentinel did not answer PING within 10 s".into();
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        panic!("could not start a sentinel: {last_error}");
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
