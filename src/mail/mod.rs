//! Postfix: the mail log (delivery failures), the queue and the senders.
//! Parsers and models here are pure; each pane's source task does the I/O.

pub mod log;
pub mod queue;
pub mod senders;

/// The `main.cf` a Postfix command could not find, from what it printed (`postconf: fatal: open
/// /etc/postfix/main.cf: No such file or directory`; `postqueue` says `open file`). This is what
/// every Postfix command says on a host where Postfix was installed but never configured, or
/// when a config directory is wrong.
pub fn missing_main_cf(stderr: &str) -> Option<String> {
    stderr.lines().find_map(|l| {
        let rest = l.split_once("fatal: open ")?.1;
        let rest = rest.strip_prefix("file ").unwrap_or(rest);
        let (path, why) = rest.split_once(": ")?;
        (path.ends_with("/main.cf") && why.starts_with("No such file"))
            .then(|| crate::sanitize::Clean::new(path).to_string())
    })
}

/// What to say when [`missing_main_cf`] found one: the same words in every pane.
pub fn not_configured(path: &str, command: &str) -> String {
    format!(
        "{path} does not exist: no Postfix configuration there - configure Postfix, or set config_dir \
         in [[postfix]] to where its main.cf is ({command})"
    )
}

#[cfg(test)]
mod tests {
    use super::missing_main_cf;

    #[test]
    fn a_missing_main_cf_is_recognised_in_what_postfix_prints() {
        assert_eq!(
            missing_main_cf(
                "postconf: fatal: open /etc/postfix/main.cf: No such file or directory\n"
            ),
            Some("/etc/postfix/main.cf".into())
        );
        assert_eq!(
            missing_main_cf(
                "postqueue: warning: x\npostqueue: fatal: open file /srv/pf/main.cf: No such file or directory\n"
            ),
            Some("/srv/pf/main.cf".into())
        );
        // other files, and other reasons, are something else
        assert_eq!(
            missing_main_cf(
                "postmap: fatal: open /etc/postfix/sasl_passwd: No such file or directory"
            ),
            None
        );
        assert_eq!(
            missing_main_cf("postconf: fatal: open /etc/postfix/main.cf: Permission denied"),
            None
        );
    }
}
