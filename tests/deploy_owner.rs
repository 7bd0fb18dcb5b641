//! The owner check: a checkout another user owns is refused by libgit2, and the error names
//! the command that lets this user read it. Following it to the letter must work, also for a
//! docroot configured through a symbolic link or with a trailing slash. Its own test binary:
//! it points libgit2's global configuration at a temporary directory, for the whole process.

#[path = "deploy_support/mod.rs"]
mod deploy_support;

use deploy_support::Fixture;
use opsdeck::deploy::{DeployError, status};

#[test]
fn the_safe_directory_command_the_owner_error_gives_works_as_written() {
    if !nix::unistd::geteuid().is_root() {
        panic!("this test needs root (it chowns a repository to another user)");
    }
    let f = Fixture::new();
    let nobody = nix::unistd::Uid::from_raw(65534);
    for p in [f.site.clone(), f.git_dir()] {
        nix::unistd::chown(&p, Some(nobody), None).unwrap();
    }
    let home = tempfile::tempdir().unwrap();
    // SAFETY: this binary's only test, and no libgit2 call is under way: the fixture's own
    // setting (every level pointed nowhere) is done, and this one replaces it for the global level
    unsafe { git2::opts::set_search_path(git2::ConfigLevel::Global, home.path()) }.unwrap();
    let link = f.dir.path().join("docroot");
    std::os::unix::fs::symlink(&f.site, &link).unwrap();

    for configured in [link.clone(), link.join(""), f.site.join("")] {
        std::fs::write(home.path().join(".gitconfig"), "").unwrap();
        let said = match status::open(&configured) {
            Err(e @ DeployError::Owner { .. }) => e.to_string(),
            Err(e) => panic!(
                "{}: expected the owner error, got {e}",
                configured.display()
            ),
            Ok(_) => panic!("{}: opened though nobody owns it", configured.display()),
        };
        let dir = said
            .split_once("git config --global --add safe.directory ")
            .unwrap_or_else(|| panic!("no command in {said}"))
            .1;
        // what the command writes
        std::fs::write(
            home.path().join(".gitconfig"),
            format!("[safe]\n\tdirectory = {dir}\n"),
        )
        .unwrap();
        if let Err(e) = status::open(&configured) {
            panic!(
                "{}: still refused after safe.directory {dir}: {e}",
                configured.display()
            );
        }
    }

    // the work tree this user's, its .git another's: the error names that other user
    std::fs::write(home.path().join(".gitconfig"), "").unwrap();
    nix::unistd::chown(&f.site, Some(nix::unistd::geteuid()), None).unwrap();
    match status::open(&f.site) {
        Err(e @ DeployError::Owner { .. }) => {
            let m = e.to_string();
            assert!(m.contains("owned by nobody (uid 65534)"), "{m}");
        }
        Err(e) => panic!("expected the owner error, got {e}"),
        Ok(_) => panic!("opened though nobody owns its .git"),
    }
}
