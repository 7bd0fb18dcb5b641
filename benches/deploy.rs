//! Status refresh of a large deploy checkout, side by side with
//! `git status --porcelain` on the same repository in the same run.
//!
//! Run: `cargo bench --bench deploy`. The repository has
//! `OPSDECK_BENCH_FILES` files (default 100000) in directories of 100,
//! committed, with one modified and one untracked file. It is built once
//! per run in a temp directory with the git CLI; file times are set before
//! the index is written so no entry is "racily clean" for either tool.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

use opsdeck::deploy::{DeployConfig, status};

fn git(dir: &Path, args: &[&str]) {
    let st = Command::new("git")
        .args(["-c", "user.name=B", "-c", "user.email=b@example.org"])
        .args(["-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .expect("git is needed for this benchmark");
    assert!(st.success(), "git {args:?} failed");
}

fn build_repo(dir: &Path, files: usize) {
    git(dir, &["init", "-q"]);
    for i in 0..files {
        let d = dir.join(format!("d{:04}", i / 100));
        if i % 100 == 0 {
            std::fs::create_dir_all(&d).unwrap();
        }
        std::fs::write(d.join(format!("f{i}.html")), format!("<p>{i}</p>\n")).unwrap();
    }
    // Let the clock move past the files' mtimes before the index is written.
    std::thread::sleep(Duration::from_millis(1100));
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "many files"]);
    std::fs::write(dir.join("d0000/f0.html"), "<p>changed</p>\n").unwrap();
    std::fs::write(dir.join("untracked.txt"), "new\n").unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    // One git status so both tools start from the same refreshed index.
    git(dir, &["status", "--porcelain"]);
}

fn bench(c: &mut Criterion) {
    let files: usize = std::env::var("OPSDECK_BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::Builder::new()
        .prefix("opsdeck-bench-")
        .tempdir()
        .unwrap();
    build_repo(dir.path(), files);
    let cfg = DeployConfig {
        path: dir.path().to_path_buf(),
        ..DeployConfig::default()
    };
    let s = status::read_status(&cfg).expect("status");
    assert_eq!(
        (s.modified, s.untracked),
        (1, 1),
        "the fixture is not what it should be"
    );

    let mut g = c.benchmark_group(format!("status {files} files"));
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("opsdeck read_status (full refresh)", |b| {
        b.iter(|| status::read_status(&cfg).unwrap())
    });
    g.bench_function("opsdeck local changes only", |b| {
        let repo = status::open(dir.path()).unwrap();
        b.iter(|| status::local_changes(&repo, dir.path()).unwrap())
    });
    // Where a full refresh spends its time beyond the status walk: opening
    // the repository (and so parsing the index) again on every refresh.
    g.bench_function("opsdeck open + local changes", |b| {
        b.iter(|| {
            let repo = status::open(dir.path()).unwrap();
            status::local_changes(&repo, dir.path()).unwrap()
        })
    });
    g.bench_function("git status --porcelain (process)", |b| {
        b.iter(|| {
            let out = Command::new("git")
                .args(["status", "--porcelain"])
                .current_dir(dir.path())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .output()
                .unwrap();
            assert!(out.status.success());
            out.stdout
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
