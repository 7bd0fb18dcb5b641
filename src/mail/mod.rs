//! Postfix: the mail log (delivery failures), the queue and the senders.
//! Parsers and models here are pure; each pane's source task does the I/O.

pub mod log;
pub mod queue;
pub mod senders;

/// What a Postfix command printed, with the values of `main.cf` it quotes taken out. Every
/// Postfix command reads main.cf first, and two of its messages quote the file: a line without
/// its `=` whole (`fatal: /etc/postfix/main.cf, line 9: missing '=' after attribute name:
/// "smtp_sasl_password_maps static:user:password"`), and an unused parameter with its value
/// (`warning: /etc/postfix/main.cf: unused parameter: smtp_sasl_passwd_maps=static:user:pw`).
/// Either may be a password: the parameter's name is kept, the rest becomes `***`.
pub fn hide_main_cf_values(text: &str) -> String {
    let is_name = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    };
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        const MISSING: &str = "missing '=' after attribute name: \"";
        const UNUSED: &str = "unused parameter: ";
        if let Some(at) = body.find(MISSING) {
            let quoted = &body[at + MISSING.len()..];
            let first = quoted.split([' ', '\t', '"']).next().unwrap_or("");
            let name = if is_name(first) { first } else { "" };
            let sep = if name.is_empty() { "" } else { " " };
            out.push_str(&format!("{}{name}{sep}***\"", &body[..at + MISSING.len()]));
        } else if let Some(at) = body.find(UNUSED) {
            let rest = &body[at + UNUSED.len()..];
            let name = rest.split('=').next().unwrap_or("").trim();
            let name = if is_name(name) { name } else { "" };
            out.push_str(&format!("{}{name}=***", &body[..at + UNUSED.len()]));
        } else {
            out.push_str(body);
        }
        out.push_str(end);
    }
    out
}

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
    use super::{hide_main_cf_values, missing_main_cf};

    /// What Postfix 3.7 prints for a main.cf line without `=` and for an unused parameter, with
    /// the values out; the rest of what it printed stays as it was.
    #[test]
    fn main_cf_values_quoted_by_postfix_are_hidden() {
        let text = "postqueue: warning: /etc/postfix/main.cf: unused parameter: \
                    smtp_sasl_passwd_maps=static:AKIA:one-SECRET\n\
                    postqueue: fatal: /etc/postfix/main.cf, line 9: missing '=' after attribute \
                    name: \"smtp_sasl_password_maps static:AKIA:two-SECRET\"\n\
                    postconf: fatal: /etc/postfix/main.cf, line 3: missing '=' after attribute \
                    name: \"AKIA:three-SECRET\"\n\
                    postconf: fatal: open /etc/postfix/main.cf: No such file or directory";
        assert_eq!(
            hide_main_cf_values(text),
            "postqueue: warning: /etc/postfix/main.cf: unused parameter: \
             smtp_sasl_passwd_maps=***\n\
             postqueue: fatal: /etc/postfix/main.cf, line 9: missing '=' after attribute name: \
             \"smtp_sasl_password_maps ***\"\n\
             postconf: fatal: /etc/postfix/main.cf, line 3: missing '=' after attribute name: \
             \"***\"\n\
             postconf: fatal: open /etc/postfix/main.cf: No such file or directory"
        );
    }

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
