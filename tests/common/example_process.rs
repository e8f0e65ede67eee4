//! The examples run as the programs they are: each is started on a free loopback port,
//! with its stdout and stderr collected, and killed on drop. `cargo test` builds the
//! examples before running the tests.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// A running example.
pub struct Running {
    pub child: Child,
    /// `127.0.0.1:<port>`, from its `listening on <addr>` line.
    pub addr: String,
    /// Its stdout lines up to and including `listening on`.
    pub lines: Vec<String>,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // A failed assertion about an answer: show what the program logged.
            eprintln!("--- stderr of {:?} ---\n{}", self.child.id(), self.stderr());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// `http://<addr>`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What it wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Waits (up to `timeout`) until its stderr contains `needle`.
    pub fn wait_for_stderr(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.stderr().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.stderr().contains(needle)
    }

    /// Sends `signal` (e.g. `libc::SIGTERM`) to the process.
    pub fn signal(&self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid");
        // SAFETY: kill(2) on the pid of our own child, which has not been waited for.
        assert_eq!(
            unsafe { libc::kill(pid, signal) },
            0,
            "kill({pid}, {signal})"
        );
    }

    /// Waits (up to `timeout`) for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

pub fn example_path(name: &str) -> PathBuf {
    // target/<profile>/deps/<this test> → target/<profile>/examples/<name>
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    dir.join("examples").join(name)
}

/// Starts example `name` on `127.0.0.1:0` with `env` on top of a clean environment for
/// its settings (no secret, no Redis, default token locations, default log filter).
pub fn start(name: &str, env: &[(&str, &str)]) -> Running {
    let path = example_path(name);
    assert!(
        path.exists(),
        "{} is not built: run `cargo test` (which builds the examples) or `cargo build --examples`",
        path.display()
    );
    let mut cmd = Command::new(&path);
    cmd.env("BIND", "127.0.0.1:0")
        .env_remove("JWT_SECRET_KEY")
        .env_remove("REDIS_URL")
        .env_remove("REDIS_LOCAL_CACHE_MS")
        .env_remove("REDIS_TIMEOUT_MS")
        .env_remove("REDIS_SENTINELS")
        .env_remove("JWT_TOKEN_LOCATION")
        .env_remove("JWT_REFRESH_ROTATION")
        .env_remove("MAX_CONNECTIONS")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start example");
    let stdout = child.stdout.take().expect("stdout");
    let mut stderr_pipe = child.stderr.take().expect("stderr");
    let stderr = Arc::new(Mutex::new(String::new()));
    let sink = stderr.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr_pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut s) = sink.lock() {
                s.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        }
    });
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut running = Running {
        child,
        addr: String::new(),
        lines: Vec::new(),
        stderr,
    };
    while running.addr.is_empty() {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                panic!(
                    "the example printed `listening on <addr>` in time; stderr:\n{}",
                    running.stderr()
                )
            });
        if let Some(addr) = line.strip_prefix("listening on ") {
            running.addr = addr.to_owned();
        }
        running.lines.push(line);
    }
    running
}
