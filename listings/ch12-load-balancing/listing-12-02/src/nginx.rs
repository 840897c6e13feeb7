//! nginx as the balancer in the middle: a configuration written for the
//! replicas at hand, and the process, stopped when dropped.
//!
//! The settings that matter are in the `upstream` block and the
//! `proxy_next_upstream` line. `least_conn` sends each request to the
//! server with the fewest active connections (nginx's least outstanding).
//! `max_fails=1 fail_timeout=2s` takes a server out for 2 s after one
//! failed attempt (nginx's passive health check; active checks are in the
//! commercial edition). `proxy_next_upstream error timeout` sends a
//! request that failed to connect or timed out to the next server, and
//! nginx (since 1.9.13) never does so for POST, LOCK or PATCH unless told
//! `non_idempotent`: the rule of chapter 11, built in. The process runs
//! in the foreground without a master process (`master_process off`, a
//! development setting) so that killing it stops everything.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};

/// How nginx picks a server from its upstream group.
#[derive(Clone, Copy, Debug)]
pub enum Method {
    RoundRobin,
    LeastConn,
}

pub struct Nginx {
    child: Child,
    dir: PathBuf,
    pub addr: String,
}

// ANCHOR: config
/// The configuration for `replicas` (`127.0.0.1:PORT` each), served on
/// `listen`, with temporary files under `dir`.
pub fn config(replicas: &[String], method: Method, listen: &str, dir: &str) -> String {
    let mut servers = String::new();
    for r in replicas {
        let _ = writeln!(servers, "        server {r} max_fails=1 fail_timeout=2s;");
    }
    let method = match method {
        Method::RoundRobin => "",
        Method::LeastConn => "        least_conn;\n",
    };
    format!(
        "daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log stderr crit;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream replicas {{
{method}{servers}        keepalive 32;
    }}
    server {{
        listen {listen};
        location / {{
            proxy_pass http://replicas;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_connect_timeout 200ms;
            proxy_read_timeout 1s;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 3;
        }}
    }}
}}
"
    )
}
// ANCHOR_END: config

impl Nginx {
    /// Starts nginx in front of `replicas` and waits until it accepts
    /// connections (at most 5 s).
    pub async fn start(replicas: &[String], method: Method) -> anyhow::Result<Nginx> {
        let binary = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .context("nginx is not installed (Debian: apt-get install nginx)")?;
        // A free port: bind to port 0, note the port, let it go.
        let port = TcpListener::bind("127.0.0.1:0").await?.local_addr()?.port();
        let addr = format!("127.0.0.1:{port}");
        let dir = std::env::temp_dir().join(format!("book-nginx-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let dir_str = dir
            .to_str()
            .context("a temporary folder with a UTF-8 name")?;
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config(replicas, method, &addr, dir_str))?;
        let mut command = Command::new(binary);
        command
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg("stderr")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true);
        // If this process dies without dropping the `Nginx`, the kernel
        // kills nginx too.
        crate::child::die_with_parent(command.as_std_mut());
        let mut child = command.spawn().context("starting nginx")?;
        let deadline = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(&addr).await.is_err() {
            if let Some(status) = child.try_wait()? {
                bail!(
                    "nginx exited at start ({status}); its configuration is {}",
                    conf.display()
                );
            }
            if Instant::now() > deadline {
                bail!("nginx did not listen on {addr} within 5 s");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Nginx { child, dir, addr })
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
