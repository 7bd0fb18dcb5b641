//! Amazon SES through the AWS SDK (v2 API): identities and their
//! verification, the account's sandbox state, quota and rate, and creating
//! an identity.
//!
//! Async, called from tasks the effect runner spawns. Values leave this
//! module sanitized. Only [`create_identity`] changes anything, and it takes
//! a `&WriteAccess`. Credentials come from the standard chain and are never
//! read, stored or shown here.

use std::time::Duration;

use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::config::Region;
use aws_sdk_sesv2::config::http::HttpResponse;
use aws_sdk_sesv2::error::{ErrorMetadata, ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::types::{IdentityType, VerificationStatus};

use crate::access::WriteAccess;
use crate::sanitize::Clean;

use super::SendersError;

/// Verification state of an identity, in SES's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verification {
    Verified,
    Pending,
    Failed,
    TemporaryFailure,
    NotStarted,
    Unknown,
}

impl Verification {
    pub(crate) fn from_sdk(v: Option<&VerificationStatus>) -> Verification {
        match v {
            Some(VerificationStatus::Success) => Verification::Verified,
            Some(VerificationStatus::Pending) => Verification::Pending,
            Some(VerificationStatus::Failed) => Verification::Failed,
            Some(VerificationStatus::TemporaryFailure) => Verification::TemporaryFailure,
            Some(VerificationStatus::NotStarted) => Verification::NotStarted,
            _ => Verification::Unknown,
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Verification::Verified => "verified",
            Verification::Pending => "pending",
            Verification::Failed => "failed",
            Verification::TemporaryFailure => "temporary failure",
            Verification::NotStarted => "not started",
            Verification::Unknown => "unknown",
        }
    }
}

/// One SES identity (an address or a domain).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub name: Clean,
    pub is_domain: bool,
    pub status: Verification,
    pub sending_enabled: bool,
}

/// The account's sending state (GetAccount).
#[derive(Clone, Debug, PartialEq)]
pub struct Account {
    /// Out of the sandbox.
    pub production: bool,
    pub sending_enabled: bool,
    pub enforcement: Clean,
    pub max_24h: f64,
    pub sent_24h: f64,
    pub max_rate: f64,
}

/// Shares of the 24-hour sending quota used that are a warning and critical: past the quota SES
/// refuses mail (`454 Throttling failure: Daily message quota exceeded`) until the window moves on.
pub const QUOTA_WARN: f64 = 0.8;
pub const QUOTA_CRIT: f64 = 0.95;

/// How an account stands, as the Senders pane and `opsdeck check` both grade it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AccountGrade {
    Ok,
    /// The sandbox, an enforcement status other than HEALTHY, or the quota at 80%.
    Warning,
    /// Sending paused, or the quota at 95%: mail is refused, or soon will be.
    Critical,
}

impl Account {
    /// The share of the 24-hour quota used; `None` where SES names no quota.
    pub fn quota_used(&self) -> Option<f64> {
        (self.max_24h > 0.0).then(|| self.sent_24h / self.max_24h)
    }

    pub fn grade(&self) -> AccountGrade {
        let by_quota = match self.quota_used() {
            Some(u) if u >= QUOTA_CRIT => AccountGrade::Critical,
            Some(u) if u >= QUOTA_WARN => AccountGrade::Warning,
            _ => AccountGrade::Ok,
        };
        let by_state = if !self.sending_enabled {
            AccountGrade::Critical
        } else if !self.production || !self.enforcement.eq_ignore_ascii_case("HEALTHY") {
            AccountGrade::Warning
        } else {
            AccountGrade::Ok
        };
        by_quota.max(by_state)
    }

    /// Why mail is refused, or soon will be, in a few words; `None` where the grade is not
    /// critical.
    pub fn critical_words(&self) -> Option<String> {
        if !self.sending_enabled {
            Some("sending paused".into())
        } else {
            let used = self.quota_used().filter(|u| *u >= QUOTA_CRIT)?;
            Some(format!(
                "{:.0}% of the 24-hour quota used",
                (used * 100.0).floor()
            ))
        }
    }
}

/// What the SES side looked like at one moment.
#[derive(Clone, Debug)]
pub struct SesSnapshot {
    pub region: String,
    pub identities: Vec<Identity>,
    /// GetAccount can fail on its own (missing permission) while listing works.
    pub account: Result<Account, Clean>,
}

impl SesSnapshot {
    /// Verification of a sender: a verified identity that covers it (its
    /// address, its domain, or a parent domain: a verified domain covers its
    /// subdomains, and an address on it sends even while its own identity is
    /// pending), else the most specific identity found.
    pub fn verification_of(&self, sender: &str) -> Option<&Identity> {
        let s = sender.to_ascii_lowercase();
        let address = self
            .identities
            .iter()
            .find(|i| !i.is_domain && i.name.eq_ignore_ascii_case(&s));
        let domains = match s.rsplit_once('@') {
            Some((_, d)) => self.domains_covering(d),
            None => Vec::new(),
        };
        address
            .filter(|i| i.status == Verification::Verified)
            .or_else(|| {
                domains
                    .iter()
                    .copied()
                    .find(|i| i.status == Verification::Verified)
            })
            .or(address)
            .or_else(|| domains.first().copied())
    }

    /// Verification of a domain (an `@domain` route): a verified identity of
    /// it or of a parent domain, else the most specific one found.
    pub fn verification_of_domain(&self, domain: &str) -> Option<&Identity> {
        let domains = self.domains_covering(&domain.to_ascii_lowercase());
        domains
            .iter()
            .copied()
            .find(|i| i.status == Verification::Verified)
            .or_else(|| domains.first().copied())
    }

    /// The domain identities of `domain` and of each of its parents, most
    /// specific first.
    fn domains_covering(&self, domain: &str) -> Vec<&Identity> {
        let mut out = Vec::new();
        let mut d = domain;
        while !d.is_empty() {
            out.extend(
                self.identities
                    .iter()
                    .filter(|i| i.is_domain && i.name.eq_ignore_ascii_case(d)),
            );
            d = d.split_once('.').map_or("", |(_, parent)| parent);
        }
        out
    }
}

/// How to reach SES.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SesTarget {
    pub region: String,
    pub endpoint: Option<String>,
    /// Sign with made-up keys instead of the standard credential chain: only for the demo's own
    /// SES on 127.0.0.1 (`demo_ses`), never set from the configuration.
    pub demo_keys: bool,
}

/// A client from the standard credential chain (the demo's made-up keys for the demo's SES).
pub async fn connect(target: &SesTarget) -> Client {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(Region::new(target.region.clone()));
    if let Some(ep) = &target.endpoint {
        loader = loader.endpoint_url(ep.clone());
    }
    if target.demo_keys {
        loader = loader.credentials_provider(aws_sdk_sesv2::config::Credentials::new(
            "AKIADEMOEXAMPLE",
            "demo-not-a-real-secret",
            None,
            None,
            "opsdeck-demo",
        ));
    }
    let sdk = loader.load().await;
    Client::new(&sdk)
}

/// Where the SDK sends its requests: the configured endpoint, or SES v2's own in the region.
/// A user name and password written into the URL are never shown.
pub fn endpoint_shown(target: &SesTarget) -> String {
    let url = match &target.endpoint {
        Some(ep) => ep.trim_end_matches('/').to_string(),
        None => return format!("https://email.{}.amazonaws.com", target.region),
    };
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url.as_str()));
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let shown = match rest[..authority_end].rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://***@{host}{}", &rest[authority_end..]),
        None => url.clone(),
    };
    crate::sanitize::sanitize_capped(&shown, 120)
}

/// The innermost message of an error's chain: for a refused connection `Connection refused
/// (os error 111)`, not the five wrappers around it.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// Every message of an error's chain, for telling what kind of failure it is.
fn chain_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e;
    while let Some(next) = cur.source() {
        out.push_str(": ");
        out.push_str(&next.to_string());
        cur = next;
    }
    out
}

/// An SDK error as one line: what failed, at which endpoint, and what it means for the user,
/// instead of the SDK's nested debug dump. The SDK never puts a secret key in an error; the
/// endpoint is shown without any user name or password written into it.
pub fn describe_sdk_error<E>(
    op: &'static str,
    target: &SesTarget,
    e: &SdkError<E, HttpResponse>,
) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let endpoint = endpoint_shown(target);
    let all = chain_text(e);
    let text = if all.contains("NoCredentials")
        || all.contains("no credentials")
        || all.contains("credentials provider")
        || all.contains("credential provider")
    {
        "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID, or attach a role".into()
    } else {
        match e {
            SdkError::TimeoutError(_) => format!(
                "no answer from {endpoint} in time (a firewall or proxy dropping the connection?)"
            ),
            SdkError::DispatchFailure(d) if d.is_timeout() => format!(
                "no answer from {endpoint} in time (a firewall or proxy dropping the connection?)"
            ),
            SdkError::DispatchFailure(_) => {
                let why = root_cause(e);
                let dns = all.contains("dns error");
                format!(
                    "cannot reach {endpoint}: {}{why}{}",
                    if dns { "DNS: " } else { "" },
                    if dns {
                        " (is the host name right, and DNS working?)"
                    } else {
                        ""
                    }
                )
            }
            SdkError::ConstructionFailure(_) => {
                format!("the request could not be made: {}", root_cause(e))
            }
            SdkError::ResponseError(r) => format!(
                "{endpoint} answered HTTP {} with something that is not an SES reply",
                r.raw().status().as_u16()
            ),
            SdkError::ServiceError(s) => {
                let status = s.raw().status().as_u16();
                let err = s.err();
                // an error without a code (no x-amzn-ErrorType) keeps its message in its source
                let message = err
                    .message()
                    .or_else(|| {
                        std::error::Error::source(err)
                            .and_then(|s| s.downcast_ref::<ErrorMetadata>())
                            .and_then(|m| m.message())
                    })
                    .unwrap_or("")
                    // its first line: a signature mismatch goes on with the canonical request,
                    // whose signed headers may hold a session token
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim();
                let said = if message.is_empty() {
                    String::new()
                } else {
                    format!(": {message}")
                };
                match err.code() {
                    Some("AccessDeniedException" | "AccessDenied") => format!(
                        "access denied{said} - the IAM policy of the credentials in use must \
                         allow ses:{op}"
                    ),
                    None if status == 403 => format!(
                        "access denied (HTTP 403){said} - the IAM policy of the credentials in use \
                         must allow ses:{op}"
                    ),
                    Some(
                        c @ ("UnrecognizedClientException"
                        | "InvalidClientTokenId"
                        | "InvalidSignatureException"
                        | "SignatureDoesNotMatch"
                        | "IncompleteSignature"
                        | "ExpiredToken"
                        | "ExpiredTokenException"),
                    ) => format!(
                        // without SES's message: see above
                        "the AWS credentials were refused ({c}) - check the access key, its secret \
                         and this host's clock"
                    ),
                    Some(
                        c @ ("TooManyRequestsException" | "ThrottlingException" | "Throttling"),
                    ) => {
                        format!("throttled by SES ({c}): the next read tries again{said}")
                    }
                    Some("AlreadyExistsException") => {
                        format!("already in SES (r reads SES again){said}")
                    }
                    Some(c) => format!("{c}{said}"),
                    None if status == 404 || status == 405 || status == 501 => format!(
                        "{endpoint} does not offer {op} (HTTP {status}): not the SES v2 API, or \
                         an SES emulator without this call"
                    ),
                    None if message.is_empty() => format!(
                        "{endpoint} answered HTTP {status}, not an SES reply (not the SES v2 API, \
                         or a proxy in the way?)"
                    ),
                    None => format!("{endpoint} answered HTTP {status}{said}"),
                }
            }
            _ => root_cause(e),
        }
    };
    crate::sanitize::sanitize_capped(&text, 300)
}

fn api_error<E>(op: &'static str, target: &SesTarget, e: SdkError<E, HttpResponse>) -> SendersError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    SendersError::Ses {
        operation: op,
        region: target.region.clone(),
        message: describe_sdk_error(op, target, &e),
    }
}

/// An SES error without its `SES <operation> in REGION: ` head, for a line that already says
/// it is about SES in that region. Any other text is returned whole.
pub fn error_words<'a>(region: &str, error: &'a str) -> &'a str {
    let Some(rest) = error.strip_prefix("SES ") else {
        return error;
    };
    let Some((op, rest)) = rest.split_once(" in ") else {
        return error;
    };
    if op.is_empty() || !op.bytes().all(|b| b.is_ascii_alphabetic()) {
        return error;
    }
    rest.strip_prefix(region)
        .and_then(|rest| rest.strip_prefix(": "))
        .unwrap_or(error)
}

/// ListEmailIdentities, every page.
pub async fn list_identities(
    client: &Client,
    target: &SesTarget,
) -> Result<Vec<Identity>, SendersError> {
    let mut out = Vec::new();
    let mut pages = client
        .list_email_identities()
        .page_size(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| api_error("ListEmailIdentities", target, e))?;
        for i in page.email_identities() {
            out.push(Identity {
                name: Clean::new(i.identity_name().unwrap_or("")),
                is_domain: matches!(i.identity_type(), Some(IdentityType::Domain)),
                status: Verification::from_sdk(i.verification_status()),
                sending_enabled: i.sending_enabled(),
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// GetAccount.
pub async fn get_account(client: &Client, target: &SesTarget) -> Result<Account, SendersError> {
    let a = client
        .get_account()
        .send()
        .await
        .map_err(|e| api_error("GetAccount", target, e))?;
    let q = a.send_quota();
    Ok(Account {
        production: a.production_access_enabled(),
        sending_enabled: a.sending_enabled(),
        enforcement: Clean::new(a.enforcement_status().unwrap_or("unknown")),
        max_24h: q.map_or(0.0, |q| q.max24_hour_send()),
        sent_24h: q.map_or(0.0, |q| q.sent_last24_hours()),
        max_rate: q.map_or(0.0, |q| q.max_send_rate()),
    })
}

/// How long the pane's read of one region may take. The SDK has no limit on a response by
/// default: an endpoint (or a proxy before it) that takes the connection and never answers held
/// the read for ever, the region stayed pending, and SES was never read again.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// [`snapshot`], given up after `limit`.
pub async fn snapshot_within(
    target: &SesTarget,
    limit: Duration,
) -> Result<SesSnapshot, SendersError> {
    tokio::time::timeout(limit, snapshot(target))
        .await
        .unwrap_or_else(|_| {
            Err(SendersError::Ses {
                operation: "read",
                region: target.region.clone(),
                message: format!(
                    "no answer from {} within {} s (the next read tries again)",
                    endpoint_shown(target),
                    limit.as_secs_f64()
                ),
            })
        })
}

/// Identities and account in one go.
pub async fn snapshot(target: &SesTarget) -> Result<SesSnapshot, SendersError> {
    let client = connect(target).await;
    let identities = list_identities(&client, target).await?;
    // the error's words are clean already: escaped again, an ESC in them would show as `\\e`
    let account = get_account(&client, target).await.map_err(|e| e.clean());
    Ok(SesSnapshot {
        region: target.region.clone(),
        identities,
        account,
    })
}

/// CreateEmailIdentity: SES mails the address a link (or, for a domain,
/// expects DKIM records). Returns whether SES already counts it verified.
pub async fn create_identity(
    _access: &WriteAccess,
    target: &SesTarget,
    identity: &str,
) -> Result<bool, SendersError> {
    let client = connect(target).await;
    let out = client
        .create_email_identity()
        .email_identity(identity)
        .send()
        .await
        .map_err(|e| api_error("CreateEmailIdentity", target, e))?;
    Ok(out.verified_for_sending_status())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap() -> SesSnapshot {
        let id = |n: &str, d, s| Identity {
            name: Clean::new(n),
            is_domain: d,
            status: s,
            sending_enabled: true,
        };
        SesSnapshot {
            region: "us-east-1".into(),
            identities: vec![
                id("alice@example.com", false, Verification::Verified),
                id("example.org", true, Verification::Verified),
                id("new@example.com", false, Verification::Pending),
            ],
            account: Err(Clean::new("x")),
        }
    }

    #[test]
    fn the_endpoint_is_named_without_its_password() {
        let t = |ep: Option<&str>| SesTarget {
            region: "eu-west-1".into(),
            endpoint: ep.map(String::from),
            demo_keys: false,
        };
        assert_eq!(
            endpoint_shown(&t(None)),
            "https://email.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            endpoint_shown(&t(Some(
                "https://vpce-1.email.eu-west-1.vpce.amazonaws.com/"
            ))),
            "https://vpce-1.email.eu-west-1.vpce.amazonaws.com"
        );
        assert_eq!(
            endpoint_shown(&t(Some("http://user:s3cret@proxy:8080/ses"))),
            "http://***@proxy:8080/ses"
        );
        assert_eq!(
            error_words("eu-west-1", "SES GetAccount in eu-west-1: access denied"),
            "access denied"
        );
        assert_eq!(
            error_words("eu-west-1", "SES read in eu-west-1: no answer"),
            "no answer"
        );
        // another region's, or text of another shape, stays whole
        assert_eq!(
            error_words("eu-west-1", "SES read in us-east-1: no answer"),
            "SES read in us-east-1: no answer"
        );
        assert_eq!(error_words("eu-west-1", "no credentials"), "no credentials");
    }

    #[test]
    fn address_then_domain() {
        let s = snap();
        assert_eq!(
            s.verification_of("Alice@example.com").unwrap().status,
            Verification::Verified
        );
        assert_eq!(
            s.verification_of("anyone@example.org")
                .unwrap()
                .name
                .as_str(),
            "example.org"
        );
        assert_eq!(
            s.verification_of("new@example.com").unwrap().status,
            Verification::Pending
        );
        assert!(s.verification_of("bob@example.com").is_none());
        assert!(s.verification_of("MAILER-DAEMON").is_none());
    }

    #[test]
    fn a_verified_domain_covers_its_subdomains_and_pending_addresses() {
        let id = |n: &str, d, s| Identity {
            name: Clean::new(n),
            is_domain: d,
            status: s,
            sending_enabled: true,
        };
        let s = SesSnapshot {
            region: "us-east-1".into(),
            identities: vec![
                id("example.com", true, Verification::Verified),
                id("new@example.com", false, Verification::Pending),
                id("eu.example.net", true, Verification::Pending),
            ],
            account: Err(Clean::new("x")),
        };
        let by = |sender: &str| {
            s.verification_of(sender)
                .map(|i| (i.name.to_string(), i.status))
        };
        assert_eq!(
            by("app@notify.example.com"),
            Some(("example.com".into(), Verification::Verified))
        );
        assert_eq!(
            by("new@example.com"),
            Some(("example.com".into(), Verification::Verified)),
            "a pending address on a verified domain sends"
        );
        assert_eq!(
            by("x@mail.eu.example.net"),
            Some(("eu.example.net".into(), Verification::Pending))
        );
        assert_eq!(by("x@notexample.com"), None);
        assert_eq!(
            s.verification_of_domain("Notify.Example.com")
                .map(|i| i.name.as_str()),
            Some("example.com")
        );
        assert!(s.verification_of_domain("example.org").is_none());
    }
}
