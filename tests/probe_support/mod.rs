//! Test harness for the probe: a private nginx (Debian's binary, non-daemon,
//! its own prefix, config, pid and logs in a temp dir, 127.0.0.1 only), a
//! self-signed certificate made at test time with the openssl CLI, free
//! ports (see `ports`), and an in-process echo listener. Every daemon stops on drop.
//!
//! A missing component makes the test fail with its name; nothing is
//! skipped silently. The host's /etc/nginx is never read or written.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use opsdeck::probe::config::EchoConfig;
use opsdeck::probe::echo::{self, EchoServer};

pub const NGINX: &str = "/usr/sbin/nginx";
pub const STREAM_MODULE: &str = "/usr/lib/nginx/modules/ngx_stream_module.so";
/// The host name the test certificate is for (resolved with `resolve`).
pub const HOST: &str = "opsdeck.test";
/// nginx connects to the echo from this address; the echo trusts only it.
pub const PROXY_SOURCE: &str = "127.0.0.3";

// A test binary that includes deploy_support too (check_cli) holds two copies: harmless, and each
// support tree stays usable alone.
#[allow(clippy::duplicate_mod)]
#[path = "../support/ports.rs"]
pub mod ports;
use ports::{PortTaken, Wait};

/// A unique temp dir that is removed on drop.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("opsdeck-probe-")
        .tempdir()
        .expect("temp dir")
}

fn openssl(args: &[&str], what: &str) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "openssl CLI is needed to make the test certificates (apt-get install openssl): {e}"
            )
        });
    assert!(
        out.status.success(),
        "openssl {what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Test certificates: a private CA and a leaf for [`HOST`] it signed.
pub struct Certs {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Make a private CA and a leaf certificate for [`HOST`] valid for `days` days.
pub fn make_certs(dir: &Path, days: i32) -> Certs {
    make_certs_for(dir, HOST, days)
}

/// Make a private CA and a leaf certificate for `name` valid for `days`
/// days (-1: it expired a day ago).
pub fn make_certs_for(dir: &Path, name: &str, days: i32) -> Certs {
    let p = |n: &str| dir.join(n).display().to_string();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut a = vec!["req", "-x509"];
    a.extend(ec);
    let (ca_key, ca, key, csr, cert, ext) = (
        p("ca.key"),
        p("ca.pem"),
        p("key.pem"),
        p("leaf.csr"),
        p("cert.pem"),
        p("leaf.ext"),
    );
    a.extend([
        "-keyout",
        &ca_key,
        "-out",
        &ca,
        "-days",
        "3650",
        "-subj",
        "/CN=opsdeck test CA",
    ]);
    openssl(&a, "req (CA)");
    let mut a = vec!["req"];
    a.extend(ec);
    let subj = format!("/CN={name}");
    a.extend(["-keyout", &key, "-out", &csr, "-subj", &subj]);
    openssl(&a, "req (leaf)");
    std::fs::write(
        &ext,
        format!(
            "subjectAltName=DNS:{name}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
        ),
    )
    .expect("write leaf.ext");
    let days = days.to_string();
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-out",
            &cert,
            "-days",
            &days,
            "-extfile",
            &ext,
        ],
        "x509 (sign leaf)",
    );
    Certs {
        ca: ca.into(),
        cert: cert.into(),
        key: key.into(),
    }
}

/// A chain as a CA issues it: a private root CA, an intermediate it signed valid for
/// `intermediate_days`, and a leaf for [`HOST`] the intermediate signed valid for `leaf_days`
/// (-1: expired a day ago). `cert` holds the leaf then the intermediate, as a server sends
/// them (certbot's fullchain.pem); `ca` is the root alone.
pub fn make_chain(dir: &Path, intermediate_days: i32, leaf_days: i32) -> Certs {
    let p = |n: &str| dir.join(n).display().to_string();
    let new_key = |key: &str, out: &str, subj: &str, x509: bool| {
        let mut a = vec!["req"];
        if x509 {
            a.push("-x509");
        }
        a.extend([
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            key,
            "-out",
            out,
            "-subj",
            subj,
        ]);
        if x509 {
            a.extend(["-days", "3650"]);
        }
        openssl(&a, "req");
    };
    let sign = |csr: &str, ca: &str, ca_key: &str, out: &str, days: i32, ext: &str| {
        let ext_file = format!("{out}.ext");
        std::fs::write(&ext_file, ext).expect("write the extensions file");
        let days = days.to_string();
        openssl(
            &[
                "x509",
                "-req",
                "-in",
                csr,
                "-CA",
                ca,
                "-CAkey",
                ca_key,
                "-CAcreateserial",
                "-out",
                out,
                "-days",
                &days,
                "-extfile",
                &ext_file,
            ],
            "x509 (sign)",
        );
    };
    let (root_key, root) = (p("root.key"), p("root.pem"));
    new_key(&root_key, &root, "/CN=opsdeck test root CA", true);
    let (int_key, int_csr, int) = (p("int.key"), p("int.csr"), p("int.pem"));
    new_key(&int_key, &int_csr, "/CN=opsdeck test intermediate", false);
    sign(
        &int_csr,
        &root,
        &root_key,
        &int,
        intermediate_days,
        "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n",
    );
    let (key, csr, leaf) = (p("key.pem"), p("leaf.csr"), p("leaf.pem"));
    new_key(&key, &csr, &format!("/CN={HOST}"), false);
    sign(
        &csr,
        &int,
        &int_key,
        &leaf,
        leaf_days,
        &format!(
            "subjectAltName=DNS:{HOST}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
        ),
    );
    let full = dir.join("fullchain.pem");
    let mut pem = std::fs::read_to_string(&leaf).expect("read the leaf");
    pem.push_str(&std::fs::read_to_string(&int).expect("read the intermediate"));
    std::fs::write(&full, pem).expect("write the chain");
    Certs {
        ca: root.into(),
        cert: full,
        key: key.into(),
    }
}

/// Let's Encrypt's old chain in small: the root of a [`make_chain`] made in `dir` cross-signed
/// by an older root ("opsdeck test old root CA", its own key, valid 10 years), as ISRG Root X1
/// was by DST Root CA X3: the cross-sign has the root's name and key, the old root as issuer,
/// and is valid for `days`. Returns (the old root, the cross-sign).
pub fn make_cross_sign(dir: &Path, days: i32) -> (PathBuf, PathBuf) {
    let p = |n: &str| dir.join(n).display().to_string();
    let (old_key, old) = (p("old-root.key"), p("old-root.pem"));
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &old_key,
            "-out",
            &old,
            "-subj",
            "/CN=opsdeck test old root CA",
            "-days",
            "3650",
        ],
        "req (old root)",
    );
    let (csr, cross, ext) = (p("cross.csr"), p("cross.pem"), p("cross.ext"));
    openssl(
        &[
            "req",
            "-new",
            "-key",
            &p("root.key"),
            "-subj",
            "/CN=opsdeck test root CA",
            "-out",
            &csr,
        ],
        "req (cross-sign)",
    );
    std::fs::write(
        &ext,
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n",
    )
    .expect("write the extensions file");
    let days = days.to_string();
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &old,
            "-CAkey",
            &old_key,
            "-CAcreateserial",
            "-out",
            &cross,
            "-days",
            &days,
            "-extfile",
            &ext,
        ],
        "x509 (cross-sign)",
    );
    (old.into(), cross.into())
}

/// A self-signed certificate for [`HOST`] as `openssl req -x509` makes one
/// (so also a CA: basicConstraints CA:TRUE); returns (cert, key).
pub fn make_self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("self.pem"), dir.join("self.key"));
    let (c, k) = (cert.display().to_string(), key.display().to_string());
    let subj = format!("/CN={HOST}");
    let san = format!("subjectAltName=DNS:{HOST}");
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &k,
            "-out",
            &c,
            "-days",
            "30",
            "-subj",
            &subj,
            "-addext",
            &san,
        ],
        "req -x509 (self-signed)",
    );
    (cert, key)
}

/// A running private nginx.
pub struct Nginx {
    child: Child,
    pub dir: PathBuf,
}

impl Nginx {
    /// Start nginx on `N` fresh free ports with the configuration `body` makes for them (the
    /// `http { }` / `stream { }` blocks, listening on every port) and `top` (any `load_module`
    /// lines), waiting until nginx itself listens on each; returns nginx and its ports. A port
    /// taken by another test in the meantime makes it start again on new ones.
    pub fn start<const N: usize>(
        dir: &Path,
        top: &str,
        body: impl Fn([u16; N]) -> String,
    ) -> (Nginx, [u16; N]) {
        Nginx::start_trying(dir, top, ports::fresh_ports(), body)
    }

    /// [`Nginx::start`] on the sets of ports in `candidates`, in turn.
    pub fn start_trying<const N: usize>(
        dir: &Path,
        top: &str,
        candidates: impl IntoIterator<Item = [u16; N]>,
        body: impl Fn([u16; N]) -> String,
    ) -> (Nginx, [u16; N]) {
        assert!(
            Path::new(NGINX).exists(),
            "nginx is needed for this test: {NGINX} missing (apt-get install nginx libnginx-mod-stream)"
        );
        ports::start_on_ports("nginx", candidates, |ports| {
            Nginx::start_once(dir, top, &body(ports), &ports)
        })
    }

    /// One start on `ports`; [`PortTaken`] when nginx exits because one is taken.
    fn start_once(dir: &Path, top: &str, body: &str, ports: &[u16]) -> Result<Nginx, PortTaken> {
        let conf = format!(
            "{top}\ndaemon off;\nmaster_process off;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log info;\nevents {{ worker_connections 1024; }}\n{body}\n",
            dir = dir.display()
        );
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, conf).expect("write nginx.conf");
        // A failed attempt's log would make this attempt's failure look like a taken port.
        let log = dir.join("error.log");
        let _ = std::fs::remove_file(&log);
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(dir)
            .arg("-e")
            .arg(&log)
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {NGINX}: {e}"));
        let mut n = Nginx {
            child,
            dir: dir.to_path_buf(),
        };
        match ports::wait_listening(&mut n.child, "nginx", ports, Duration::from_secs(20)) {
            Wait::Listening => Ok(n),
            Wait::Exited(status) => {
                let log = n.error_log();
                if log.contains(ports::ADDRESS_IN_USE) {
                    Err(PortTaken(log))
                } else {
                    panic!("nginx exited ({status}) at start:\n{log}")
                }
            }
        }
    }

    /// nginx's temp paths, inside `http { }`.
    pub fn http_temp_paths(dir: &Path) -> String {
        let d = dir.display();
        format!(
            "client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi; access_log off;"
        )
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An echo listener on free loopback ports trusting only [`PROXY_SOURCE`].
pub async fn echo(with_proxy_protocol: bool) -> EchoServer {
    let cfg = EchoConfig {
        enabled: true,
        listen: "127.0.0.1:0".parse().unwrap(),
        proxy_protocol_listen: with_proxy_protocol.then(|| "127.0.0.1:0".parse().unwrap()),
        trusted_proxies: vec![format!("{PROXY_SOURCE}/32").parse().unwrap()],
        ..EchoConfig::default()
    };
    echo::start(&cfg).await.expect("echo listener starts")
}

/// The address of a server.
pub fn addr(s: &EchoServer) -> SocketAddr {
    s.addr
}

/// nginx as a correct TLS-terminating balancer in front of `upstream`:
/// port `http` redirects to https on `tls`; `tls` sends HSTS, trusts only
/// its own neighbour for X-Forwarded-For (realip), connects from
/// [`PROXY_SOURCE`] and replaces every forwarding header.
pub fn correct_balancer(
    dir: &Path,
    certs: &Certs,
    http: u16,
    tls: u16,
    upstream: SocketAddr,
) -> String {
    format!(
        r#"http {{
  {temp}
  server {{
    listen 127.0.0.1:{http};
    return 301 https://$host:{tls}$request_uri;
  }}
  server {{
    listen 127.0.0.1:{tls} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    add_header Strict-Transport-Security "max-age=63072000" always;
    set_real_ip_from 127.0.0.5/32;
    real_ip_header X-Forwarded-For;
    real_ip_recursive on;
    location / {{
      proxy_pass http://{upstream};
      proxy_bind {PROXY_SOURCE};
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Port $server_port;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header Forwarded "";
    }}
  }}
}}"#,
        temp = Nginx::http_temp_paths(dir),
        cert = certs.cert.display(),
        key = certs.key.display(),
    )
}
