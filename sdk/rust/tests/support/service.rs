//! Runs the real Loom Analytics service (`node dist/main.js` at the repo root, on its embedded
//! PostgreSQL) for a test, on free ports and a temporary data directory, and stops it by pid
//! however the test ends.

#![allow(dead_code)]

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const READY_TIMEOUT: Duration = Duration::from_secs(90);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// A running service; dropping it stops the service (SIGTERM, then SIGKILL of what is left).
pub struct Service {
    child: Option<Child>,
    pub port: u16,
    pg_port: u16,
    pub admin_token: String,
    // Kept for restarts on the same data; removed when the Service is dropped.
    dir: tempfile::TempDir,
}

impl Service {
    /// Starts a service on a fresh data directory and waits until `/health/ready` answers 200.
    pub fn start() -> Service {
        let mut service = Service {
            child: None,
            port: free_port(),
            pg_port: free_port(),
            admin_token: format!("loom-test-admin-{}", std::process::id()),
            dir: tempfile::Builder::new()
                .prefix("loom-sdk-rust-")
                .tempdir()
                .expect("temp dir"),
        };
        service.boot();
        service
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops the service with SIGTERM and waits for it to exit (it shuts its Postgres down).
    pub fn stop(&mut self) {
        let mut child = match self.child.take() {
            Some(child) => child,
            None => return,
        };

        signal(child.id(), libc::SIGTERM);
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }

        eprintln!(
            "service {} ignored SIGTERM for {STOP_TIMEOUT:?}; killing it",
            child.id()
        );
        let _ = child.kill();
        let _ = child.wait();
        self.kill_orphaned_postgres();
    }

    /// Starts the service again on the same data directory and ports.
    pub fn restart(&mut self) {
        self.stop();
        self.boot();
    }

    fn boot(&mut self) {
        let root = repo_root();
        let main = root.join("dist/main.js");
        assert!(
            main.exists(),
            "{} is missing: run `npm install && npm run build` at the repo root first",
            main.display(),
        );

        let log = File::options()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("service log file");
        let child = Command::new("node")
            .arg(&main)
            .current_dir(&root)
            .env_remove("DATABASE_URL")
            .env("HOST", "127.0.0.1")
            .env("PORT", self.port.to_string())
            .env("LOOM_DATA_DIR", self.data_dir())
            .env("LOOM_PG_PORT", self.pg_port.to_string())
            .env("LOOM_ADMIN_TOKEN", &self.admin_token)
            .env("LOG_LEVEL", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("spawn node: is Node.js installed?");
        self.child = Some(child);

        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + READY_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!(
                    "service exited with {status} before ready:\n{}",
                    self.log_tail()
                );
            }
            if http_status(self.port, "/health/ready") == Some(200) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let log = self.log_tail();
        self.stop();
        panic!("service not ready within {READY_TIMEOUT:?}:\n{log}");
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("service.log")
    }

    /// The last lines the service logged, for failure messages.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// After a SIGKILL the embedded Postgres outlives node; its pid is in postmaster.pid under
    /// this test's own data directory, so only our own process is touched.
    fn kill_orphaned_postgres(&self) {
        if let Some(pid) = find_postmaster_pid(&self.data_dir()) {
            signal(pid, libc::SIGQUIT);
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("service log (last lines):\n{}", self.log_tail());
        }
        self.stop();
    }
}

fn signal(pid: u32, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(pid).expect("pid fits pid_t");
    // SAFETY: kill(2) reads no memory; the pid is one this harness spawned (or found in its own
    // data directory), and a stale pid only yields ESRCH.
    unsafe {
        libc::kill(pid, signal);
    }
}

fn find_postmaster_pid(dir: &Path) -> Option<u32> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).ok()?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .file_name()
                .map_or(false, |name| name == "postmaster.pid")
            {
                let text = std::fs::read_to_string(&path).ok()?;
                return text.lines().next()?.trim().parse().ok();
            }
        }
    }
    None
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// A port free at this moment (the OS picks it); the service binds it right after.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

/// The status of `GET path`, by hand over a socket so the harness needs no blocking HTTP client.
fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}
