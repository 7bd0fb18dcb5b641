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
    "smtp_tls_policy_maps",
    "smtp_tls_wrappermode",
    "smtp_sasl_auth_soft_bounce",
    "smtp_sender_dependent_authentication",
    "myorigin",
    "myhostname",
    "recipient_delimiter",
    "default_transport",
    "sender_dependent_default_transport_maps",
    "empty_address_relayhost_maps_lookup_key",
    "transport_maps",
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
    pub tls_policy_maps: String,
    pub wrappermode: bool,
    pub sasl_soft_bounce: bool,
    pub sender_dependent_auth: bool,
    pub myorigin: String,
    /// The host's name: Postfix's bounces come from `MAILER-DAEMON@<myhostname>`.
    pub myhostname: String,
    /// Cut `user+ext` to `user` in sender-dependent lookups (empty: never).
    pub recipient_delimiter: String,
    /// The transport for mail to other domains (`smtp`); a next hop written after it
    /// (`smtp:[relay]:587`) overrides relayhost and the sender-dependent maps.
    pub default_transport: String,
    /// A transport (with its own next hop, maybe) per sender, over `default_transport`.
    pub sender_transport_maps: String,
    /// The key the null sender is looked up by in sender_dependent_relayhost_maps (`<>`).
    pub null_sender_key: String,
    /// Per-recipient transports and next hops, over every sender's route.
    pub transport_maps: String,
}

impl RelaySettings {
    /// The key the null sender is looked up by: `<>` unless set otherwise.
    pub fn null_sender_lookup_key(&self) -> &str {
        match self.null_sender_key.trim() {
            "" => "<>",
            key => key,
        }
    }
}

fn yes(v: Option<&String>) -> bool {
    v.is_some_and(|v| v.eq_ignore_ascii_case("yes"))
}

/// `smtp_sasl_password_maps` as it may be kept and shown. A map written in
/// main.cf itself holds its passwords in the value: every `{...}` group
/// (`inline:{...}`, `static:{...}`, maps nested in `unionmap:{...}`) becomes
/// `{***}`, and `static:user:password` becomes `static:user:***`.
fn hide_inline_passwords(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{' {
            let mut depth = 1;
            for c in chars.by_ref() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
            }
            out.push_str("{***}");
            continue;
        }
        out.push(c);
        if out.ends_with("static:") && chars.peek().is_some_and(|c| *c != '{') {
            // the user name, then the password up to the next map
            while let Some(c) = chars.next_if(|c| *c != ':' && *c != ',' && !c.is_whitespace()) {
                out.push(c);
            }
            if chars.next_if_eq(&':').is_some() {
                out.push_str(":***");
                while chars.next_if(|c| *c != ',' && !c.is_whitespace()).is_some() {}
            }
        }
    }
    out
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
        sasl_password_maps: hide_inline_passwords(&s("smtp_sasl_password_maps")),
        sasl_security_options: s("smtp_sasl_security_options"),
        tls_level: s("smtp_tls_security_level"),
        tls_policy_maps: s("smtp_tls_policy_maps"),
        wrappermode: yes(map.get("smtp_tls_wrappermode")),
        sasl_soft_bounce: yes(map.get("smtp_sasl_auth_soft_bounce")),
        sender_dependent_auth: yes(map.get("smtp_sender_dependent_authentication")),
        myorigin: s("myorigin"),
        myhostname: s("myhostname"),
        recipient_delimiter: s("recipient_delimiter"),
        default_transport: s("default_transport"),
        sender_transport_maps: s("sender_dependent_default_transport_maps"),
        null_sender_key: s("empty_address_relayhost_maps_lookup_key"),
        transport_maps: s("transport_maps"),
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
    // without the dashboard's terminal, where a `sudo` prefix would ask for its password
    crate::child::without_terminal(&mut cmd);
    cmd
}

/// `postconf -x` for the parameters: what [`read`] runs.
pub fn read_command(inst: &PostfixInstance) -> Command {
    let mut cmd = postfix_command(inst, "postconf");
    cmd.arg("-x").args(PARAMS);
    cmd
}

/// Run `postconf -x` for the parameters (blocking).
pub fn read(inst: &PostfixInstance) -> Result<RelaySettings, SendersError> {
    let mut cmd = read_command(inst);
    let what = describe(&cmd);
    let out = cmd.output().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => SendersError::NotFound {
            program: cmd.get_program().to_string_lossy().into_owned(),
            command: what.clone(),
        },
        _ => SendersError::Spawn {
            command: what.clone(),
            source: e,
        },
    })?;
    settings_from(what, out.status.success(), &out.stdout, &out.stderr)
}

/// The settings `postconf -x` (named `what`) printed, or the error it said when it failed.
pub fn settings_from(
    what: String,
    success: bool,
    stdout: &[u8],
    stderr: &[u8],
) -> Result<RelaySettings, SendersError> {
    if !success {
        // a broken main.cf line is quoted whole, and it may hold a password
        let stderr = crate::mail::hide_main_cf_values(&String::from_utf8_lossy(stderr));
        if let Some(path) = crate::mail::missing_main_cf(&stderr) {
            return Err(SendersError::NotConfigured {
                command: what,
                path,
            });
        }
        return Err(SendersError::Command {
            command: crate::sanitize::sanitize(&what),
            output: crate::sanitize::sanitize_lines(&stderr, 1000),
        });
    }
    Ok(parse_output(&String::from_utf8_lossy(stdout)))
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

    /// Every destination of a relay list (`[a]:587, [b]:587`: Postfix 3.5 and later tries them
    /// in order), the ones that parse.
    pub fn all_of(list: &str) -> Vec<Relay> {
        list.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|d| !d.is_empty())
            .filter_map(Relay::parse)
            .collect()
    }

    /// The first destination of a relay list: the one Postfix tries first.
    pub fn first_of(list: &str) -> Option<Relay> {
        list.split(|c: char| c == ',' || c.is_whitespace())
            .find(|d| !d.is_empty())
            .and_then(Relay::parse)
    }

    /// The SES region an SMTP endpoint's name gives: `email-smtp.<region>.amazonaws.com`, its
    /// FIPS form `email-smtp-fips.<region>.amazonaws.com`, and a VPC interface endpoint's own
    /// name `vpce-<id>.email-smtp.<region>.vpce.amazonaws.com` (a host in a private subnet
    /// relays through it).
    pub fn ses_region(&self) -> Option<String> {
        let h = self.host.as_str();
        let region = if let Some(rest) = h
            .strip_prefix("email-smtp.")
            .or_else(|| h.strip_prefix("email-smtp-fips."))
        {
            rest.strip_suffix(".amazonaws.com")?
        } else {
            let (first, rest) = h.split_once('.')?;
            if !first.starts_with("vpce-") {
                return None;
            }
            rest.strip_prefix("email-smtp.")?
                .strip_suffix(".vpce.amazonaws.com")?
        };
        valid_region(region).then(|| region.to_string())
    }

    pub fn is_ses(&self) -> bool {
        self.ses_region().is_some()
    }

    /// A relay on this host: `localhost`, or a loopback address (`[127.0.0.1]:10025`,
    /// `[ipv6:::1]:25`).
    pub fn is_loopback(&self) -> bool {
        let host = self.host.trim_start_matches("ipv6:");
        host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// Keys a password map is searched with for this relay, in the SMTP
    /// client's order: the server's host name, then the next hop as written
    /// (`[host]:port`). `[host]` alone is not tried when the next hop names a
    /// port: such an entry gives no credentials, and the relay answers "530
    /// Authentication required".
    pub fn credential_keys(&self) -> Vec<String> {
        let mut keys = vec![self.host.clone()];
        keys.push(self.written.to_ascii_lowercase());
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
    /// STARTTLS only if offered (`may`, `dane` without DNSSEC): an attacker
    /// can strip it.
    Opportunistic,
    /// Plain text: SES refuses it.
    None,
    /// Port 465 without `smtp_tls_wrappermode = yes`: the client waits for a
    /// greeting the server never sends.
    WrapperMissing,
    /// A policy level Postfix does not know: it defers the mail.
    Invalid,
}

/// A per-destination entry of `smtp_tls_policy_maps`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsPolicy {
    /// The level (`encrypt`, `none`, ...), the first word of the entry.
    pub level: String,
    /// Where it was found: `hash:/etc/postfix/tls_policy line 3`.
    pub found_in: String,
}

/// The encryption verdict for one relay, and what decided it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsCheck {
    pub encryption: Encryption,
    /// The level in force (`encrypt`, `none`...; empty when unset).
    pub level: String,
    /// The policy map entry that overrides `smtp_tls_security_level`.
    pub policy: Option<TlsPolicy>,
    /// The relay is SES, which refuses mail without TLS.
    pub ses: bool,
    /// The relay is on this host (a content filter, a TLS tunnel): nothing crosses the network,
    /// and plain text there is no problem.
    pub local: bool,
}

impl TlsCheck {
    pub fn words(&self) -> String {
        let fix = match &self.policy {
            Some(p) => format!("fix its entry in {}", p.found_in),
            None => "set smtp_tls_security_level = encrypt".into(),
        };
        let by = match &self.policy {
            Some(p) => format!("smtp_tls_policy_maps says {} ({})", p.level, p.found_in),
            None if self.level.is_empty() => "smtp_tls_security_level is unset".into(),
            None => format!("smtp_tls_security_level = {}", self.level),
        };
        match self.encryption {
            Encryption::Required => format!("TLS required: {by}"),
            Encryption::Opportunistic if self.local => {
                format!("TLS only if offered: {by}; the relay is on this host")
            }
            Encryption::Opportunistic => format!("TLS only if offered: {by} ({fix})"),
            Encryption::None if self.ses => format!("plain text: {by}; SES refuses it ({fix})"),
            Encryption::None if self.local => {
                format!("plain text: {by}; the relay is on this host, nothing crosses the network")
            }
            Encryption::None => {
                format!("plain text: {by}; mail crosses the network unencrypted ({fix})")
            }
            Encryption::WrapperMissing => "port 465 needs smtp_tls_wrappermode = yes".into(),
            Encryption::Invalid => format!("{by}: not a TLS level Postfix knows, mail is deferred"),
        }
    }

    pub fn is_problem(&self) -> bool {
        match self.encryption {
            Encryption::Required => false,
            Encryption::None | Encryption::Opportunistic => !self.local,
            Encryption::WrapperMissing | Encryption::Invalid => true,
        }
    }
}

/// What a TLS level means for encryption (Postfix 3.7's levels).
fn level_encryption(level: &str) -> Encryption {
    match level {
        "encrypt" | "verify" | "secure" | "dane-only" | "fingerprint" => Encryption::Required,
        "may" | "dane" => Encryption::Opportunistic,
        "" | "none" => Encryption::None,
        _ => Encryption::Invalid,
    }
}

/// Encryption for a relay: the `smtp_tls_policy_maps` entry for it if there
/// is one, else `smtp_tls_security_level`; port 465 goes by wrapper mode.
pub fn encryption(relay: &Relay, s: &RelaySettings, policy: Option<&TlsPolicy>) -> TlsCheck {
    let level = match policy {
        Some(p) => p.level.to_ascii_lowercase(),
        None => s.tls_level.trim().to_ascii_lowercase(),
    };
    let encryption = if relay.port == 465 {
        // wrapper mode always speaks TLS, whatever the level says
        if s.wrappermode {
            Encryption::Required
        } else {
            Encryption::WrapperMissing
        }
    } else {
        level_encryption(&level)
    };
    TlsCheck {
        encryption,
        level,
        policy: policy.cloned(),
        ses: relay.is_ses(),
        local: relay.is_loopback(),
    }
}

/// Keys `smtp_tls_policy_maps` is searched with for a relay: the next hop
/// verbatim (`[host]:port`, brackets and port included); for a bare domain,
/// then its parent domains as `.example.com`.
pub fn tls_policy_keys(relay: &Relay) -> Vec<String> {
    let mut keys = vec![relay.written.to_ascii_lowercase()];
    if !relay.bracketed && !relay.written.contains(':') {
        let mut rest = relay.host.as_str();
        while let Some((_, parent)) = rest.split_once('.') {
            keys.push(format!(".{parent}"));
            rest = parent;
        }
    }
    keys
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
    fn passwords_written_in_main_cf_are_hidden() {
        let s = parse_output(
            "smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd, static:AKIASTATIC:static-SECRET, \
             inline:{ { [relay]:587 = AKIAINLINE:inline-SECRET }, [b]:25=u:b-SECRET }, \
             unionmap:{static:{u:union-SECRET}} static:nopass\n",
        );
        assert_eq!(
            s.sasl_password_maps,
            "hash:/etc/postfix/sasl_passwd, static:AKIASTATIC:***, inline:{***}, unionmap:{***} static:nopass"
        );
        assert!(!format!("{s:?}").contains("SECRET"));
    }

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
        // the FIPS endpoint, and a VPC interface endpoint's own name
        let region = |s: &str| Relay::parse(s).unwrap().ses_region();
        assert_eq!(
            region("[email-smtp-fips.us-gov-west-1.amazonaws.com]:587").as_deref(),
            Some("us-gov-west-1")
        );
        assert_eq!(
            region(
                "[vpce-0a1b2c3d4e5f67890-abcdefgh.email-smtp.eu-central-1.vpce.amazonaws.com]:587"
            )
            .as_deref(),
            Some("eu-central-1")
        );
        assert!(region("[vpce-1.email-smtp.eu-central-1.amazonaws.com]:587").is_none());
        assert!(region("[x.email-smtp.eu-central-1.vpce.amazonaws.com]:587").is_none());
        assert!(region("[email-smtp.eu-central-1.vpce.amazonaws.com]:587").is_none());
        assert_eq!(
            r.credential_keys(),
            vec![
                "email-smtp.eu-west-1.amazonaws.com",
                "[email-smtp.eu-west-1.amazonaws.com]:587"
            ]
        );
        assert_eq!(
            Relay::parse("[email-smtp.eu-west-1.amazonaws.com]")
                .unwrap()
                .credential_keys(),
            vec![
                "email-smtp.eu-west-1.amazonaws.com",
                "[email-smtp.eu-west-1.amazonaws.com]"
            ]
        );
    }

    #[test]
    fn encryption_rules() {
        let mut s = parse_output(OUT);
        let r587 = Relay::parse("[h]:587").unwrap();
        let r465 = Relay::parse("[h]:465").unwrap();
        let enc = |r, s: &RelaySettings, p: Option<&TlsPolicy>| encryption(r, s, p).encryption;
        assert_eq!(enc(&r587, &s, None), Encryption::Required);
        assert_eq!(enc(&r465, &s, None), Encryption::WrapperMissing);
        s.wrappermode = true;
        assert_eq!(enc(&r465, &s, None), Encryption::Required);
        s.tls_level = "may".into();
        assert_eq!(enc(&r587, &s, None), Encryption::Opportunistic);
        s.tls_level = String::new();
        assert_eq!(enc(&r587, &s, None), Encryption::None);
        assert!(encryption(&r587, &s, None).is_problem());
        // a relay that is not SES does not refuse plain text: the mail crosses the network so
        assert_eq!(
            encryption(&r587, &s, None).words(),
            "plain text: smtp_tls_security_level is unset; mail crosses the network unencrypted (set smtp_tls_security_level = encrypt)"
        );
        let ses = Relay::parse("[email-smtp.us-east-1.amazonaws.com]:587").unwrap();
        assert_eq!(
            encryption(&ses, &s, None).words(),
            "plain text: smtp_tls_security_level is unset; SES refuses it (set smtp_tls_security_level = encrypt)"
        );
        // a relay on this host (a content filter, a tunnel): nothing crosses the network
        for local in ["[127.0.0.1]:10025", "[localhost]:2525", "[ipv6:::1]:25"] {
            let r = Relay::parse(local).unwrap();
            assert!(r.is_loopback(), "{local}");
            let enc = encryption(&r, &s, None);
            assert!(!enc.is_problem(), "{local}");
            assert_eq!(
                enc.words(),
                "plain text: smtp_tls_security_level is unset; the relay is on this host, nothing crosses the network"
            );
        }
        assert!(
            !Relay::parse("[127.0.0.1.example.com]:25")
                .unwrap()
                .is_loopback()
        );
    }

    #[test]
    fn a_policy_entry_overrides_the_level() {
        let s = parse_output(OUT); // smtp_tls_security_level = encrypt
        let r = Relay::parse("[email-smtp.us-east-1.amazonaws.com]:587").unwrap();
        let policy = |level: &str| TlsPolicy {
            level: level.into(),
            found_in: "hash:/etc/postfix/tls_policy line 2".into(),
        };
        let table = [
            ("encrypt", Encryption::Required),
            ("secure", Encryption::Required),
            ("verify", Encryption::Required),
            ("dane-only", Encryption::Required),
            ("fingerprint", Encryption::Required),
            ("dane", Encryption::Opportunistic),
            ("may", Encryption::Opportunistic),
            ("none", Encryption::None),
            ("NONE", Encryption::None),
            ("encrpyt", Encryption::Invalid),
        ];
        for (level, want) in table {
            let p = policy(level);
            assert_eq!(encryption(&r, &s, Some(&p)).encryption, want, "{level}");
        }
        let none = encryption(&r, &s, Some(&policy("none")));
        assert_eq!(
            none.words(),
            "plain text: smtp_tls_policy_maps says none (hash:/etc/postfix/tls_policy line 2); SES refuses it (fix its entry in hash:/etc/postfix/tls_policy line 2)"
        );
        // the level said nothing wrong; the policy did
        let mut weak = s.clone();
        weak.tls_level = "none".into();
        let enc = encryption(&r, &weak, Some(&policy("encrypt")));
        assert!(!enc.is_problem());
        assert_eq!(
            enc.words(),
            "TLS required: smtp_tls_policy_maps says encrypt (hash:/etc/postfix/tls_policy line 2)"
        );
    }

    #[test]
    fn policy_keys() {
        let k = |s: &str| tls_policy_keys(&Relay::parse(s).unwrap());
        assert_eq!(
            k("[Email-SMTP.us-east-1.amazonaws.com]:587"),
            ["[email-smtp.us-east-1.amazonaws.com]:587"]
        );
        assert_eq!(
            k("mail.example.com"),
            ["mail.example.com", ".example.com", ".com"]
        );
        assert_eq!(k("mail.example.com:2525"), ["mail.example.com:2525"]);
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

    #[test]
    fn a_program_that_is_not_there_is_named_first_with_what_to_do() {
        let inst = PostfixInstance {
            name: "default".into(),
            config_dir: "/etc/postfix".into(),
            command_prefix: vec!["/nonexistent/opsdeck-test/sudo".into()],
        };
        let msg = read(&inst).unwrap_err().to_string();
        assert!(
            msg.starts_with(
                "/nonexistent/opsdeck-test/sudo: not found - install Postfix, or fix PATH / \
                 command_prefix in [[postfix]] (/nonexistent/opsdeck-test/sudo postconf -x "
            ),
            "{msg}"
        );
    }
}
