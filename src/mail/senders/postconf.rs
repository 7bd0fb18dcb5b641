//! The Postfix settings the Senders pane needs, from `postconf -c DIR -x`,
//! and what a relay destination (`[host]:port`) says about encryption and
//! the SES region.
//!
//! Parsing is pure; [`read`] runs `postconf` (blocking: call it from
//! `spawn_blocking`). Nothing here changes the host.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::config::PostfixInstance;

use super::SendersError;

/// The parameters read, in the order they are asked for.
pub const PARAMS: &[&str] = &[
    "sender_dependent_relayhost_maps",
    "relayhost",
    "smtp_sasl_auth_enable",
    "smtp_sasl_password_maps",
    "smtp_sasl_security_options",
    "smtp_tls_security_level",
    "smtp_tls_wrappermode",
    "smtp_sasl_auth_soft_bounce",
    "smtp_sender_dependent_authentication",
    "myorigin",
];

/// The settings of one instance that decide how a sender's mail leaves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RelaySettings {
    pub sender_relay_maps: String,
    pub relayhost: String,
    pub sasl_enabled: bool,
    pub sasl_password_maps: String,
    pub sasl_security_options: String,
    pub tls_level: String,
    pub wrappermode: bool,
    pub sasl_soft_bounce: bool,
    pub sender_dependent_auth: bool,
    pub myorigin: String,
}

fn yes(v: Option<&String>) -> bool {
    v.is_some_and(|v| v.eq_ignore_ascii_case("yes"))
}

/// Parse `name = value` lines (the output of `postconf -x NAME...`).
pub fn parse_output(text: &str) -> RelaySettings {
    let map: BTreeMap<String, String> = text
        .lines()
        .filter_map(|l| l.split_once(" ="))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let s = |k: &str| map.get(k).cloned().unwrap_or_default();
    RelaySettings {
        sender_relay_maps: s("sender_dependent_relayhost_maps"),
        relayhost: s("relayhost"),
        sasl_enabled: yes(map.get("smtp_sasl_auth_enable")),
        sasl_password_maps: s("smtp_sasl_password_maps"),
        sasl_security_options: s("smtp_sasl_security_options"),
        tls_level: s("smtp_tls_security_level"),
        wrappermode: yes(map.get("smtp_tls_wrappermode")),
        sasl_soft_bounce: yes(map.get("smtp_sasl_auth_soft_bounce")),
        sender_dependent_auth: yes(map.get("smtp_sender_dependent_authentication")),
        myorigin: s("myorigin"),
    }
}

/// `prefix... postconf [-c DIR] ARGS`.
pub fn postfix_command(inst: &PostfixInstance, program: &str) -> Command {
    let mut cmd = match inst.command_prefix.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(program);
            c
        }
        None => Command::new(program),
    };
    if !inst.is_default_dir() {
        cmd.arg("-c").arg(&inst.config_dir);
    }
    cmd
}

/// Run `postconf -x` for the parameters (blocking).
pub fn read(inst: &PostfixInstance) -> Result<RelaySettings, SendersError> {
    let mut cmd = postfix_command(inst, "postconf");
    cmd.arg("-x").args(PARAMS);
    let what = describe(&cmd);
    let out = cmd.output().map_err(|e| SendersError::Spawn {
        command: what.clone(),
        source: e,
    })?;
    if !out.status.success() {
        return Err(SendersError::Command {
            command: what,
            output: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(parse_output(&String::from_utf8_lossy(&out.stdout)))
}

/// A command line as a person would type it.
pub fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Where a relay destination points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relay {
    /// As written (`[email-smtp.us-east-1.amazonaws.com]:587`).
    pub written: String,
    pub host: String,
    pub port: u16,
    /// `[host]` form: no MX lookup.
    pub bracketed: bool,
}

impl Relay {
    pub fn parse(s: &str) -> Option<Relay> {
        let s = s.trim();
        let s = s.strip_prefix("smtp:").unwrap_or(s);
        if s.is_empty() {
            return None;
        }
        let (host, bracketed, rest) = if let Some(r) = s.strip_prefix('[') {
            let (h, rest) = r.split_once(']')?;
            (h, true, rest)
        } else {
            match s.rsplit_once(':') {
                Some((h, p)) => (h, false, &s[h.len()..][..1 + p.len()]),
                None => (s, false, ""),
            }
        };
        let port = match rest.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if rest.is_empty() => 25,
            None => return None,
        };
        if host.is_empty() {
            return None;
        }
        Some(Relay {
            written: s.to_string(),
            host: host.to_ascii_lowercase(),
            port,
            bracketed,
        })
    }

    /// `email-smtp.<region>.amazonaws.com` gives the SES region.
    pub fn ses_region(&self) -> Option<String> {
        let rest = self.host.strip_prefix("email-smtp.")?;
        let region = rest.strip_suffix(".amazonaws.com")?;
        valid_region(region).then(|| region.to_string())
    }

    pub fn is_ses(&self) -> bool {
        self.ses_region().is_some()
    }

    /// Keys a password map is searched with for this relay: `[host]:port`, then `[host]` / `host`.
    pub fn credential_keys(&self) -> Vec<String> {
        let mut keys = vec![self.written.to_ascii_lowercase()];
        if self.bracketed {
            keys.push(format!("[{}]", self.host));
        }
        keys.push(self.host.clone());
        keys.dedup();
        keys
    }
}

/// A plausible AWS region name (`us-east-1`, `eu-central-2`): lower-case
/// letters, digits and dashes only.
pub fn valid_region(r: &str) -> bool {
    !r.is_empty()
        && r.len() <= 32
        && r.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Will the connection to this relay be encrypted?
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Encryption {
    /// TLS is required (`encrypt` or stronger, or wrapper mode on 465).
    Required,
    /// STARTTLS only if offered (`may`): an attacker can strip it.
    Opportunistic,
    /// Plain text: SES refuses it.
    None,
    /// Port 465 without `smtp_tls_wrappermode = yes`: the client waits for a
    /// greeting the server never sends.
    WrapperMissing,
}

impl Encryption {
    pub fn words(&self) -> &'static str {
        match self {
            Encryption::Required => "TLS required",
            Encryption::Opportunistic => {
                "TLS only if offered (set smtp_tls_security_level = encrypt)"
            }
            Encryption::None => {
                "plain text: SES refuses it (set smtp_tls_security_level = encrypt)"
            }
            Encryption::WrapperMissing => "port 465 needs smtp_tls_wrappermode = yes",
        }
    }

    pub fn is_problem(&self) -> bool {
        !matches!(self, Encryption::Required)
    }
}

/// Encryption for a relay under the instance's global TLS settings
/// (per-destination `smtp_tls_policy_maps` are not read).
pub fn encryption(relay: &Relay, s: &RelaySettings) -> Encryption {
    let level = s.tls_level.to_ascii_lowercase();
    let strong = matches!(
        level.as_str(),
        "encrypt" | "verify" | "secure" | "dane-only" | "fingerprint"
    );
    if relay.port == 465 {
        if !s.wrappermode {
            return Encryption::WrapperMissing;
        }
        // wrapper mode always speaks TLS, whatever the level says
        return Encryption::Required;
    }
    if strong {
        Encryption::Required
    } else if level == "may" || level == "dane" {
        Encryption::Opportunistic
    } else {
        Encryption::None
    }
}

/// The path of a map file relative to an instance, for messages.
pub fn display_path(p: &Path) -> String {
    p.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUT: &str = "\
sender_dependent_relayhost_maps = hash:/etc/postfix/sender_relay
relayhost = [email-smtp.us-east-1.amazonaws.com]:587
smtp_sasl_auth_enable = yes
smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd
smtp_sasl_security_options = noanonymous
smtp_tls_security_level = encrypt
smtp_tls_wrappermode = no
smtp_sasl_auth_soft_bounce = yes
smtp_sender_dependent_authentication = yes
myorigin = vm.localdomain
";

    #[test]
    fn parses_postconf_x() {
        let s = parse_output(OUT);
        assert_eq!(s.sender_relay_maps, "hash:/etc/postfix/sender_relay");
        assert!(s.sasl_enabled && s.sasl_soft_bounce && s.sender_dependent_auth);
        assert!(!s.wrappermode);
        assert_eq!(s.tls_level, "encrypt");
        assert_eq!(s.myorigin, "vm.localdomain");
        // empty values survive
        assert_eq!(parse_output("relayhost =\n").relayhost, "");
    }

    #[test]
    fn relays() {
        let table = [
            (
                "[email-smtp.us-east-1.amazonaws.com]:587",
                "email-smtp.us-east-1.amazonaws.com",
                587,
                true,
            ),
            ("[127.0.0.1]:2525", "127.0.0.1", 2525, true),
            ("mail.example.com", "mail.example.com", 25, false),
            ("mail.example.com:465", "mail.example.com", 465, false),
            ("smtp:[x]:26", "x", 26, true),
        ];
        for (w, h, p, b) in table {
            let r = Relay::parse(w).unwrap_or_else(|| panic!("{w}"));
            assert_eq!((r.host.as_str(), r.port, r.bracketed), (h, p, b), "{w}");
        }
        assert!(Relay::parse("").is_none());
        assert!(Relay::parse("[x]:notaport").is_none());
        assert!(Relay::parse("[x]junk").is_none());
    }

    #[test]
    fn ses_region_from_host() {
        let r = Relay::parse("[email-smtp.eu-west-1.amazonaws.com]:587").unwrap();
        assert_eq!(r.ses_region().as_deref(), Some("eu-west-1"));
        assert!(
            Relay::parse("[127.0.0.1]:2525")
                .unwrap()
                .ses_region()
                .is_none()
        );
        assert!(
            Relay::parse("email-smtp.amazonaws.com")
                .unwrap()
                .ses_region()
                .is_none()
        );
        assert_eq!(
            r.credential_keys(),
            vec![
                "[email-smtp.eu-west-1.amazonaws.com]:587",
                "[email-smtp.eu-west-1.amazonaws.com]",
                "email-smtp.eu-west-1.amazonaws.com"
            ]
        );
    }

    #[test]
    fn encryption_rules() {
        let mut s = parse_output(OUT);
        let r587 = Relay::parse("[h]:587").unwrap();
        let r465 = Relay::parse("[h]:465").unwrap();
        assert_eq!(encryption(&r587, &s), Encryption::Required);
        assert_eq!(encryption(&r465, &s), Encryption::WrapperMissing);
        s.wrappermode = true;
        assert_eq!(encryption(&r465, &s), Encryption::Required);
        s.tls_level = "may".into();
        assert_eq!(encryption(&r587, &s), Encryption::Opportunistic);
        s.tls_level = String::new();
        assert_eq!(encryption(&r587, &s), Encryption::None);
        assert!(Encryption::None.is_problem());
    }

    #[test]
    fn command_prefix_and_dir() {
        let inst = PostfixInstance {
            name: "out".into(),
            config_dir: "/etc/postfix-out".into(),
            command_prefix: vec!["sudo".into(), "-n".into()],
        };
        let c = postfix_command(&inst, "postconf");
        assert_eq!(describe(&c), "sudo -n postconf -c /etc/postfix-out");
    }
}
