//! Watches a target's git directory (HEAD, index, refs, packed-refs, the
//! deploy lock and journal) with notify and says "look again", debounced.
//!
//! So a `git checkout` run in another terminal shows within a second. It
//! only signals; it never reads git state itself, and ignores libgit2's
//! and git's own `*.lock` temporaries (the rename that follows them is the
//! change that matters) and plain reads.

use std::path::Path;

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};

/// Does this change in the git directory matter to the pane?
pub fn relevant(git_dir: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(git_dir) else {
        return false;
    };
    let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name == crate::deploy::lock::FILE_NAME || name == crate::deploy::journal::FILE_NAME {
        return true;
    }
    if name.ends_with(".lock") {
        return false;
    }
    let first = rel.components().next().and_then(|c| c.as_os_str().to_str());
    matches!(
        first,
        Some("HEAD" | "index" | "packed-refs" | "refs" | "ORIG_HEAD" | "FETCH_HEAD" | "MERGE_HEAD")
    ) || (rel.components().count() == 1
        && (name.ends_with("_HEAD") || name == "rebase-merge" || name == "rebase-apply"))
}

/// Start watching; each relevant change calls `poke` (from notify's thread).
pub fn watch(
    git_dir: &Path,
    poke: impl Fn() + Send + 'static,
) -> Result<RecommendedWatcher, notify::Error> {
    let dir = git_dir.to_path_buf();
    let mut w = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let Ok(ev) = res else {
            // A watcher error: look again rather than miss a change.
            poke();
            return;
        };
        if matches!(ev.kind, EventKind::Access(_)) {
            return;
        }
        if ev.paths.iter().any(|p| relevant(&dir, p)) {
            poke();
        }
    })?;
    w.watch(git_dir, RecursiveMode::NonRecursive)?;
    let refs = git_dir.join("refs");
    if refs.is_dir() {
        w.watch(&refs, RecursiveMode::Recursive)?;
    }
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_paths_matter() {
        let g = Path::new("/r/.git");
        for p in [
            "/r/.git/HEAD",
            "/r/.git/index",
            "/r/.git/refs/heads/main",
            "/r/.git/refs/remotes/origin/main",
            "/r/.git/packed-refs",
            "/r/.git/MERGE_HEAD",
            "/r/.git/opsdeck-deploy.lock",
            "/r/.git/opsdeck-deploy.jsonl",
        ] {
            assert!(relevant(g, Path::new(p)), "{p}");
        }
        for p in [
            "/r/.git/HEAD.lock",
            "/r/.git/index.lock",
            "/r/.git/refs/heads/main.lock",
            "/r/.git/objects/ab/cdef",
            "/r/.git/config",
            "/r/other",
        ] {
            assert!(!relevant(g, Path::new(p)), "{p}");
        }
    }
}
