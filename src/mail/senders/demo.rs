//! The Senders part of the self-contained demo: a Postfix configuration
//! directory with a sender map and a password map (fake credentials) routing
//! the senders the demo mail log uses.
//!
//! Writes only under the sandbox directory it is given, never under
//! /etc/postfix; it starts no daemon and holds no real secret. SES is the
//! demo's own, on 127.0.0.1 (`demo_ses`), read with made-up keys: no AWS
//! account is asked anything; the test mail goes to the demo's own SMTP
//! listener (`demo_smtp`), never to the host's MTA.

use crate::config::{Config, PostfixInstance};

/// The demo's sender setup: a Postfix configuration directory with a sender
/// map and a password map (fake credentials) routing the senders the demo
/// mail log uses. The log itself is the Failures demo's (`[mail_log]`).
pub(super) fn demo_files(sandbox: &std::path::Path, config: &mut Config) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = sandbox.join("postfix-senders");
    std::fs::create_dir_all(&dir)?;
    let relay = dir.join("sender_relay");
    let sasl = dir.join("sasl_passwd");
    std::fs::write(
        dir.join("main.cf"),
        format!(
            "compatibility_level = 3.6\n\
             myhostname = {}\n\
             myorigin = $myhostname\n\
             relayhost = [email-smtp.us-east-1.amazonaws.com]:587\n\
             sender_dependent_relayhost_maps = texthash:{}\n\
             smtp_sasl_auth_enable = yes\n\
             smtp_sasl_password_maps = texthash:{}\n\
             smtp_sasl_security_options = noanonymous\n\
             smtp_tls_security_level = encrypt\n",
            crate::demo::HOSTNAME,
            relay.display(),
            sasl.display()
        ),
    )?;
    std::fs::write(
        &relay,
        "# sender routes (demo)\n\
         shop@example.com      [email-smtp.us-east-1.amazonaws.com]:587\n\
         noreply@example.com   [email-smtp.us-east-1.amazonaws.com]:587\n\
         web@example.com       [email-smtp.us-east-1.amazonaws.com]:587\n\
         @example.net          [email-smtp.us-east-1.amazonaws.com]:587\n\
         legacy@example.com    [smtp.old-isp.example]:465\n",
    )?;
    std::fs::write(
        &sasl,
        "[email-smtp.us-east-1.amazonaws.com]:587 AKIADEMOEXAMPLE:demo-not-a-real-secret\n",
    )?;
    // deliberately readable by others: the pane warns about it
    std::fs::set_permissions(&sasl, std::fs::Permissions::from_mode(0o644))?;
    // the setup is older than the log's history, as on a host that has run a while: written
    // now, every failure of that history would read as from before the setup changed
    let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(30 * 86_400);
    for f in [dir.join("main.cf"), relay.clone(), sasl.clone()] {
        std::fs::File::options()
            .write(true)
            .open(&f)?
            .set_modified(long_ago)?;
    }
    // The demo host has one Postfix instance, this one: the Queue pane
    // lists it once (its queue is the Queue demo's), the Senders pane reads
    // its configuration.
    config.postfix = vec![PostfixInstance {
        name: "mx1".into(),
        config_dir: dir.clone(),
        command_prefix: Vec::new(),
    }];
    config.senders.instance = Some("mx1".into());
    // SES is the demo's own: the pane reads it through the AWS SDK as it would read Amazon's
    config.senders.ses = true;
    config.senders.ses_endpoint = Some(super::demo_ses::start()?);
    config.senders.ses_demo_keys = true;
    // the test mail goes to the demo's own Postfix, which logs it into the demo's mail log;
    // submission credentials for it (fake; shown nowhere)
    let log = config
        .mail_log
        .files
        .first()
        .filter(|f| f.starts_with(sandbox))
        .cloned()
        .ok_or_else(|| {
            anyhow::anyhow!("the demo's mail log (in the sandbox) is written before its senders")
        })?;
    config.senders.smtp_host = "127.0.0.1".into();
    config.senders.smtp_port = super::demo_smtp::start(log, super::demo_ses::sends_from)?;
    config.senders.smtp_tls = super::actions::SmtpTls::None;
    config.senders.demo_smtp = true;
    config.senders.smtp_user = Some("demo-submit".into());
    config.senders.smtp_password = Some(super::secret::Secret::new("demo-smtp-password-not-real"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::senders::maps;
    use crate::mail::senders::source::{MapContent, read_map};

    #[tokio::test]
    async fn demo_writes_its_maps_into_the_sandbox_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        // the test mail is logged in the demo's mail log, never in another
        assert!(demo_files(dir.path(), &mut config).is_err());
        config.mail_log.files = vec![dir.path().join("log/mail.log")];
        demo_files(dir.path(), &mut config).unwrap();
        assert!(config.senders.demo_smtp && config.senders.smtp_host == "127.0.0.1");
        let age = std::fs::metadata(dir.path().join("postfix-senders/main.cf"))
            .and_then(|m| m.modified())
            .unwrap()
            .elapsed()
            .unwrap();
        assert!(
            age.as_secs() > 7 * 86_400,
            "older than the log's history: {age:?}"
        );
        let inst = config
            .senders
            .instance(&config)
            .expect("the demo instance is selected");
        assert!(inst.config_dir.starts_with(dir.path()));
        // SES is the demo's own on loopback, never Amazon's with whatever keys the host has
        assert!(config.senders.ses && config.senders.ses_demo_keys);
        let endpoint = config.senders.ses_endpoint.as_deref().unwrap();
        assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
        let main_cf = std::fs::read_to_string(inst.config_dir.join("main.cf")).unwrap();
        let relay = main_cf
            .lines()
            .find_map(|l| l.strip_prefix("sender_dependent_relayhost_maps = "))
            .unwrap();
        let spec = maps::parse_map_list(relay).remove(0);
        assert!(spec.path.starts_with(&dir.path().display().to_string()));
        let MapContent::Table(entries) = read_map(&spec, false).content else {
            panic!("the demo sender map reads as a table")
        };
        assert!(entries.len() >= 4, "{entries:?}");
        // the password map is left readable by others on purpose: the pane warns
        let sasl = read_map(
            &maps::parse_map_list(&format!(
                "texthash:{}",
                inst.config_dir.join("sasl_passwd").display()
            ))
            .remove(0),
            true,
        );
        assert!(sasl.source.unwrap().open_to_others());
        assert!(!format!("{:?}", sasl.content).contains("demo-not-a-real-secret"));
    }
}
