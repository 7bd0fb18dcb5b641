//! The Deploy part of the demo sandbox: a small site checkout with history,
//! a bare remote reached by `file://` holding newer commits (one already
//! fetched, one waiting for a fetch), a journal with one earlier deploy so
//! rollback has somewhere to go, and a harmless post-deploy command.
//!
//! Writes only under the sandbox directory it is given.

use std::path::Path;

use anyhow::Context;
use git2::{IndexAddOption, Repository, Signature, Time};

use crate::config::Config;
use crate::deploy::journal::{self, JournalRecord};
use crate::deploy::{CheckoutStyle, DeployConfig};

fn commit(
    repo: &Repository,
    files: &[(&str, &str)],
    msg: &str,
    when: i64,
) -> anyhow::Result<git2::Oid> {
    let wd = repo.workdir().context("demo repo has no work tree")?;
    for (name, body) in files {
        let p = wd.join(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d)?;
        }
        std::fs::write(&p, body)?;
    }
    let mut idx = repo.index()?;
    idx.add_all(["*"], IndexAddOption::DEFAULT, None)?;
    idx.write()?;
    let tree = repo.find_tree(idx.write_tree()?)?;
    let sig = Signature::new("Dana Deployer", "dana@example.org", &Time::new(when, 0))?;
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    Ok(repo.commit(Some("HEAD"), &sig, &sig, msg, &tree, &parents)?)
}

/// Build the sandbox part and add a `[[deploy]]` target to `config`.
pub fn build(sandbox: &Path, config: &mut Config) -> anyhow::Result<()> {
    let base = sandbox.join("deploy");
    let dev = base.join("dev");
    let remote = base.join("site.git");
    let site = base.join("www");
    std::fs::create_dir_all(&base)?;
    let now = chrono::Local::now().timestamp();
    let mut init = git2::RepositoryInitOptions::new();
    init.initial_head("main");
    let devrepo = Repository::init_opts(&dev, &init)?;
    let c1 = commit(
        &devrepo,
        &[("index.html", "<h1>Hello</h1>\n")],
        "First page",
        now - 9 * 86_400,
    )?;
    commit(
        &devrepo,
        &[("style.css", "h1 { color: teal }\n")],
        "Add a stylesheet",
        now - 5 * 86_400,
    )?;
    let c3 = commit(
        &devrepo,
        &[("about.html", "<p>About us</p>\n")],
        "About page",
        now - 2 * 86_400,
    )?;
    let c4 = commit(
        &devrepo,
        &[("index.html", "<h1>Hello, world</h1>\n")],
        "Friendlier greeting",
        now - 7_200,
    )?;
    let _ = c1;

    let mut bare = git2::RepositoryInitOptions::new();
    bare.bare(true).initial_head("main");
    Repository::init_opts(&remote, &bare)?;
    let url = format!("file://{}", remote.display());
    let push = |repo: &Repository| -> anyhow::Result<()> {
        let mut r = repo.remote_anonymous(&url)?;
        r.push(&["+refs/heads/main:refs/heads/main"], None)?;
        Ok(())
    };
    push(&devrepo)?;

    // The site: a clone at c4, with an earlier deploy c3 -> c4 in the journal.
    let siterepo = git2::build::RepoBuilder::new()
        .branch("main")
        .clone(&url, &site)
        .context("cloning the demo site")?;
    siterepo.set_head_detached(c4)?;
    // A fixture line of the sandbox's own journal, written like any file of it.
    let line = serde_json::to_string(&JournalRecord {
        time: chrono::DateTime::from_timestamp(now - 7_000, 0)
            .map(|d| d.to_rfc3339())
            .unwrap_or_default(),
        user: "dana".into(),
        host: crate::deploy::lock::current_host(),
        kind: "deploy".into(),
        from: c3.to_string(),
        to: c4.to_string(),
        result: "ok".into(),
        hook: "none".into(),
    })?;
    std::fs::write(journal::path_in(siterepo.path()), format!("{line}\n"))?;

    // Newer work upstream: one commit the site has already fetched, one not.
    commit(
        &devrepo,
        &[("pricing.html", "<p>Plans</p>\n")],
        "Pricing page",
        now - 1_800,
    )?;
    push(&devrepo)?;
    let mut origin = siterepo.find_remote("origin")?;
    origin.fetch::<&str>(&[], None, None)?;
    commit(
        &devrepo,
        &[("style.css", "h1 { color: navy }\n")],
        "Navy headings",
        now - 600,
    )?;
    push(&devrepo)?;

    config.deploy.push(DeployConfig {
        name: "www".into(),
        path: site,
        log_entries: 10,
        checkout: CheckoutStyle::Detached,
        post_deploy: Some("echo 'reloading the site (demo)'; sleep 1; echo done".into()),
        hook_timeout_secs: 10,
        probe_after: true,
        ..DeployConfig::default()
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_target_has_history_a_newer_commit_and_a_journal() {
        let d = tempfile::tempdir().unwrap();
        let mut cfg = Config::default();
        build(d.path(), &mut cfg).unwrap();
        let t = &cfg.deploy[0];
        let s = crate::deploy::status::read_status(t).unwrap();
        assert_eq!(
            s.head.as_ref().unwrap().subject.as_str(),
            "Friendlier greeting"
        );
        assert_eq!(
            s.upstream.as_ref().unwrap().behind,
            1,
            "one fetched commit to deploy"
        );
        assert_eq!(s.log.iter().filter(|e| !e.deployed).count(), 1);
        assert_eq!(s.journal.len(), 1);
        assert!(crate::deploy::journal::rollback_target(&s.journal).is_some());
        assert_eq!((s.modified, s.untracked), (0, 0));
        // The remote holds one more commit, waiting for a fetch.
        let remote = Repository::open_bare(d.path().join("deploy/site.git")).unwrap();
        let tip = remote
            .find_reference("refs/heads/main")
            .unwrap()
            .target()
            .unwrap();
        assert_ne!(Some(tip), s.upstream.as_ref().map(|u| u.id));
    }
}
