//! Names of users and groups, as a message shows them. These are NSS lookups, which may block
//! (LDAP, sssd): call them from a source or at start, never while handling a key.

/// The name of user `uid`, or `uid N` when it has none.
pub fn user_name(uid: u32) -> String {
    match nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)) {
        Ok(Some(u)) => u.name,
        _ => format!("uid {uid}"),
    }
}

/// The name of group `gid`, or `gid N` when it has none.
pub fn group_name(gid: u32) -> String {
    match nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid)) {
        Ok(Some(g)) => g.name,
        _ => format!("gid {gid}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_or_numbers() {
        assert_eq!(user_name(0), "root");
        assert_eq!(group_name(0), "root");
        assert_eq!(user_name(4_000_000_000), "uid 4000000000");
        assert_eq!(group_name(4_000_000_000), "gid 4000000000");
    }
}
