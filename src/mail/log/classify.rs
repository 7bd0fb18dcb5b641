//! Names the cause of a failed delivery ([`Category`]) from its status, DSN and reply text, and says
//! in plain words what it means and what to do ([`Category::meaning`], [`Category::remedy`]).
//!
//! Pure functions of the text: no I/O, no state. It must never invent evidence: the evidence shown is
//! always the reply text Postfix logged.

use serde::Serialize;

use super::parse::Status;

/// Why a message failed (or was lost).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    SesSenderNotVerified,
    SesRecipientNotVerified,
    SesThrottling,
    SesDailyQuota,
    SesCredentials,
    RelayCredentials,
    SesAuthRequired,
    SesAccessDenied,
    SesSendingPaused,
    SesSuppressed,
    MessageTooLong,
    MalformedMessage,
    SaslNoMechanism,
    Tls,
    Connection,
    Suspended,
    Dns,
    RecipientUnknown,
    RecipientRestricted,
    MailboxFull,
    RelayDenied,
    SenderRejected,
    ReverseDns,
    Greylisted,
    Blocklisted,
    SenderAuthentication,
    ContentRejected,
    RemoteTemporary,
    MailLoop,
    LocalMailbox,
    DeliveryCommand,
    LocalService,
    PostfixSetup,
    Expired,
    Rejected,
    ContentRule,
    MilterReject,
    Held,
    Lost,
    Deleted,
    Discarded,
    Other,
}

impl Category {
    pub const ALL: [Category; 42] = [
        Category::SesSenderNotVerified,
        Category::SesRecipientNotVerified,
        Category::SesThrottling,
        Category::SesDailyQuota,
        Category::SesCredentials,
        Category::RelayCredentials,
        Category::SesAuthRequired,
        Category::SesAccessDenied,
        Category::SesSendingPaused,
        Category::SesSuppressed,
        Category::MessageTooLong,
        Category::MalformedMessage,
        Category::SaslNoMechanism,
        Category::Tls,
        Category::Connection,
        Category::Suspended,
        Category::Dns,
        Category::RecipientUnknown,
        Category::RecipientRestricted,
        Category::MailboxFull,
        Category::RelayDenied,
        Category::SenderRejected,
        Category::ReverseDns,
        Category::Greylisted,
        Category::Blocklisted,
        Category::SenderAuthentication,
        Category::ContentRejected,
        Category::RemoteTemporary,
        Category::MailLoop,
        Category::LocalMailbox,
        Category::DeliveryCommand,
        Category::LocalService,
        Category::PostfixSetup,
        Category::Expired,
        Category::Rejected,
        Category::ContentRule,
        Category::MilterReject,
        Category::Held,
        Category::Lost,
        Category::Deleted,
        Category::Discarded,
        Category::Other,
    ];

    /// Short label for tables (at most 16 columns).
    pub fn label(self) -> &'static str {
        match self {
            Category::SesSenderNotVerified => "sender unverified",
            Category::SesRecipientNotVerified => "sandbox rcpt",
            Category::SesThrottling => "SES throttling",
            Category::SesDailyQuota => "SES daily quota",
            Category::SesCredentials => "SES credentials",
            Category::RelayCredentials => "relay login",
            Category::SesAuthRequired => "auth required",
            Category::SesAccessDenied => "IAM denied",
            Category::SesSendingPaused => "SES paused",
            Category::SesSuppressed => "SES suppressed",
            Category::MessageTooLong => "too long",
            Category::MalformedMessage => "bad headers",
            Category::SaslNoMechanism => "SASL no mech",
            Category::Tls => "TLS",
            Category::Connection => "connection",
            Category::Suspended => "suspended",
            Category::Dns => "DNS",
            Category::RecipientUnknown => "rcpt unknown",
            Category::RecipientRestricted => "rcpt restricted",
            Category::MailboxFull => "mailbox full",
            Category::RelayDenied => "relay denied",
            Category::SenderRejected => "sender rejected",
            Category::ReverseDns => "reverse DNS",
            Category::Greylisted => "greylisted",
            Category::Blocklisted => "blocklisted",
            Category::SenderAuthentication => "SPF/DKIM/DMARC",
            Category::ContentRejected => "spam/content",
            Category::RemoteTemporary => "remote tempfail",
            Category::MailLoop => "mail loop",
            Category::LocalMailbox => "local mailbox",
            Category::DeliveryCommand => "delivery command",
            Category::LocalService => "local service",
            Category::PostfixSetup => "postfix setup",
            Category::Expired => "expired",
            Category::Rejected => "rejected",
            Category::ContentRule => "content rule",
            Category::MilterReject => "milter",
            Category::Held => "HELD",
            Category::Lost => "LOST",
            // not "deleted" again beside the status: what deleted it (a row's status is
            // "deleted", its cause the command; the Queue pane's delete runs it too)
            Category::Deleted => "postsuper -d",
            Category::Discarded => "DISCARDED",
            Category::Other => "other",
        }
    }

    /// The stable name used in JSON (`snake_case`).
    pub fn key(self) -> &'static str {
        match self {
            Category::SesSenderNotVerified => "ses_sender_not_verified",
            Category::SesRecipientNotVerified => "ses_recipient_not_verified",
            Category::SesThrottling => "ses_throttling",
            Category::SesDailyQuota => "ses_daily_quota",
            Category::SesCredentials => "ses_credentials",
            Category::RelayCredentials => "relay_credentials",
            Category::SesAuthRequired => "ses_auth_required",
            Category::SesAccessDenied => "ses_access_denied",
            Category::SesSendingPaused => "ses_sending_paused",
            Category::SesSuppressed => "ses_suppressed",
            Category::MessageTooLong => "message_too_long",
            Category::MalformedMessage => "malformed_message",
            Category::SaslNoMechanism => "sasl_no_mechanism",
            Category::Tls => "tls",
            Category::Connection => "connection",
            Category::Suspended => "suspended",
            Category::Dns => "dns",
            Category::RecipientUnknown => "recipient_unknown",
            Category::RecipientRestricted => "recipient_restricted",
            Category::MailboxFull => "mailbox_full",
            Category::RelayDenied => "relay_denied",
            Category::SenderRejected => "sender_rejected",
            Category::ReverseDns => "reverse_dns",
            Category::Greylisted => "greylisted",
            Category::Blocklisted => "blocklisted",
            Category::SenderAuthentication => "sender_authentication",
            Category::ContentRejected => "content_rejected",
            Category::RemoteTemporary => "remote_temporary",
            Category::MailLoop => "mail_loop",
            Category::LocalMailbox => "local_mailbox",
            Category::DeliveryCommand => "delivery_command",
            Category::LocalService => "local_service",
            Category::PostfixSetup => "postfix_setup",
            Category::Expired => "expired",
            Category::Rejected => "rejected",
            Category::ContentRule => "content_rule",
            Category::MilterReject => "milter_reject",
            Category::Held => "held",
            Category::Lost => "lost",
            Category::Deleted => "deleted",
            Category::Discarded => "discarded",
            Category::Other => "other",
        }
    }

    /// What it means, in plain words.
    pub fn meaning(self) -> &'static str {
        match self {
            Category::SesSenderNotVerified => {
                "Amazon SES refused the message because the sender address (or its domain) is not a verified identity in that region."
            }
            Category::SesRecipientNotVerified => {
                "The SES account is in the sandbox: it may only send to verified recipients, and this recipient is not one."
            }
            Category::SesThrottling => {
                "SES refused the message because the account's maximum sending rate was exceeded. Postfix retries later."
            }
            Category::SesDailyQuota => {
                "SES refused the message because the account's 24-hour sending quota is used up. Postfix retries, but nothing goes out until the quota window moves."
            }
            Category::SesCredentials => {
                "SES rejected the SMTP user name or password. With smtp_sasl_auth_soft_bounce=yes (the default) these are deferred, not bounced, so mail piles up in the queue."
            }
            Category::RelayCredentials => {
                "The relay (not SES) refused the SMTP user name or password Postfix sent for it. With smtp_sasl_auth_soft_bounce=yes (the default) these are deferred, not bounced, so mail piles up in the queue."
            }
            Category::SesAuthRequired => {
                "The relay (SES, or any other that requires a login) wants SMTP authentication and Postfix did not authenticate: SASL is not enabled, or the password map has no entry for this relay."
            }
            Category::SesAccessDenied => {
                "The SMTP credentials belong to an IAM user that is not allowed to call ses:SendRawEmail for this identity."
            }
            Category::SesSendingPaused => {
                "Amazon SES has paused or suspended sending for the whole account (or for the configuration set the message names), usually after a review of its bounce or complaint rate: it refuses every message until that is lifted."
            }
            Category::SesSuppressed => {
                "Amazon SES refused to send to this recipient because the address is on its suppression list: it bounced hard or complained recently (SES's words: 'Address blacklisted')."
            }
            Category::MalformedMessage => {
                "The relay or the receiving server refused the message for an address or header it cannot accept. Amazon SES says what after 'Transaction failed:': an address in From, To, Cc or Reply-To without @domain, empty or with spaces in it (Missing final '@domain', Empty address, Illegal address), a header given twice (Duplicate header 'MIME-Version'), or a malformed MIME header (Expected disposition). Gmail says the message \"is not RFC 5322 compliant\" (a From header missing or given twice, and the like) or lacks a valid Message-ID; Microsoft 365 (5.7.512) that it has no valid From address."
            }
            Category::MessageTooLong => {
                "The message is larger than the relay accepts (SES: 40 MB including encoding)."
            }
            Category::SaslNoMechanism => {
                "Postfix has SASL credentials for the relay, but its SASL security options allow none of the mechanisms the relay offers (no mechanism available): by default (noplaintext) it sends no password in plain text (PLAIN, LOGIN: all SES offers), over TLS as well."
            }
            Category::Tls => "The TLS handshake or certificate check with the relay failed.",
            Category::Connection => {
                "Postfix could not connect to the relay (refused, timed out, no route) or lost the connection."
            }
            Category::Suspended => {
                "Postfix stopped trying this destination for a while after repeated failures (delivery temporarily suspended), for a reason it does not name here; the cause is in the earlier failure."
            }
            Category::Dns => "The destination host name could not be resolved.",
            Category::RecipientUnknown => {
                "The receiving side says the recipient address does not exist."
            }
            Category::RecipientRestricted => {
                "The recipient exists but takes mail only from the senders its owner allows: a group, distribution list or shared mailbox that accepts mail from inside its own organisation, or from a list of senders (Microsoft 365's 5.7.133-5.7.136, \"sender not authenticated for group\", and RESOLVER.RST.NotAuthorized). Nothing on this host is at fault, and retrying does not help."
            }
            Category::MailboxFull => "The recipient's mailbox is full or over quota.",
            Category::RelayDenied => {
                "A server refused to relay for this client or recipient (relay access denied)."
            }
            Category::SenderRejected => {
                "The receiving server refused the envelope sender (MAIL FROM): the address is not fully qualified or its domain does not resolve (mail from www-data@web1.internal, a name only this machine knows), the server could not verify it, or its policy refuses that sender."
            }
            Category::ReverseDns => {
                "The receiving server refused this host's IP address because it has no reverse DNS name (PTR record), or that name does not lead back to the same address. Many servers refuse or defer such mail; Gmail requires it."
            }
            Category::Greylisted => {
                "The receiving server turned the first attempt away on purpose (greylisting), to see whether the sender retries. Postfix does, and the mail normally goes through within minutes."
            }
            Category::Blocklisted => {
                "The receiving server refused mail from this host's IP address (or, for a domain list, the sender's domain) because it is on a block list: a public DNS blocklist such as Spamhaus's, or the receiver's own (Microsoft's S3150, banned sending IP, 5.7.708 traffic not accepted; Gmail's for an address that should send through its provider's relay; Yahoo's TSS09, \"All messages from ... will be permanently deferred\"). The reply names the list. Retrying does not help while the listing lasts. Microsoft's 4.7.650 (\"temporarily rate limited due to IP reputation\") is the same judgment of the address as a deferral: some mail may get through, most waits, for as long as the reputation stays poor."
            }
            Category::SenderAuthentication => {
                "The receiving server refused the message because the sender's domain failed its SPF, DKIM or DMARC check."
            }
            Category::ContentRejected => {
                "The receiving server judged the message, or the mail from this host or its domain as a whole, to be spam or harmful (content, links, attachments, volume or complaints) and refused it. A temporary (4xx) refusal of this kind, such as Gmail's 421 4.7.28 \"unusual rate of unsolicited mail\", limits that mail for a while: Postfix retries and some gets through, most waits as long as the judgment lasts. A content filter on this host (amavis on 127.0.0.1:10024) refuses in the same words: the reply names the host."
            }
            Category::RemoteTemporary => {
                "The receiving server said \"not now\" with a temporary (4xx) reply: a problem on its side (a failed lookup, a timeout) or a limit it applies. Postfix retries until maximal_queue_lifetime."
            }
            Category::MailLoop => {
                "The mail went round in a loop: the destination's mail server is this host itself but it does not deliver that domain (loops back to myself), or an alias or forward leads back to itself."
            }
            Category::LocalMailbox => {
                "Postfix could not write the message into a mailbox on this host (local or virtual delivery to an mbox file or a Maildir): a permission, a missing directory, a lock or the disk."
            }
            Category::DeliveryCommand => {
                "A command that delivers mail on this host failed: a pipe transport in master.cf, mailbox_command (procmail, maildrop), or a |command in aliases or .forward. It exited with an error (when it printed nothing, Postfix logs only what its exit status means, such as temporary failure or service unavailable), was killed, or ran too long."
            }
            Category::LocalService => {
                "Postfix could not talk to a service on this host: on its UNIX-domain socket (LMTP delivery to Dovecot or Cyrus, a content filter) or on a loopback address (a content filter such as amavis on 127.0.0.1:10024 or rspamd's proxy, a local relay or tunnel). The socket does not exist (No such file or directory: the service is not running, or it creates its socket elsewhere), nobody listens (Connection refused), Postfix may not write to it (Permission denied), or the service did not answer in time or dropped the connection. The mail waits in the queue; behind a content_filter, that is all mail passing through it, outgoing mail included."
            }
            Category::PostfixSetup => {
                "Postfix's own setup stops the delivery: the service it must hand the mail to is not running or not in master.cf (mail transport unavailable), a table it needs cannot be read (alias database unavailable: the aliases were never built), or defer_transports holds the transport back on purpose (deferred transport). The mail waits in the queue."
            }
            Category::Expired => {
                "The message stayed in the queue longer than maximal_queue_lifetime and was returned to the sender."
            }
            Category::Rejected => {
                "The message was refused when it was received (smtpd or cleanup reject); it never entered the queue."
            }
            Category::ContentRule => {
                "One of this host's own content rules refused the message as it was received: a REJECT in header_checks, body_checks, mime_header_checks or nested_header_checks (Postfix's cleanup). The row names what matched (the header or body line), and the reply is the rule's own text. Mail submitted on this host (sendmail, a web application) is bounced back to its sender; mail received over SMTP was refused to the client, which tells its sender."
            }
            Category::MilterReject => {
                "A milter on this host refused the message at the stage named (a mail filter in smtpd_milters or non_smtpd_milters: OpenDKIM, OpenDMARC, rspamd, a virus scanner), or the milter could not be reached and milter_default_action = reject refused it for it (Service unavailable, after a warning naming the milter's socket). It never entered the queue."
            }
            Category::Held => {
                "A HOLD rule on this host (header_checks or body_checks, an smtpd access table, or a milter) put the message in the hold queue. It waits there, neither delivered nor retried, until someone releases or deletes it; nobody is told."
            }
            Category::Lost => {
                "The message left the queue without a final delivery, or its bounce could not be delivered either: nobody was told."
            }
            Category::Deleted => {
                "Someone deleted the message from the queue with postsuper -d (or the Queue pane's delete) before it was delivered: by hand, on purpose, as when clearing spam out of the deferred queue. It was never delivered, and Postfix sends no bounce for a deletion: the sender was not told."
            }
            Category::Discarded => {
                "A DISCARD rule dropped the message after it was accepted: header_checks or body_checks, an access table, or a milter. The sender was told it was accepted, nobody receives it, and no bounce is sent: only the log says so."
            }
            Category::Other => "A failure without a known pattern: read the reply text.",
        }
    }

    /// What to do about it.
    pub fn remedy(self) -> &'static str {
        match self {
            Category::SesSenderNotVerified => {
                "Verify the sender address or its domain in SES in the region named, or route this sender elsewhere (Senders pane)."
            }
            Category::SesRecipientNotVerified => {
                "Request production access for the SES account, or verify the recipient for testing."
            }
            Category::SesThrottling => {
                "Wait for the retry, lower the send rate (smtp_destination_rate_delay, smtp_destination_concurrency_limit), or ask AWS for a higher rate."
            }
            Category::SesDailyQuota => {
                "Ask AWS for a higher sending quota; flush the queue once the quota allows."
            }
            Category::SesCredentials => {
                "Use SMTP credentials generated for SES (not the IAM secret key) in smtp_sasl_password_maps, postmap the map, then flush the queue."
            }
            Category::RelayCredentials => {
                "Check the relay's entry in smtp_sasl_password_maps: its key must be the relay exactly as written in relayhost or the sender map (brackets and port included), the password the one the relay's provider issued. Then postmap the map, postfix reload, and flush the queue. The Senders pane shows which entry each sender uses."
            }
            Category::SesAuthRequired => {
                "Set smtp_sasl_auth_enable = yes with smtp_sasl_password_maps, give the relay an entry there (keyed exactly as the relay is written, brackets and port included), postmap the map and reload Postfix."
            }
            Category::SesAccessDenied => {
                "Grant the IAM user ses:SendRawEmail on the identity, or use credentials of a user that has it."
            }
            Category::SesSendingPaused => {
                "Read the notice AWS sent to the account's e-mail address and the reputation page of the SES console; the Senders pane shows the account's sending state and enforcement status (aws sesv2 get-account). For a configuration set: aws sesv2 put-configuration-set-sending-options --sending-enabled. Until then every message through SES fails, bounce notifications too (they go out the same way): soft_bounce = yes for the time being keeps mail in the queue instead."
            }
            Category::SesSuppressed => {
                "Check the address with its owner. Only once it is known to work again, remove it from the account's suppression list (aws sesv2 delete-suppressed-destination --email-address ADDRESS); sending to it again as it is hurts the account's bounce rate."
            }
            Category::MalformedMessage => {
                "Fix what the application writes: a full user@domain in every address header (not a bare user name, not an empty Reply-To), each header once (a library and a template both adding MIME-Version or Subject is the usual cause), and the MIME header named. The same message fails again however often it is retried: send it again after the fix."
            }
            Category::MessageTooLong => {
                "Send smaller messages (attachments by link); check message_size_limit."
            }
            Category::SaslNoMechanism => {
                "Allow a plain-text password over TLS: smtp_tls_security_level = encrypt and smtp_sasl_tls_security_options = noanonymous. TLS alone is not enough: that option follows smtp_sasl_security_options, noplaintext by default. Check libsasl2-modules is installed."
            }
            Category::Tls => {
                "Check smtp_tls_* settings, the relay's certificate and the CA file; the reply text names the step that failed."
            }
            Category::Connection => {
                "Check the relayhost and port, outbound firewall (port 25 is often blocked: use 587), and that the relay is up."
            }
            Category::Suspended => {
                "Look at the first deferral of this destination; mail resumes on its own when the cause is fixed (postqueue -f to retry now)."
            }
            Category::Dns => {
                "Check the relayhost name and the resolver (or use [host]:port to skip MX lookup)."
            }
            Category::RecipientUnknown => "Correct or remove the recipient address.",
            Category::RecipientRestricted => {
                "Tell the sender to ask the recipient's organisation (the group's owner or its administrator) to accept mail from outside senders, or from this sender's address; or to write to a person rather than the group."
            }
            Category::MailboxFull => {
                "The recipient has to make room. For a mailbox on this host, also check mailbox_size_limit (virtual_mailbox_limit) and the disk quota."
            }
            Category::RelayDenied => {
                "For mail this host sends, have the relay take it from this host: log in to it (smtp_sasl_auth_enable = yes and an entry in smtp_sasl_password_maps) or have this host's address allowed there. Refused here at reception (NOQUEUE reject), it is Postfix declining to be an open relay for a client outside mynetworks, usually a spammer's probe: nothing to do unless that client is yours (add it to mynetworks, or have it log in: permit_sasl_authenticated in smtpd_relay_restrictions)."
            }
            Category::SenderRejected => {
                "Send from an address in a real, public domain: set myorigin (and mydomain) so that local senders get one, set the envelope sender the application uses (sendmail -f, its mail settings), or rewrite local senders with smtp_generic_maps. The reply says which check refused it. Then postqueue -f."
            }
            Category::ReverseDns => {
                "Ask whoever runs the IP address (the hosting provider's panel) for a PTR record naming this host, use the same name as myhostname, and make that name's A/AAAA record point back to the address (host IP; host NAME). Mail relayed through SES does not meet this: check whether this mail was meant to go direct."
            }
            Category::Greylisted => {
                "Nothing, unless it lasts longer than the receiver's greylisting delay: then check that the retries leave from the same IP address."
            }
            Category::Blocklisted => {
                "Find and stop why this host's address is listed (the list's page for the address says: often spam from a compromised account, script or web form), then ask that list for delisting (Microsoft, for S3150, a banned sending IP or 4.7.650: the address's standing and complaints in SNDS, sendersupport.olc.protection.outlook.com/snds, and delisting at sender.office.com). Until then send less to that receiver's domains. Mail relayed through SES does not depend on this host's address."
            }
            Category::SenderAuthentication => {
                "Publish SPF for the sending path (include:amazonses.com for SES), sign with DKIM (SES Easy DKIM), and check the domain's DMARC policy; the reply names the check that failed."
            }
            Category::ContentRejected => {
                "Find what the receiver refuses and change it: the message's content, links or attachments (a file type such as .exe or a macro document), or, when the reply speaks of a rate of unsolicited mail or of reputation, what sends that mail (a compromised account, script or web form: the senders with the most mail). Then watch the domain's and address's standing (Google Postmaster Tools, Microsoft SNDS); the receiver's postmaster pages explain its code. Retrying the same message does not help."
            }
            Category::RemoteTemporary => {
                "Usually nothing: watch that a retry gets through. If it lasts, read the reply and the receiver's postmaster pages; if it names volume, lower the rate to that destination (smtp_destination_rate_delay)."
            }
            Category::MailLoop => {
                "If this host should receive the domain's mail, list it in mydestination (or virtual_mailbox_domains); if not, fix the domain's MX record or the relayhost/transport. For a forwarding loop, check the aliases and .forward files named."
            }
            Category::LocalMailbox => {
                "The reply names the file and the error: check its owner and mode (the recipient's user must be able to write it), that the directory exists, and free space (df); then postqueue -f."
            }
            Category::DeliveryCommand => {
                "The reply names the command and holds its output: run it by hand as the transport's user with a message on stdin. Exit status 75 (EX_TEMPFAIL) defers the mail, other sysexits codes bounce it."
            }
            Category::LocalService => {
                "Start or restart the service at the address named, the one the transport or content_filter points to (systemctl status with its unit: amavis, rspamd, spamd, dovecot...), and read its own log; then postqueue -f. On a TCP address (127.0.0.1:10024 is amavis's usual one) the service must listen there (ss -ltnp shows what listens where). A socket in the transport (lmtp:unix:private/dovecot-lmtp) must be the one the service creates: a relative path is under Postfix's queue directory (/var/spool/postfix/private/...), and the postfix user must be able to write it (the service's socket user, group and mode). A content filter gone for good must be taken out of content_filter (main.cf, and any -o content_filter in master.cf) before mail moves again."
            }
            Category::PostfixSetup => {
                "Read the warning or error logged just before it (it names the socket, such as private/amavis, or the map file): add or start that service, or build the map (newaliases for the aliases, postmap for others); postfix check lists such problems. For a deferred transport, take it out of defer_transports (postconf defer_transports). Then postfix reload and postqueue -f."
            }
            Category::Expired => {
                "Find why it was deferred (history) and fix that; the sender was notified."
            }
            Category::Rejected => {
                "Check the smtpd restrictions or header_checks named in the reply."
            }
            Category::ContentRule => {
                "If the mail was wanted, find the rule that matches the line named: postconf header_checks body_checks mime_header_checks nested_header_checks names the maps, and postmap -q 'Subject: ...' regexp:/etc/postfix/header_checks shows what a line gets. Narrow or remove the rule, postfix reload, and have the message sent again: Postfix kept no copy."
            }
            Category::MilterReject => {
                "The reply is the milter's: read the milter's own log for why. If it could not be reached, start it, or point smtpd_milters / non_smtpd_milters at the socket it listens on (postconf smtpd_milters non_smtpd_milters); milter_default_action = tempfail (Postfix's default) has clients retry through a milter's outage instead of being refused."
            }
            Category::Held => {
                "Look at it and release it to send it on (postcat -q QUEUE_ID, then postsuper -H QUEUE_ID: the Queue pane's detail and release), or delete it (postsuper -d QUEUE_ID). If the rule holds wanted mail, narrow it (postconf header_checks body_checks) and postfix reload."
            }
            Category::Lost => {
                "Tell the sender by hand; fix the bounce path (a verified sender for notifications, or a working postmaster alias)."
            }
            Category::Deleted => {
                "Nothing, if the deletion was meant (spam, a mail loop, a test). If it was real mail, tell the sender by hand: the message is gone and nobody else will. If nobody here deleted it, find who can run postsuper as root (sudo logs, scripts, cron)."
            }
            Category::Discarded => {
                "If it was wanted, find the rule: the line names what matched (the header or the check) and the rule's text. Narrow or remove it (postconf header_checks body_checks smtpd_milters), then postfix reload; the message itself is gone."
            }
            Category::Other => "Read the reply text and the message history.",
        }
    }
}

/// The SES "not verified" details: which identities failed, in which region.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SesNotVerified {
    pub region: String,
    pub identities: Vec<String>,
}

const NOT_VERIFIED: &str =
    "Email address is not verified. The following identities failed the check in region ";

/// Pull region and identities from SES's not-verified reply.
pub fn ses_not_verified(reason: &str) -> Option<SesNotVerified> {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(NOT_VERIFIED));
    let at = FINDER.find(reason.as_bytes())?;
    let rest = &reason[at + NOT_VERIFIED.len()..];
    let (region, ids) = rest.split_once(": ")?;
    static IN_REPLY: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(" (in reply to"));
    let ids = IN_REPLY.find(ids.as_bytes()).map_or(ids, |i| &ids[..i]);
    let identities = ids
        .split(',')
        .map(|s| s.trim().trim_end_matches(')').trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    Some(SesNotVerified {
        region: region.trim().to_string(),
        identities,
    })
}

/// Classify one failed delivery from its status, DSN, reply text, recipient and `relay=` field
/// (empty when not known).
pub fn classify(status: Status, dsn: &str, reason: &str, recipient: &str, relay: &str) -> Category {
    classify_with_ses(status, dsn, reason, recipient, relay).0
}

/// [`classify`], with the SES not-verified details when that is the cause (read once).
pub fn classify_with_ses(
    status: Status,
    dsn: &str,
    reason: &str,
    recipient: &str,
    relay: &str,
) -> (Category, Option<SesNotVerified>) {
    ses_not_verified_cause(reason, recipient)
        .unwrap_or_else(|| (classify_reply(status, dsn, reason, relay), None))
}

/// SES's refusal of unverified identities, when `reason` is that: the recipient's own (the
/// sandbox) or the sender's.
fn ses_not_verified_cause(
    reason: &str,
    recipient: &str,
) -> Option<(Category, Option<SesNotVerified>)> {
    let nv = ses_not_verified(reason)?;
    let rcpt_failed = nv
        .identities
        .iter()
        .any(|i| i.eq_ignore_ascii_case(recipient));
    let others = nv
        .identities
        .iter()
        .any(|i| !i.eq_ignore_ascii_case(recipient));
    let c = if rcpt_failed && !others {
        Category::SesRecipientNotVerified
    } else {
        Category::SesSenderNotVerified
    };
    Some((c, Some(nv)))
}

/// [`classify_with_ses`] with the replies it classified remembered: a queue that fails delivers
/// the same reply for message after message (the same deferral, the same refused identity), and
/// reading a reply for its cause takes dozens of searches. The cause of a reply depends on the
/// status, DSN, reply and relay alone (the recipient only tells SES's refused identities apart,
/// read anew each time); at most [`ReplyCauses::CAP`] replies are kept, then it starts afresh.
#[derive(Debug, Default)]
pub struct ReplyCauses {
    /// The status, DSN, relay and reason (each after its length) to the reply's cause.
    known: std::collections::HashMap<String, Category>,
    /// The key being looked up (kept: no allocation per lookup).
    key: String,
}

impl ReplyCauses {
    pub const CAP: usize = 4096;

    /// [`classify_with_ses`], remembering the cause of a reply that is not SES's refused
    /// identities.
    pub fn classify_with_ses(
        &mut self,
        status: Status,
        dsn: &str,
        reason: &str,
        recipient: &str,
        relay: &str,
    ) -> (Category, Option<SesNotVerified>) {
        if let Some(found) = ses_not_verified_cause(reason, recipient) {
            return found;
        }
        use std::fmt::Write as _;
        self.key.clear();
        for part in [status.as_str(), dsn, relay, reason] {
            // each part after its length: no two replies share a key, whatever they hold
            let _ = write!(self.key, "{}:{part}", part.len());
        }
        if let Some(c) = self.known.get(self.key.as_str()) {
            return (*c, None);
        }
        let c = classify_reply(status, dsn, reason, relay);
        if self.known.len() >= Self::CAP {
            self.known.clear();
        }
        self.known.insert(self.key.clone(), c);
        (c, None)
    }
}

/// How Postfix begins the reason of mail it did not try, because the destination failed just
/// before; the failure follows.
const SUSPENDED: &str = "delivery temporarily suspended";

/// For mail Postfix did not try because it had suspended the next hop (`delivery temporarily
/// suspended: ...`): the earlier failure it names, which may be empty.
pub fn suspended_after(reason: &str) -> Option<&str> {
    suspended_in(&reason.to_ascii_lowercase(), reason)
}

/// [`suspended_after`] with `reason` already lowered (`lower`), as the classifier has it.
fn suspended_in<'a>(lower: &str, reason: &'a str) -> Option<&'a str> {
    let i = lower.find(SUSPENDED)?;
    Some(reason[i + SUSPENDED.len()..].trim_start_matches(':').trim())
}

/// The server a reason quotes and what it said: `host NAME[ADDR] said: REPLY` -> (`NAME[ADDR]`,
/// `REPLY`), as Postfix writes a remote server's reply; `None` for any other reason (a connection
/// that failed, Postfix's own words).
pub fn quoted_reply(reason: &str) -> Option<(&str, &str)> {
    reason.strip_prefix("host ")?.split_once(" said: ")
}

/// The first server a reply names as `name[address]`, with its `:port` when given
/// (`connect to 127.0.0.1[127.0.0.1]:2599: Connection refused`, `host
/// email-smtp.us-east-1.amazonaws.com[3.1.2.3] said: ...`).
pub fn server_named(text: &str) -> Option<&str> {
    text.split_whitespace().find_map(|word| {
        let word = word.trim_end_matches([':', ',', ';', ')']);
        let open = word.find('[')?;
        let close = word.rfind(']')?;
        let port = &word[close + 1..];
        let port_ok = port.is_empty()
            || port
                .strip_prefix(':')
                .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        (open > 0 && close > open + 1 && port_ok).then_some(word)
    })
}

/// Every cause but SES's not-verified one, from the reply text (any case) and the DSN. The order
/// matters: the first cause whose pattern the reply holds wins.
fn classify_reply(status: Status, dsn: &str, reason: &str, relay: &str) -> Category {
    let r = reason.to_ascii_lowercase();
    // Postfix's own words about a delivery on this host come first: a path, a user name or a
    // command's output may hold any of the words the later checks look for.
    let (own, _) = said(&r);
    if mentions(own, POSTFIX_SETUP) {
        return Category::PostfixSetup;
    }
    let mailbox = mentions(own, LOCAL_MAILBOX);
    if mailbox || mentions(own, DELIVERY_COMMAND) || command_exit_alone(own, relay) {
        // the DSN (from errno or the command's exit status) still names the common causes
        return match dsn {
            "5.1.1" => Category::RecipientUnknown,
            "5.2.2" | "4.2.2" => Category::MailboxFull,
            _ if mentions(own, &["file too large", "disk quota exceeded"]) => Category::MailboxFull,
            _ if mailbox => Category::LocalMailbox,
            _ => Category::DeliveryCommand,
        };
    }
    if local_service_failure(own) {
        return Category::LocalService;
    }
    if r.contains("daily message quota exceeded") {
        return Category::SesDailyQuota;
    }
    if mentions(&r, &["throttling failure", "maximum sending rate exceeded"]) {
        return Category::SesThrottling;
    }
    if let Some(why) = suspended_in(&r, reason) {
        // Postfix says why it suspended the destination: the failure that made it stop is the
        // cause (a wrong SES password, a refused connection), named like that failure itself
        return match classify_reply(status, dsn, why, relay) {
            Category::Other => Category::Suspended,
            c => c,
        };
    }
    if r.contains("535 authentication credentials invalid")
        || (r.contains("sasl authentication failed") && r.contains(" 535"))
    {
        // SES's own words, or its endpoint's name; any other relay's 535 is that relay's
        let ses = r.contains("authentication credentials invalid")
            || r.contains("amazonaws.com")
            || relay.to_ascii_lowercase().contains("amazonaws.com");
        return if ses {
            Category::SesCredentials
        } else {
            Category::RelayCredentials
        };
    }
    if r.contains("no mechanism available") {
        return Category::SaslNoMechanism;
    }
    if mentions(
        &r,
        &[
            "530 authentication required",
            "530 5.7.0 authentication required",
        ],
    ) {
        return Category::SesAuthRequired;
    }
    if r.contains("access denied")
        && mentions(&r, &["ses:sendrawemail", "not authorized to perform"])
    {
        return Category::SesAccessDenied;
    }
    if mentions(
        &r,
        &[
            "sending paused for this account",
            "sending suspended for this account",
            "sending paused for this configuration set",
        ],
    ) {
        return Category::SesSendingPaused;
    }
    // SES's word for its suppression list, not a DNS block list of this host's address
    if r.contains("554 address blacklisted") {
        return Category::SesSuppressed;
    }
    // SES's own words for a message it cannot parse (a generic `554 Transaction failed` says
    // nothing more, and stays unnamed)
    let unparsable = r.contains("transaction failed: ")
        && mentions(
            &r,
            &[
                "missing final '@domain'",
                "duplicate header",
                "empty address",
                "illegal address",
                "local address contains",
                "expected ",
            ],
        );
    // Gmail's for headers that break RFC 5322 (a missing or doubled From, Subject, Date, a
    // missing Message-ID), which goes on to mention spam the message is not judged to be, and
    // Microsoft 365's 5.7.512 for a From without an address
    let non_compliant = mentions(
        &r,
        &[
            "not rfc 5322 compliant",
            "missing a valid address in from",
            "missing a valid message-id",
            "must be rfc 5322 section 3.6.2 compliant",
        ],
    );
    if unparsable || non_compliant || r.contains("invalid rcpt to address") {
        return Category::MalformedMessage;
    }
    if dsn == "5.3.4"
        || mentions(
            &r,
            &[
                "message is too long",
                "message size exceeds",
                "exceeds size limit",
            ],
        )
    {
        return Category::MessageTooLong;
    }
    if mentions(
        &without_host_names(&r),
        &["tls", "certificate", "ssl routines"],
    ) {
        return Category::Tls;
    }
    if r.contains("relay access denied") {
        return Category::RelayDenied;
    }
    if matches!(dsn, "5.7.25" | "4.7.25")
        || mentions(
            &r,
            &[
                "cannot find your hostname",
                "cannot find your reverse hostname",
                "reverse dns",
                "ptr record",
            ],
        )
    {
        return Category::ReverseDns;
    }
    // Microsoft 365's (and Exchange's) delivery restrictions: a group or mailbox that takes mail
    // only from senders inside its organisation or on its list. Its "authentication required"
    // is the recipient's rule, not a login this host owes a relay.
    if matches!(dsn, "5.7.133" | "5.7.134" | "5.7.135" | "5.7.136")
        || mentions(
            &r,
            &[
                "resolver.rst.sendernotauthenticatedfor",
                "resolver.rst.authrequired",
                "resolver.rst.notauthorized",
                "delivery restriction check failed",
            ],
        )
    {
        return Category::RecipientRestricted;
    }
    // before the DNS and user checks: a sender whose domain the receiver cannot resolve is not a
    // DNS problem of this host. SPF, DKIM, DMARC and greylisting refuse a sender too, and are
    // named below.
    if (matches!(dsn, "5.1.7" | "5.1.8" | "4.1.7" | "4.1.8")
        || mentions(
            &r,
            &[
                "sender address rejected",
                "sender verify failed",
                "invalid mail from address",
            ],
        ))
        && !mentions(&r, GREYLISTED)
        && !fails_sender_authentication(dsn, &remote_words(&r))
    {
        return Category::SenderRejected;
    }
    if mentions(
        &r,
        &[
            "host or domain name not found",
            "unable to look up host",
            "name service error",
            "host not found",
            "domain not found",
        ],
    ) {
        return Category::Dns;
    }
    if dsn == "5.1.1"
        || mentions(
            &r,
            &[
                "user unknown",
                "unknown user",
                "no such user",
                "recipient address rejected: user unknown",
            ],
        )
        // Microsoft 365's directory-based edge blocking: no such recipient in that tenant
        || (dsn == "5.4.1" && r.contains("recipient address rejected: access denied"))
        // Gmail's and others' for an account closed or suspended: it takes no mail either
        || (dsn == "5.2.1" && mentions(&r, &["is disabled", "mailbox disabled"]))
        // in the words of receivers whose reply has no telling code: Microsoft 365's 5.1.10
        // (not RFC 7505's null MX, which Postfix names "nullMX"), Yahoo's and AOL's `554
        // delivery error: dd` replies, gateways that answer a bare 550
        || mentions(&r, RECIPIENT_UNKNOWN)
    {
        return Category::RecipientUnknown;
    }
    if matches!(dsn, "5.2.2" | "4.2.2")
        || mentions(&r, &["mailbox full", "over quota", "quota exceeded"])
    {
        return Category::MailboxFull;
    }
    if dsn == "5.4.6" || mentions(&r, &["loops back to myself", "mail forwarding loop"]) {
        // before the word checks: the looping domain or address may hold any word
        return Category::MailLoop;
    }
    if mentions(&r, GREYLISTED) {
        return Category::Greylisted;
    }
    if mentions(
        &r,
        &[
            "blocked using ",
            "block list",
            "blocklist",
            "blacklist",
            "spamhaus",
            "dnsbl",
            "spamcop",
            // Microsoft's own list (5.7.511, 5.7.606-649)
            "access denied, banned send",
            // Microsoft's 4.7.650 (S775): a deferral, but for this host's address's standing
            // there, and it lasts until that mends: not the receiver's passing "not now"
            "rate limited due to ip reputation",
            // Microsoft's 5.7.708, an address of poor reputation
            "traffic not accepted from this ip",
            // Cloudmark's, at providers that use it (Comcast, Cox, AT&T)
            "sending mta's poor reputation",
            // Gmail's for an address in a range that should not send directly (a dynamic or
            // residential range, as in Spamhaus's PBL): relaying through a provider is the fix
            "send mail is not authorized to",
            // Yahoo's and AOL's TSS09, a 421 that says it is for good: "All messages from
            // 203.0.113.5 will be permanently deferred; Retrying will NOT succeed"
            "will be permanently deferred",
        ],
    ) && !list_refused_the_receiver(&r)
    {
        return Category::Blocklisted;
    }
    let words = remote_words(&r);
    // a judgment of the mail from this host or domain as a whole, before SPF, DKIM and DMARC:
    // Gmail's 421 4.7.28 "unusual rate of unsolicited mail originating from your DKIM domain"
    // names the domain whose standing suffers, not one that failed a check
    if words.contains("unsolicited mail") && !fails_sender_authentication(dsn, "") {
        return Category::ContentRejected;
    }
    if fails_sender_authentication(dsn, &words) {
        return Category::SenderAuthentication;
    }
    if has_any_word(&words, &["spam", "virus", "malware", "phishing"])
        || mentions(&words, CONTENT_REJECTED)
    {
        return Category::ContentRejected;
    }
    if mentions(&r, CONNECTION) {
        return Category::Connection;
    }
    if status == Status::Expired {
        return Category::Expired;
    }
    if status == Status::Deferred && mentions(&r, &[" said: 4", " refused to talk to me: 4"]) {
        // any other temporary reply from the other side, to a command or as its greeting
        // (`host x[192.0.2.1] refused to talk to me: 421 ... too many connections`)
        return Category::RemoteTemporary;
    }
    Category::Other
}

/// How Postfix's local(8), virtual(8) and file deliveries begin a failure (lower case).
const LOCAL_MAILBOX: &[&str] = &[
    "cannot update mailbox ",
    "cannot access mailbox ",
    "cannot append message to file ",
    "maildir delivery failed",
    "create maildir file ",
    "delivery failed to mailbox ",
];

/// How Postfix says its own setup stopped a delivery (lower case): a transport with no running
/// service (the `error` agent's reply), an alias or other table it cannot open.
const POSTFIX_SETUP: &[&str] = &[
    "mail transport unavailable",
    "unknown mail transport error",
    "alias database unavailable",
    "mail system configuration error",
    "deferred transport",
];

/// How Postfix reports a failed delivery command (pipe(8), mailbox_command, `|command`), lower
/// case. A sysexits status without output (`temporary failure`) says nothing of a command by
/// itself: see [`command_exit_alone`].
const DELIVERY_COMMAND: &[&str] = &[
    "command died with status ",
    "command died with signal ",
    "command time limit exceeded",
    "command failed: ",
    ". command output: ",
];

/// Does a block list's reply (lower case) say that the list refused to answer the receiver
/// rather than list this host? Spamhaus answers a query through a public resolver, or over its
/// free limit, with an error code that a receiver which does not check it reads as a listing of
/// every sender (`blocked using zen.spamhaus.org; Error: open resolver;
/// https://check.spamhaus.org/returnc/pub/...`): nothing to delist here, the receiver must fix
/// its resolver.
fn list_refused_the_receiver(r: &str) -> bool {
    mentions(
        r,
        &[
            "/returnc/",
            "error: open resolver",
            "error: excessive number of queries",
        ],
    )
}

/// How a receiver says, besides the words spam, virus, malware and phishing, that it refused the
/// message for what it holds or for the mail it comes with (lower case): Gmail's "likely
/// unsolicited mail", "Message rejected due to content", amavis's "Reject, id=... - BANNED:" (a
/// file type it does not take) and "- INFECTED:", Yahoo's deferral for "user complaints".
const CONTENT_REJECTED: &[&str] = &[
    "unsolicited",
    "content rejected",
    "due to content",
    "because of its content",
    // Gmail's 552 5.7.0 for an attachment or link it judges a security risk
    "because its content",
    "content policy",
    "- banned",
    "- infected",
    // Yahoo's TSS04: "temporarily deferred due to unexpected volume or user complaints"
    "user complaints",
];

/// How receivers say, without a 5.1.1, that a recipient does not exist or takes no mail (lower
/// case).
const RECIPIENT_UNKNOWN: &[&str] = &[
    "recipientnotfound",
    "recipient not found",
    "mailbox not found",
    "no such recipient",
    "user does not exist",
    "recipient does not exist",
    "mailbox does not exist",
    // Yahoo's and AOL's: "This user doesn't have a yahoo.com account", "This mailbox is disabled"
    "user doesn't have a ",
    "this mailbox is disabled",
];

/// How a receiver says it greylists (lower case).
const GREYLISTED: &[&str] = &["greylist", "graylist", "grey-list", "gray-list"];

/// Does the receiver's reply (its words, lower case, addresses blanked: [`remote_words`]) say that
/// the sender's domain failed SPF, DKIM or DMARC?
fn fails_sender_authentication(dsn: &str, words: &str) -> bool {
    matches!(dsn, "5.7.23" | "5.7.26" | "5.7.27")
        || has_any_word(words, &["spf", "dkim", "dmarc"])
        || mentions(words, &["sender policy framework", "unauthenticated"])
}

/// How Postfix says that connecting to the other side, or talking to it, failed (lower case).
const CONNECTION: &[&str] = &[
    "connection refused",
    "connection timed out",
    "no route to host",
    "network is unreachable",
    "lost connection",
    "conversation with",
    "connection reset",
];

/// Do Postfix's own words (lower case) say that it could not reach, or lost, a service on this
/// host: on a UNIX-domain socket, or on a loopback address? The socket stands where a network
/// delivery has its IP address, as a path (`connect to name[private/dovecot-lmtp]: No such file
/// or directory`; an IP address never holds a `/`); a content filter on TCP is named by its
/// loopback address (`connect to 127.0.0.1[127.0.0.1]:10024: Connection refused`, `lost
/// connection with localhost[127.0.0.1] while receiving the initial server greeting`). Replies
/// the service gave (after `said:`) are not looked at: a service that answers names its cause.
fn local_service_failure(own: &str) -> bool {
    (own.contains("connect to ") || mentions(own, CONNECTION)) && local_address_in(own).is_some()
}

/// The first `[address]` in `text` that is on this host: a socket path or a loopback IP address
/// (127.0.0.0/8, ::1, as IPv4-mapped too), without its brackets.
fn local_address_in(text: &str) -> Option<&str> {
    text.split('[').skip(1).find_map(|rest| {
        let addr = rest.split(']').next()?;
        let loopback = || {
            addr.trim_start_matches("ipv6:")
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.to_canonical().is_loopback())
        };
        (addr.contains('/') || loopback()).then_some(addr)
    })
}

/// The service on this host that a [`Category::LocalService`] failure names, as a person writes
/// it: the socket's path (`private/dovecot-lmtp`), or the loopback address with its port
/// (`127.0.0.1:10024`, `[::1]:10024`). `None` when Postfix's words name no such service.
pub fn local_service_at(reason: &str) -> Option<String> {
    let (own, _) = said(reason);
    let addr = local_address_in(own)?;
    if addr.contains('/') {
        return Some(addr.to_string());
    }
    // the port follows the closing bracket: `127.0.0.1[127.0.0.1]:10024`
    let after = own
        .find(&format!("[{addr}]"))
        .map(|i| &own[i + addr.len() + 2..]);
    let port = after
        .and_then(|a| a.strip_prefix(':'))
        .map(|a| a.split(|c: char| !c.is_ascii_digit()).next().unwrap_or(""))
        .filter(|p| !p.is_empty());
    let host = if addr.contains(':') {
        format!("[{addr}]")
    } else {
        addr.to_string()
    };
    Some(match port {
        Some(p) => format!("{host}:{p}"),
        None => host,
    })
}

/// The text Postfix logs for each sysexits exit status (64-78) of a command that printed nothing,
/// lower case (Postfix's `sys_exits` table).
const SYSEXITS: &[&str] = &[
    "command line usage error",
    "data format error",
    "cannot open input",
    "user unknown",
    "host name unknown",
    "service unavailable",
    "internal software error",
    "system resource problem",
    "critical os file missing",
    "can't create user output file",
    "input/output error",
    "temporary failure",
    "remote error in protocol",
    "permission denied",
    "local configuration error",
];

/// Is the whole of Postfix's text (lower case) the text of a sysexits status, from a delivery on
/// this host? A pipe(8) transport logs its own name as the relay (`relay=dovecot`) and local(8)
/// logs `relay=local`: a word with no `[address]`. Network deliveries name `host[address]`, and
/// `relay=none` (the error(8) transport, whose text is anything the map says) is not a command.
fn command_exit_alone(own: &str, relay: &str) -> bool {
    let on_this_host = !relay.is_empty() && relay != "none" && !relay.contains('[');
    on_this_host && SYSEXITS.contains(&own.trim())
}

/// Does `text` hold any of `needles`?
fn mentions(text: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| text.contains(n))
}

/// Does `text` hold any of `words` as a whole word ([`has_word`])?
fn has_any_word(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| has_word(text, w))
}

/// The text with every host name blanked, so that a name like `mx.tlsmail.example` or
/// `sasl.example.org` does not make a failure or a warning look like a TLS or SASL one. A host
/// name is a word (letters, digits, `.`, `-`, `_`) with a dot in it that ends in a letter:
/// `name` in Postfix's `name[address]`, a bare `hostname mx.example.com`, the domain of an
/// address. Addresses (`192.0.2.1`), versions (`TLSv1.3`) and paths (`/etc/ssl/tls.pem`) stay.
pub(crate) fn without_host_names(r: &str) -> std::borrow::Cow<'_, str> {
    let b = r.as_bytes();
    let in_word = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b'/');
    let mut out: Option<String> = None;
    let (mut kept_to, mut i) = (0, 0);
    while i < b.len() {
        if !in_word(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && in_word(b[i]) {
            i += 1;
        }
        let w = &b[start..i];
        let host = w.contains(&b'.')
            && !w.contains(&b'/')
            && w[0].is_ascii_alphanumeric()
            && w[w.len() - 1].is_ascii_alphabetic();
        if host {
            // word bounds are ASCII bytes, so these are char boundaries
            let o = out.get_or_insert_with(|| String::with_capacity(r.len()));
            o.push_str(&r[kept_to..start]);
            kept_to = i;
        }
    }
    match out {
        None => std::borrow::Cow::Borrowed(r),
        Some(mut o) => {
            o.push_str(&r[kept_to..]);
            std::borrow::Cow::Owned(o)
        }
    }
}

/// The receiving side's own words: what follows `said: ` (the whole text when Postfix wrote it),
/// with every `<address>` blanked, so that a host name or an address (`spam@`, `dkim.example.com`)
/// is not read as what the reply says.
fn remote_words(r: &str) -> String {
    let (_, mut rest) = said(r);
    let mut out = String::with_capacity(rest.len());
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        match rest[open..].find('>') {
            Some(close) => {
                out.push_str("<>");
                rest = &rest[open + close + 1..];
            }
            None => {
                // unterminated: keep it as it is
                rest = &rest[open..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The reply cut at the first `said: `: Postfix's own words before it, the other side's after it.
/// Without `said: `, Postfix wrote all of it, and both are the whole text.
fn said(r: &str) -> (&str, &str) {
    const SAID: &str = " said: ";
    r.find(SAID)
        .map_or((r, r), |i| (&r[..i], &r[i + SAID.len()..]))
}

/// Is `word` in `text` with no letter or digit right before or after it (`spf`, not `spfilter`)?
fn has_word(text: &str, word: &str) -> bool {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find(word) {
        let at = from + i;
        let end = at + word.len();
        let before = at == 0 || !b[at - 1].is_ascii_alphanumeric();
        let after = end == b.len() || !b[end].is_ascii_alphanumeric();
        if before && after {
            return true;
        }
        from = at + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    /// The earlier failure of a suspended next hop, and the server it names.
    #[test]
    fn a_suspension_names_the_earlier_failure_and_its_server() {
        use super::{server_named, suspended_after};
        let r = "delivery temporarily suspended: connect to 127.0.0.1[127.0.0.1]:2599: \
                 Connection refused";
        let earlier = suspended_after(r).unwrap();
        assert_eq!(
            earlier,
            "connect to 127.0.0.1[127.0.0.1]:2599: Connection refused"
        );
        assert_eq!(server_named(earlier), Some("127.0.0.1[127.0.0.1]:2599"));
        let sasl = "delivery temporarily suspended: SASL authentication failed; server \
                    email-smtp.us-east-1.amazonaws.com[3.1.2.3] said: 535 Authentication \
                    Credentials Invalid";
        assert_eq!(
            suspended_after(sasl).and_then(server_named),
            Some("email-smtp.us-east-1.amazonaws.com[3.1.2.3]")
        );
        assert_eq!(
            suspended_after("Delivery temporarily suspended: unknown trouble"),
            Some("unknown trouble")
        );
        assert_eq!(server_named("unknown trouble"), None);
        // brackets alone, or a port that is not one, name no server
        assert_eq!(server_named("see [RFC 5321] and x[1.2.3.4]:smtp"), None);
        assert_eq!(
            suspended_after("connect to x[1.2.3.4]:25: Connection refused"),
            None
        );
    }

    use super::*;

    #[test]
    fn a_service_on_this_host_is_named_by_its_address() {
        for (reason, want) in [
            (
                "connect to 127.0.0.1[127.0.0.1]:10024: Connection refused",
                Some("127.0.0.1:10024"),
            ),
            (
                "delivery temporarily suspended: connect to localhost[127.0.0.1]:10024: \
                 Connection refused",
                Some("127.0.0.1:10024"),
            ),
            (
                "connect to ::1[::1]:10024: Connection refused",
                Some("[::1]:10024"),
            ),
            (
                "lost connection with 127.0.0.1[127.0.0.1] while receiving the initial server \
                 greeting",
                Some("127.0.0.1"),
            ),
            (
                "connect to mx.example.com[private/dovecot-lmtp]: No such file or directory",
                Some("private/dovecot-lmtp"),
            ),
            (
                "connect to mx.example.org[192.0.2.7]:25: Connection refused",
                None,
            ),
            (
                "host mx.example.org[192.0.2.7] said: 450 4.7.1 no [127.0.0.1] here",
                None,
            ),
        ] {
            assert_eq!(local_service_at(reason).as_deref(), want, "{reason}");
        }
    }

    #[test]
    fn table_of_real_replies() {
        let cases: &[(Status, &str, &str, &str, Category)] = &[
            (
                Status::Bounced,
                "5.0.0",
                "host 127.0.0.1[127.0.0.1] said: 554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: root@localhost (in reply to end of DATA command)",
                "someone@example.com",
                Category::SesSenderNotVerified,
            ),
            (
                Status::Bounced,
                "5.0.0",
                "host email-smtp.eu-west-1.amazonaws.com[3.3.3.3] said: 554 Message rejected: Email address is not verified. The following identities failed the check in region EU-WEST-1: friend@gmail.com (in reply to end of DATA command)",
                "friend@gmail.com",
                Category::SesRecipientNotVerified,
            ),
            (
                Status::Deferred,
                "4.0.0",
                "host 127.0.0.1[127.0.0.1] said: 454 Throttling failure: Maximum sending rate exceeded. (in reply to end of DATA command)",
                "x@example.com",
                Category::SesThrottling,
            ),
            (
                Status::Deferred,
                "4.0.0",
                "host 127.0.0.1[127.0.0.1] said: 454 Throttling failure: Daily message quota exceeded. (in reply to end of DATA command)",
                "x@example.com",
                Category::SesDailyQuota,
            ),
            (
                Status::Deferred,
                "4.7.8",
                "SASL authentication failed; server 127.0.0.1[127.0.0.1] said: 535 Authentication Credentials Invalid",
                "x@example.com",
                Category::SesCredentials,
            ),
            (
                // another provider's relay (a sender map may route some senders there)
                Status::Deferred,
                "4.7.0",
                "SASL authentication failed; server smtp.office365.com[52.98.1.1] said: 535 5.7.139 Authentication unsuccessful, the user credentials were incorrect.",
                "x@example.com",
                Category::RelayCredentials,
            ),
            (
                // a Postfix relay with Dovecot SASL
                Status::Deferred,
                "4.7.0",
                "SASL authentication failed; server mail.isp.example[192.0.2.5] said: 535 5.7.8 Error: authentication failed: authentication failure",
                "x@example.com",
                Category::RelayCredentials,
            ),
            (
                Status::Bounced,
                "5.0.0",
                "host 127.0.0.1[127.0.0.1] said: 530 Authentication required (in reply to MAIL FROM command)",
                "x@example.com",
                Category::SesAuthRequired,
            ),
            (
                Status::Bounced,
                "5.0.0",
                "host email-smtp.us-east-1.amazonaws.com[1.2.3.4] said: 554 Access denied: User `arn:aws:iam::123456789012:user/ses-smtp' is not authorized to perform `ses:SendRawEmail' on resource `arn:aws:ses:us-east-1:123456789012:identity/example.com' (in reply to end of DATA command)",
                "x@example.com",
                Category::SesAccessDenied,
            ),
            (
                Status::Bounced,
                "5.3.4",
                "host email-smtp.us-east-1.amazonaws.com[1.2.3.4] said: 552 Message is too long. (in reply to end of DATA command)",
                "x@example.com",
                Category::MessageTooLong,
            ),
            (
                Status::Deferred,
                "4.7.0",
                "SASL authentication failed; cannot authenticate to server 127.0.0.1[127.0.0.1]: no mechanism available",
                "x@example.com",
                Category::SaslNoMechanism,
            ),
            (
                Status::Deferred,
                "4.7.5",
                "Cannot start TLS: handshake failure",
                "x@example.com",
                Category::Tls,
            ),
            (
                Status::Deferred,
                "4.4.1",
                "connect to smtp.example.net[192.0.2.25]:587: Connection refused",
                "x@example.com",
                Category::Connection,
            ),
            (
                Status::Deferred,
                "4.4.1",
                "connect to email-smtp.us-east-1.amazonaws.com[1.2.3.4]:587: Connection timed out",
                "x@example.com",
                Category::Connection,
            ),
            (
                Status::Deferred,
                "4.4.1",
                "delivery temporarily suspended: connect to smtp.example.net[192.0.2.25]:587: Connection refused",
                "x@example.com",
                Category::Connection,
            ),
            // as Postfix 3.7 logs mail it did not try after SES refused the password
            (
                Status::Deferred,
                "4.0.0",
                "delivery temporarily suspended: SASL authentication failed; server 127.0.0.1[127.0.0.1] said: 535 Authentication Credentials Invalid",
                "x@example.com",
                Category::SesCredentials,
            ),
            // a suspension whose reason names nothing known
            (
                Status::Deferred,
                "4.4.1",
                "delivery temporarily suspended: unknown trouble",
                "x@example.com",
                Category::Suspended,
            ),
            (
                Status::Deferred,
                "4.4.3",
                "Host or domain name not found. Name service error for name=smtp.invalid type=A: Host not found, try again",
                "x@example.com",
                Category::Dns,
            ),
            (
                Status::Bounced,
                "5.1.1",
                "host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <bounce@example.com>: Recipient address rejected: User unknown (in reply to RCPT TO command)",
                "bounce@example.com",
                Category::RecipientUnknown,
            ),
            (
                Status::Bounced,
                "5.2.2",
                "host mx.example.net[5.5.5.5] said: 552 5.2.2 Mailbox full (in reply to RCPT TO command)",
                "x@example.net",
                Category::MailboxFull,
            ),
            (
                Status::Bounced,
                "5.7.1",
                "host mx.example.net[5.5.5.5] said: 554 5.7.1 <x@example.net>: Relay access denied (in reply to RCPT TO command)",
                "x@example.net",
                Category::RelayDenied,
            ),
            (
                Status::Expired,
                "4.4.1",
                "",
                "x@example.com",
                Category::Expired,
            ),
            (
                Status::Deferred,
                "4.3.0",
                "host 127.0.0.1[127.0.0.1] said: 451 4.3.0 <defer@example.com>: Temporary lookup failure (in reply to RCPT TO command)",
                "defer@example.com",
                Category::RemoteTemporary,
            ),
            (
                Status::Deferred,
                "4.4.2",
                "host 127.0.0.1[127.0.0.1] said: 421 4.4.2 Timeout waiting for data from client. (in reply to RCPT TO command)",
                "b@example.com",
                Category::RemoteTemporary,
            ),
            (
                // a host name that merely contains a word is not the word
                Status::Deferred,
                "4.3.0",
                "host antispam.example.org[192.0.2.7] said: 451 4.3.0 Temporary lookup failure (in reply to RCPT TO command)",
                "ann@example.org",
                Category::RemoteTemporary,
            ),
            (
                Status::Deferred,
                "4.2.0",
                "host mx.example.org[192.0.2.7] said: 450 4.2.0 <ann@example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html (in reply to RCPT TO command)",
                "ann@example.org",
                Category::Greylisted,
            ),
            (
                Status::Bounced,
                "5.7.1",
                "host mx.example.org[192.0.2.7] said: 554 5.7.1 Service unavailable; Client host [198.51.100.4] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/198.51.100.4 (in reply to RCPT TO command)",
                "ann@example.org",
                Category::Blocklisted,
            ),
            (
                Status::Bounced,
                "5.7.1",
                "host example-org.mail.protection.outlook.com[192.0.2.9] said: 550 5.7.1 Unfortunately, messages from [198.51.100.4] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). (in reply to MAIL FROM command)",
                "ann@example.org",
                Category::Blocklisted,
            ),
            (
                // Microsoft's own list of banned addresses
                Status::Bounced,
                "5.7.606",
                "host example-org.mail.protection.outlook.com[52.101.68.4] said: 550 5.7.606 Access denied, banned sending IP [198.51.100.4]. To request removal from this list please visit https://sender.office.com/ and follow the directions. For more information please go to http://go.microsoft.com/fwlink/?LinkID=526655 AS(1430) [AM4PEPF00027A5F.eurprd04.prod.outlook.com] (in reply to MAIL FROM command)",
                "ann@example.org",
                Category::Blocklisted,
            ),
            (
                Status::Bounced,
                "5.7.511",
                "host example-org.mail.protection.outlook.com[52.101.68.4] said: 550 5.7.511 Access denied, banned sender[198.51.100.4]. To request removal from this list, forward this message to delist@microsoft.com. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653. (in reply to MAIL FROM command)",
                "ann@example.org",
                Category::Blocklisted,
            ),
            (
                // Microsoft's throttle for a sending address of poor reputation: a deferral,
                // but for this host's address, like the lists above
                Status::Deferred,
                "4.7.650",
                "host outlook-com.olc.protection.outlook.com[52.101.11.0] said: 451 4.7.650 The mail server [198.51.100.4] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S775) [Name=Protocol Filter Agent][AGT=PFA][MxId=11BB4A3F8A2C1F7E] [BN1NAM02FT045.eop-nam02.prod.protection.outlook.com 2026-12-01T10:12:33.123Z 08DD39A1B2C3D4E5] (in reply to MAIL FROM command)",
                "ann@hotmail.com",
                Category::Blocklisted,
            ),
            (
                // the receiver queries Spamhaus through a public resolver: Spamhaus refuses to
                // answer it, and the receiver reads the refusal as a listing of everyone
                Status::Deferred,
                "4.7.1",
                "host mx.example.org[192.0.2.7] said: 450 4.7.1 Service unavailable; Client host [198.51.100.4] blocked using zen.spamhaus.org; Error: open resolver; https://check.spamhaus.org/returnc/pub/203.0.113.53/ (in reply to RCPT TO command)",
                "ann@example.org",
                Category::RemoteTemporary,
            ),
            (
                Status::Bounced,
                "5.7.1",
                "host mx.example.org[192.0.2.7] said: 554 5.7.1 Service unavailable; Client host [198.51.100.4] blocked using zen.spamhaus.org; Error: open resolver; https://check.spamhaus.org/returnc/pub/203.0.113.53/ (in reply to RCPT TO command)",
                "ann@example.org",
                Category::Other,
            ),
            (
                Status::Deferred,
                "4.7.27",
                "host gmail-smtp-in.l.google.com[142.250.102.27] said: 421-4.7.27 Your email has been rate limited because SPF authentication didn't pass for this 421-4.7.27 message. Gmail requires all bulk email senders to authenticate 421-4.7.27 with SPF. (in reply to end of DATA command)",
                "friend@gmail.com",
                Category::SenderAuthentication,
            ),
            (
                Status::Bounced,
                "5.7.26",
                "host gmail-smtp-in.l.google.com[192.0.2.27] said: 550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy. (in reply to end of DATA command)",
                "friend@gmail.com",
                Category::SenderAuthentication,
            ),
            (
                Status::Bounced,
                "5.7.23",
                "host example-org.mail.protection.outlook.com[192.0.2.9] said: 550 5.7.23 The message was rejected because of Sender Policy Framework violation (in reply to end of DATA command)",
                "ann@example.org",
                Category::SenderAuthentication,
            ),
            (
                Status::Bounced,
                "5.7.1",
                "host mx.example.org[192.0.2.7] said: 550 5.7.1 Message rejected as spam by content filtering (in reply to end of DATA command)",
                "ann@example.org",
                Category::ContentRejected,
            ),
            (
                Status::Bounced,
                "5.4.6",
                "mail for example.com loops back to myself",
                "webmaster@example.com",
                Category::MailLoop,
            ),
            (
                Status::Bounced,
                "5.4.6",
                "mail forwarding loop for root@mx1.example.com",
                "root@mx1.example.com",
                Category::MailLoop,
            ),
            (
                // a host name that holds "tls" does not make a failure a TLS one
                Status::Bounced,
                "5.1.1",
                "host mx.tlsmail.example[192.0.2.8] said: 550 5.1.1 <ann@example.org>: Recipient address rejected: User unknown (in reply to RCPT TO command)",
                "ann@example.org",
                Category::RecipientUnknown,
            ),
            (
                Status::Deferred,
                "4.7.5",
                "Cannot start TLS: handshake failure",
                "ann@example.org",
                Category::Tls,
            ),
            (
                Status::Deferred,
                "4.7.5",
                "Server certificate not verified",
                "ann@example.org",
                Category::Tls,
            ),
            (
                // the words of an address or a host name are not the reply's
                Status::Deferred,
                "4.3.0",
                "host spam.example.org[192.0.2.7] said: 451 4.3.0 <dkim@example.org>: Temporary lookup failure (in reply to RCPT TO command)",
                "dkim@example.org",
                Category::RemoteTemporary,
            ),
            (
                Status::Bounced,
                "5.4.6",
                "mail forwarding loop for spam@example.com",
                "spam@example.com",
                Category::MailLoop,
            ),
            (
                // local(8), mbox: the user name holds "tls", the error is the cause
                Status::Deferred,
                "4.2.0",
                "cannot update mailbox /var/mail/tlsadmin for user tlsadmin. cannot open file: Permission denied",
                "tlsadmin@mx1.example.com",
                Category::LocalMailbox,
            ),
            (
                Status::Bounced,
                "5.2.0",
                "cannot update mailbox /home/ann/mbox for user ann. unable to create lock file /home/ann/mbox.lock: No such file or directory",
                "ann@mx1.example.com",
                Category::LocalMailbox,
            ),
            (
                // mailbox_size_limit reached: errno EFBIG, DSN 5.2.2
                Status::Bounced,
                "5.2.2",
                "cannot update mailbox /var/mail/root for user root. error writing message: File too large",
                "root@mx1.example.com",
                Category::MailboxFull,
            ),
            (
                Status::Deferred,
                "4.2.0",
                "maildir delivery failed: create maildir file /home/ann/Maildir/tmp/1764850000.P123.mx1: Permission denied",
                "ann@mx1.example.com",
                Category::LocalMailbox,
            ),
            (
                // virtual(8)
                Status::Deferred,
                "4.2.0",
                "delivery failed to mailbox /srv/vmail/example.com/ann/: create maildir file /srv/vmail/example.com/ann/tmp/1764850000.P7.mx1: Permission denied",
                "ann@example.com",
                Category::LocalMailbox,
            ),
            (
                Status::Bounced,
                "5.2.0",
                "cannot append message to file /var/log/archive.mbox: Permission denied",
                "archive@mx1.example.com",
                Category::LocalMailbox,
            ),
            (
                // pipe(8), an exit status that is not a sysexits code; the output mentions spam
                Status::Bounced,
                "5.3.0",
                "Command died with status 1: \"/usr/local/bin/spam-filter\". Command output: connection refused by the spam daemon",
                "ann@example.com",
                Category::DeliveryCommand,
            ),
            (
                // a sysexits code with output: EX_TEMPFAIL
                Status::Deferred,
                "4.3.0",
                "temporary failure. Command output: database is locked",
                "ann@example.com",
                Category::DeliveryCommand,
            ),
            (
                Status::Bounced,
                "5.3.0",
                "Command time limit exceeded: \"/usr/bin/procmail\"",
                "ann@example.com",
                Category::DeliveryCommand,
            ),
            (
                // a command that says the user does not exist (EX_NOUSER)
                Status::Bounced,
                "5.1.1",
                "user unknown. Command output: dovecot-lda: No such user: bob",
                "bob@example.com",
                Category::RecipientUnknown,
            ),
            (
                // a transport whose service is not there (private/amavis refused)
                Status::Deferred,
                "4.3.0",
                "mail transport unavailable",
                "ann@example.com",
                Category::PostfixSetup,
            ),
            (
                // smtp_host_lookup = native: the system resolver's words
                Status::Deferred,
                "4.3.5",
                "unable to look up host email-smtp.eu-west-1.amazonaws.com: Name or service not known",
                "ann@example.com",
                Category::Dns,
            ),
            (
                // defer_transports = smtp
                Status::Deferred,
                "4.3.2",
                "deferred transport",
                "ann@example.com",
                Category::PostfixSetup,
            ),
            (
                // /etc/aliases.db never built
                Status::Deferred,
                "4.3.0",
                "alias database unavailable",
                "root@web01.example.com",
                Category::PostfixSetup,
            ),
            (
                // a remote reply with the same words is not a local delivery
                Status::Bounced,
                "5.0.0",
                "host mx.example.org[192.0.2.7] said: 550 cannot update mailbox (in reply to end of DATA command)",
                "ann@example.org",
                Category::Other,
            ),
            (
                Status::Deferred,
                "4.4.1",
                "connect to mx.example.com[private/dovecot-lmtp]: No such file or directory",
                "ann@example.org",
                Category::LocalService,
            ),
            (
                Status::Deferred,
                "4.4.1",
                "connect to mx.example.com[private/dovecot-lmtp]: Connection refused",
                "ann@example.org",
                Category::LocalService,
            ),
            (
                Status::Deferred,
                "4.4.2",
                "lost connection with mx.example.com[/var/run/cyrus/socket/lmtp] while sending end of data -- message may be sent more than once",
                "ann@example.org",
                Category::LocalService,
            ),
            (
                // a service that answers is heard: its own reply names the cause
                Status::Deferred,
                "4.2.2",
                "host mx.example.com[private/dovecot-lmtp] said: 452 4.2.2 <ann@example.org> Mailbox is full / Blocks limit exceeded (in reply to end of DATA command)",
                "ann@example.org",
                Category::MailboxFull,
            ),
            (
                // content_filter = smtp:[127.0.0.1]:10024 with amavis stopped: a service on
                // this host, not a remote one
                Status::Deferred,
                "4.4.1",
                "connect to 127.0.0.1[127.0.0.1]:10024: Connection refused",
                "ann@example.org",
                Category::LocalService,
            ),
            (
                Status::Deferred,
                "4.4.1",
                "delivery temporarily suspended: connect to 127.0.0.1[127.0.0.1]:10024: Connection refused",
                "ann@example.org",
                Category::LocalService,
            ),
            (
                // lmtp:inet:localhost:10024, the filter hung
                Status::Deferred,
                "4.4.2",
                "conversation with localhost[127.0.0.1] timed out while receiving the initial server greeting",
                "ann@example.org",
                Category::LocalService,
            ),
            (
                Status::Deferred,
                "4.4.2",
                "lost connection with 127.0.0.1[127.0.0.1] while sending end of data -- message may be sent more than once",
                "ann@example.org",
                Category::LocalService,
            ),
            (
                Status::Deferred,
                "4.4.1",
                "connect to ::1[::1]:10024: Connection refused",
                "ann@example.org",
                Category::LocalService,
            ),
            (
                // rspamd's proxy on another loopback address
                Status::Deferred,
                "4.4.1",
                "connect to 127.0.0.2[127.0.0.2]:11332: Connection timed out",
                "ann@example.org",
                Category::LocalService,
            ),
            (
                // the filter answered: its own words name the cause
                Status::Deferred,
                "4.3.2",
                "host 127.0.0.1[127.0.0.1] said: 421 4.3.2 Service shutting down, closing channel (in reply to end of DATA command)",
                "ann@example.org",
                Category::RemoteTemporary,
            ),
            (
                // an address that only starts like a loopback one
                Status::Deferred,
                "4.4.1",
                "connect to mx.example.org[192.0.2.127]:25: Connection refused",
                "ann@example.org",
                Category::Connection,
            ),
            (
                Status::Deferred,
                "4.1.8",
                "host mx.example.org[192.0.2.7] said: 450 4.1.8 <www-data@vm.internal>: Sender address rejected: Domain not found (in reply to RCPT TO command)",
                "ann@example.org",
                Category::SenderRejected,
            ),
            (
                Status::Deferred,
                "4.1.7",
                "host mx.example.org[192.0.2.7] said: 450 4.1.7 <app@example.com>: Sender address rejected: unverified address: host mx.example.com[192.0.2.9] said: 550 5.1.1 <app@example.com>: Recipient address rejected: User unknown (in reply to RCPT TO command)",
                "ann@example.org",
                Category::SenderRejected,
            ),
            (
                Status::Deferred,
                "4.7.25",
                "host mx.example.org[192.0.2.7] said: 450 4.7.25 Client host rejected: cannot find your hostname, [198.51.100.4] (in reply to RCPT TO command)",
                "ann@example.org",
                Category::ReverseDns,
            ),
            (
                Status::Deferred,
                "4.7.1",
                "host mx.example.org[192.0.2.7] said: 450 4.7.1 Client host rejected: cannot find your reverse hostname, [198.51.100.4] (in reply to RCPT TO command)",
                "ann@example.org",
                Category::ReverseDns,
            ),
            (
                Status::Bounced,
                "5.7.25",
                "host gmail-smtp-in.l.google.com[142.250.27.26] said: 550-5.7.25 [198.51.100.4] The IP address sending this message does not have a 550-5.7.25 PTR record setup, or the corresponding forward DNS entry does not 550 5.7.25 point to the sending IP. (in reply to end of DATA command)",
                "ann@gmail.com",
                Category::ReverseDns,
            ),
            (
                Status::Bounced,
                "5.0.0",
                "host email-smtp.us-east-1.amazonaws.com[107.20.142.169] said: 554 Transaction failed: Duplicate header 'MIME-Version'. (in reply to end of DATA command)",
                "ann@example.org",
                Category::MalformedMessage,
            ),
            (
                Status::Bounced,
                "5.0.0",
                "host email-smtp.us-east-1.amazonaws.com[107.20.142.169] said: 554 Transaction failed: Missing final '@domain' (in reply to end of DATA command)",
                "ann@example.org",
                Category::MalformedMessage,
            ),
            (
                Status::Bounced,
                "5.0.0",
                "host email-smtp.eu-west-1.amazonaws.com[3.3.3.3] said: 554 Transaction failed: Expected disposition, got =. (in reply to end of DATA command)",
                "ann@example.org",
                Category::MalformedMessage,
            ),
            (
                Status::Bounced,
                "5.0.0",
                "host email-smtp.us-east-1.amazonaws.com[54.0.0.10] said: 554 Sending paused for this account. For more information, please check the inbox of the email address associated with your AWS account. (in reply to end of DATA command)",
                "ann@example.org",
                Category::SesSendingPaused,
            ),
            (
                Status::Bounced,
                "5.0.0",
                "host email-smtp.eu-west-1.amazonaws.com[3.3.3.3] said: 554 Sending suspended for this account. For more information, please check the inbox of the email address associated with your AWS account. (in reply to end of DATA command)",
                "ann@example.org",
                Category::SesSendingPaused,
            ),
            (
                Status::Bounced,
                "5.0.0",
                "host email-smtp.us-east-1.amazonaws.com[54.0.0.10] said: 554 Sending paused for this configuration set. (in reply to end of DATA command)",
                "ann@example.org",
                Category::SesSendingPaused,
            ),
            (
                // SES's suppression list, not a DNS block list
                Status::Bounced,
                "5.0.0",
                "host email-smtp.us-east-1.amazonaws.com[54.0.0.10] said: 554 Address blacklisted. (in reply to end of DATA command)",
                "gone@example.org",
                Category::SesSuppressed,
            ),
            (
                // a block list that names this host's address stays one
                Status::Bounced,
                "5.7.1",
                "host mx.example.org[192.0.2.7] said: 554 5.7.1 Service unavailable; Client host [198.51.100.4] blocked using zen.spamhaus.org; address blacklisted (in reply to RCPT TO command)",
                "ann@example.org",
                Category::Blocklisted,
            ),
            (
                // a bare 554 says nothing more
                Status::Bounced,
                "5.0.0",
                "host mx.example.org[192.0.2.7] said: 554 Transaction failed (in reply to end of DATA command)",
                "ann@example.org",
                Category::Other,
            ),
            (
                // SES, for a MAIL FROM it cannot read
                Status::Bounced,
                "5.0.0",
                "host email-smtp.us-east-1.amazonaws.com[54.0.0.10] said: 501 Invalid MAIL FROM address provided (in reply to MAIL FROM command)",
                "ann@example.org",
                Category::SenderRejected,
            ),
            (
                // refused for SPF: the sender's authentication, not its address
                Status::Bounced,
                "5.7.1",
                "host mx.example.org[192.0.2.7] said: 550 5.7.1 <app@example.com>: Sender address rejected: SPF check failed (in reply to RCPT TO command)",
                "ann@example.org",
                Category::SenderAuthentication,
            ),
            (
                Status::Deferred,
                "4.7.1",
                "host mx.example.org[192.0.2.7] said: 450 4.7.1 <app@example.com>: Sender address rejected: Greylisted, try again later (in reply to RCPT TO command)",
                "ann@example.org",
                Category::Greylisted,
            ),
            (
                // a permanent refusal without a known pattern stays "other": the reply says why
                Status::Bounced,
                "5.7.0",
                "host mx.example.org[192.0.2.7] said: 550 5.7.0 Local policy violation (in reply to RCPT TO command)",
                "ann@example.org",
                Category::Other,
            ),
        ];
        for (status, dsn, reason, rcpt, want) in cases {
            // relay unknown: these replies name their cause themselves
            assert_eq!(classify(*status, dsn, reason, rcpt, ""), *want, "{reason}");
        }
        // the same causes when remembered: every reply twice, all through one memo
        let mut memo = ReplyCauses::default();
        for _ in 0..2 {
            for (status, dsn, reason, rcpt, want) in cases {
                let (c, _) = memo.classify_with_ses(*status, dsn, reason, rcpt, "");
                assert_eq!(c, *want, "{reason}");
            }
        }
    }

    /// A remembered cause is the cause of that reply from that relay with that DSN: the same
    /// words from SES's endpoint and from another relay, or with another DSN, keep their own
    /// causes; the memo stays within its bound.
    #[test]
    fn remembered_causes_keep_their_relay_and_dsn_and_stay_bounded() {
        let mut memo = ReplyCauses::default();
        let refused = "SASL authentication failed; server mx.example.net[192.0.2.1] said: 535 \
                       5.7.8 Error: authentication failed";
        let ses = "email-smtp.us-east-1.amazonaws.com[3.3.3.3]:587";
        let other = "mx.example.net[192.0.2.1]:587";
        let full = "delivery via local: cannot update mailbox /var/mail/ann for user ann. error \
                    writing message: File too large";
        let cases = [
            (
                Status::Deferred,
                "4.7.8",
                refused,
                ses,
                Category::SesCredentials,
            ),
            (
                Status::Deferred,
                "4.7.8",
                refused,
                other,
                Category::RelayCredentials,
            ),
            (
                Status::Deferred,
                "4.7.8",
                refused,
                ses,
                Category::SesCredentials,
            ),
            (
                Status::Bounced,
                "5.2.2",
                full,
                "local",
                Category::MailboxFull,
            ),
            (
                Status::Bounced,
                "5.1.1",
                full,
                "local",
                Category::RecipientUnknown,
            ),
        ];
        for (status, dsn, reason, relay, want) in cases {
            assert_eq!(classify(status, dsn, reason, "a@b.example", relay), want);
            let (c, _) = memo.classify_with_ses(status, dsn, reason, "a@b.example", relay);
            assert_eq!(c, want, "{dsn} {relay} {reason}");
        }
        for i in 0..ReplyCauses::CAP + 10 {
            let reason =
                format!("connect to mx{i}.example.net[192.0.2.1]:25: Connection timed out");
            memo.classify_with_ses(Status::Deferred, "4.4.1", &reason, "a@b.example", "");
            assert!(memo.known.len() <= ReplyCauses::CAP);
        }
    }

    /// A receiver that refuses at its greeting says so as "refused to talk to me": a 4xx there is
    /// its temporary reply like any other, and Cloudmark's poor reputation is this host's
    /// address's standing.
    #[test]
    fn a_refusal_at_the_greeting_is_named_like_a_reply() {
        let cases = [
            (
                Status::Deferred,
                "4.7.0",
                "host mx.example.com[198.51.100.3] refused to talk to me: 421 4.7.0 mx.example.com Error: too many connections from 203.0.113.5",
                Category::RemoteTemporary,
            ),
            (
                Status::Deferred,
                "4.0.0",
                "host mx.example.com[198.51.100.3] refused to talk to me: 421 Service not available, closing transmission channel",
                Category::RemoteTemporary,
            ),
            (
                Status::Bounced,
                "5.0.0",
                "host mx.example.com[198.51.100.3] refused to talk to me: 554 5.7.1 Your access to this mail system has been rejected due to the sending MTA's poor reputation. If you believe that this failure is in error, please contact the intended recipient via alternate means.",
                Category::Blocklisted,
            ),
        ];
        for (status, dsn, reason, want) in cases {
            assert_eq!(
                classify(status, dsn, reason, "ann@example.org", ""),
                want,
                "{reason}"
            );
        }
    }

    /// Receivers that say a recipient does not exist, or takes no mail, in words of their own.
    #[test]
    fn recipients_that_do_not_exist_in_other_words_are_unknown() {
        for (dsn, reason) in [
            (
                "5.4.1",
                "host example-org.mail.protection.outlook.com[52.101.68.4] said: 550 5.4.1 Recipient address rejected: Access denied. For more information see https://aka.ms/EXOSmtpErrors [AM4PEPF00027A5F.eurprd04.prod.outlook.com] (in reply to RCPT TO command)",
            ),
            (
                "5.2.1",
                "host gmail-smtp-in.l.google.com[142.250.1.1] said: 550-5.2.1 The email account that you tried to reach is disabled. Learn more at 550 5.2.1  https://support.google.com/mail/?p=DisabledUser (in reply to RCPT TO command)",
            ),
        ] {
            assert_eq!(
                classify(Status::Bounced, dsn, reason, "ann@example.org", ""),
                Category::RecipientUnknown,
                "{reason}"
            );
        }
        // this host's own access map refusing a recipient is a policy, not an unknown user
        assert_ne!(
            classify(
                Status::Bounced,
                "5.7.1",
                "host mx.example.org[192.0.2.7] said: 554 5.7.1 <ann@example.org>: Recipient address rejected: Access denied (in reply to RCPT TO command)",
                "ann@example.org",
                ""
            ),
            Category::RecipientUnknown
        );
    }

    /// Microsoft 365's delivery restrictions: the group or mailbox exists and refuses senders
    /// from outside its organisation. Its "authentication required" is the recipient's rule, not
    /// a login this host owes its relay (SES's `530 Authentication required`), and the reply is
    /// not an unknown recipient.
    #[test]
    fn a_group_that_takes_mail_only_from_inside_is_a_restricted_recipient() {
        let host = "host example-com.mail.protection.outlook.com[52.101.68.4] said: 550";
        for (dsn, words) in [
            (
                "5.7.133",
                "5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required; Delivery restriction check failed as sender not authenticated",
            ),
            (
                "5.7.134",
                "5.7.134 RESOLVER.RST.SenderNotAuthenticatedForMailbox; authentication required; Delivery restriction check failed as sender not authenticated",
            ),
            (
                "5.7.135",
                "5.7.135 RESOLVER.RST.SenderNotAuthenticatedForPublicFolder; authentication required; Delivery restriction check failed as sender not authenticated",
            ),
            (
                "5.7.136",
                "5.7.136 RESOLVER.RST.SenderNotAuthenticatedForMailUser; authentication required; Delivery restriction check failed as sender not authenticated",
            ),
            (
                "5.7.1",
                "5.7.1 RESOLVER.RST.AuthRequired; authentication required [Stage: CreateMessage]",
            ),
            ("5.7.1", "5.7.1 RESOLVER.RST.NotAuthorized; not authorized"),
        ] {
            let reason = format!("{host} {words} (in reply to RCPT TO command)");
            assert_eq!(
                classify(Status::Bounced, dsn, &reason, "staff@example.com", ""),
                Category::RecipientRestricted,
                "{reason}"
            );
        }
        // SES's own 530 is still a login this host owes it
        assert_eq!(
            classify(
                Status::Deferred,
                "4.7.0",
                "SASL authentication failed; server email-smtp.eu-west-1.amazonaws.com[3.248.5.1] said: 530 Authentication required (in reply to MAIL FROM command)",
                "ann@example.org",
                "email-smtp.eu-west-1.amazonaws.com[3.248.5.1]:587",
            ),
            Category::SesAuthRequired
        );
    }

    /// The big receivers' words for a recipient that does not exist or takes no mail, as their
    /// replies arrive (Postfix's `dsn=` is the reply's own enhanced code, or 5.0.0 without one).
    #[test]
    fn the_big_receivers_unknown_recipients_are_named_so() {
        for (dsn, reason) in [
            // Microsoft 365: its 5.1.10 is not RFC 7505's null MX
            (
                "5.1.10",
                "host example-com.mail.protection.outlook.com[52.101.68.4] said: 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup (in reply to RCPT TO command)",
            ),
            // Yahoo, AOL: no enhanced code
            (
                "5.0.0",
                "host mta7.am0.yahoodns.net[67.195.204.73] said: 554 delivery error: dd This user doesn't have a yahoo.com account (ann@yahoo.com) [0] - mta4461.mail.gq1.yahoo.com (in reply to end of DATA command)",
            ),
            (
                "5.0.0",
                "host mta7.am0.yahoodns.net[67.195.204.73] said: 554 delivery error: dd Sorry your message to ann@yahoo.com cannot be delivered. This mailbox is disabled (554.30). - mta4461.mail.gq1.yahoo.com (in reply to end of DATA command)",
            ),
            (
                "5.0.0",
                "host mta7.am0.yahoodns.net[67.195.204.73] said: 552 1 Requested mail action aborted, mailbox not found (in reply to RCPT TO command)",
            ),
            // gateways that give no enhanced code either
            (
                "5.0.0",
                "host mx.example.org[192.0.2.7] said: 550 No such recipient here (in reply to RCPT TO command)",
            ),
            (
                "5.0.0",
                "host mx.example.org[192.0.2.7] said: 550 <ann@example.org>: user does not exist (in reply to RCPT TO command)",
            ),
        ] {
            assert_eq!(
                classify(Status::Bounced, dsn, reason, "ann@example.org", ""),
                Category::RecipientUnknown,
                "{reason}"
            );
        }
        // Postfix's own null MX (RFC 7505) shares the code and is no unknown user
        assert_ne!(
            classify(
                Status::Bounced,
                "5.1.10",
                "Domain example.org does not accept mail (nullMX)",
                "ann@example.org",
                ""
            ),
            Category::RecipientUnknown
        );
    }

    /// Gmail refuses a message whose headers break RFC 5322 and mentions spam in passing: the fix
    /// is the application's headers, not the content.
    #[test]
    fn gmails_refusal_of_broken_headers_is_malformed_not_spam() {
        for reason in [
            "host gmail-smtp-in.l.google.com[142.250.1.26] said: 550-5.7.1 [192.0.2.1] Our system has detected that this message is not RFC 5322 compliant: 550-5.7.1 'From' header is missing. To reduce the amount of spam sent to Gmail, 550-5.7.1 this message has been blocked. Please visit 550-5.7.1  https://support.google.com/mail/?p=RfcMessageNonCompliant 550 5.7.1 for more information. (in reply to end of DATA command)",
            "host gmail-smtp-in.l.google.com[142.250.1.26] said: 550-5.7.1 [192.0.2.1] Messages missing a valid address in From: 550-5.7.1 header, or having no From: header, are not accepted. (in reply to end of DATA command)",
        ] {
            assert_eq!(
                classify(Status::Bounced, "5.7.1", reason, "ann@gmail.com", ""),
                Category::MalformedMessage,
                "{reason}"
            );
        }
        // Gmail's for a missing Message-ID, Microsoft 365's 5.7.512 for a From without an
        // address
        for (dsn, reason) in [
            (
                "5.7.1",
                "host gmail-smtp-in.l.google.com[142.250.1.26] said: 550-5.7.1 [192.0.2.1] Messages missing a valid Message-ID header are not 550-5.7.1 accepted. For more information, go to 550-5.7.1  https://support.google.com/mail/?p=RfcMessageNonCompliant (in reply to end of DATA command)",
            ),
            (
                "5.7.512",
                "host example-com.mail.protection.outlook.com[52.101.68.4] said: 550 5.7.512 Access denied, message must be RFC 5322 section 3.6.2 compliant and include a valid From address [AM4PEPF00027A5F.eurprd04.prod.outlook.com] (in reply to end of DATA command)",
            ),
        ] {
            assert_eq!(
                classify(Status::Bounced, dsn, reason, "ann@example.com", ""),
                Category::MalformedMessage,
                "{reason}"
            );
        }
        // Gmail's refusal for what the message holds is about its content
        assert_eq!(
            classify(
                Status::Bounced,
                "5.7.0",
                "host gmail-smtp-in.l.google.com[142.250.1.26] said: 552-5.7.0 This message was blocked because its content presents a potential 552-5.7.0 security issue. Please visit 552-5.7.0  https://support.google.com/mail/?p=BlockedMessage to review our 552 5.7.0 message content and attachment content guidelines. (in reply to end of DATA command)",
                "ann@gmail.com",
                ""
            ),
            Category::ContentRejected
        );
    }

    /// Refusals of this host's address for its standing, in words that name no list: they are
    /// its block listing, to be mended on this side.
    #[test]
    fn refusals_of_this_hosts_address_are_named_blocklisted() {
        for (dsn, reason) in [
            (
                "5.7.708",
                "host example-org.mail.protection.outlook.com[52.101.68.4] said: 550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653 AS(730) [AM4PEPF00027A5F.eurprd04.prod.outlook.com] (in reply to MAIL FROM command)",
            ),
            (
                "5.7.1",
                "host gmail-smtp-in.l.google.com[142.250.1.1] said: 550-5.7.1 [203.0.113.5] The IP you're using to send mail is not authorized to 550-5.7.1 send email directly to our servers. Please use the SMTP relay at your 550-5.7.1 service provider instead. For more information, go to 550 5.7.1  https://support.google.com/mail/?p=NotAuthorizedError (in reply to end of DATA command)",
            ),
            // Yahoo's and AOL's TSS09: a 4xx in form, a refusal of the address in its words
            (
                "4.7.0",
                "host mta6.am0.yahoodns.net[67.195.204.77] said: 421 4.7.0 [TSS09] All messages from 203.0.113.5 will be permanently deferred; Retrying will NOT succeed. See https://senders.yahooinc.com/error-codes (in reply to MAIL FROM command)",
            ),
        ] {
            let status = if dsn.starts_with('4') {
                Status::Deferred
            } else {
                Status::Bounced
            };
            assert_eq!(
                classify(status, dsn, reason, "ann@example.org", ""),
                Category::Blocklisted,
                "{reason}"
            );
        }
    }

    /// Refusals for spam or content in the words receivers use; Gmail's rate limit of a DKIM
    /// domain's unsolicited mail names DKIM, and is that judgment, not a failed DKIM check.
    #[test]
    fn refusals_for_spam_or_content_are_named_so() {
        let cases: &[(Status, &str, &str)] = &[
            (
                Status::Deferred,
                "4.7.28",
                "host gmail-smtp-in.l.google.com[142.250.1.1] said: 421-4.7.28 [203.0.113.5      15] Our system has detected an unusual rate of 421-4.7.28 unsolicited mail originating from your DKIM domain [example.com 15]. To protect our users from spam, mail sent from your domain has been 421-4.7.28 temporarily rate limited. (in reply to end of DATA command)",
            ),
            (
                Status::Deferred,
                "4.7.0",
                "host gmail-smtp-in.l.google.com[142.250.1.1] said: 421-4.7.0 [203.0.113.5      15] Our system has detected an unusual rate of 421-4.7.0 unsolicited mail originating from your IP address. To protect our 421-4.7.0 users from spam, mail sent from your IP address has been temporarily 421-4.7.0 rate limited. (in reply to end of DATA command)",
            ),
            (
                Status::Bounced,
                "5.7.1",
                "host gmail-smtp-in.l.google.com[142.250.1.1] said: 550-5.7.1 [203.0.113.5      12] Our system has detected that this message is 550-5.7.1 likely unsolicited mail. To reduce the amount of spam sent to Gmail, 550-5.7.1 this message has been blocked. (in reply to end of DATA command)",
            ),
            (
                Status::Bounced,
                "5.7.1",
                "host mx.example.net[198.51.100.1] said: 554 5.7.1 Message rejected due to content (in reply to end of DATA command)",
            ),
            (
                Status::Bounced,
                "5.7.1",
                "host mx.example.org[198.51.100.2] said: 550 5.7.1 message content rejected (in reply to end of DATA command)",
            ),
            (
                Status::Bounced,
                "5.7.1",
                "host mx.example.com[198.51.100.3] said: 550 5.7.1 Message rejected because of its content (in reply to end of DATA command)",
            ),
            (
                Status::Deferred,
                "4.7.1",
                "host mx.example.com[198.51.100.3] said: 451 4.7.1 Message deferred due to content (in reply to end of DATA command)",
            ),
            (
                Status::Bounced,
                "5.7.1",
                "host mx.example.com[198.51.100.3] said: 550 5.7.1 Rejected by content policy (in reply to end of DATA command)",
            ),
            (
                Status::Bounced,
                "5.7.0",
                "host mx.example.com[198.51.100.3] said: 554 5.7.0 Reject, id=12345-01 - BANNED: P=p003,L=1,M=multipart/mixed | P=p002,L=1/2,M=application/x-msdownload,T=exe,N=invoice.exe (in reply to end of DATA command)",
            ),
            (
                Status::Bounced,
                "5.7.0",
                "host mx.example.com[198.51.100.3] said: 554 5.7.0 Reject, id=12345-02 - INFECTED: Eicar-Signature (in reply to end of DATA command)",
            ),
            (
                Status::Deferred,
                "4.7.0",
                "host mta7.am0.yahoodns.net[67.195.204.72] said: 421 4.7.0 [TSS04] Messages from 203.0.113.5 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes (in reply to MAIL FROM command)",
            ),
        ];
        for (status, dsn, reason) in cases {
            assert_eq!(
                classify(*status, dsn, reason, "ann@example.org", ""),
                Category::ContentRejected,
                "{reason}"
            );
        }
        // a failed check of the domain stays that, however the reply goes on
        let dmarc = "host gmail-smtp-in.l.google.com[192.0.2.27] said: 550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy. Please contact the administrator of example.com domain if this was a legitimate mail. (in reply to end of DATA command)";
        assert_eq!(
            classify(Status::Bounced, "5.7.26", dmarc, "friend@gmail.com", ""),
            Category::SenderAuthentication
        );
        // a 4xx of this kind is said to be a limit Postfix retries through
        assert!(Category::ContentRejected.meaning().contains("421 4.7.28"));
    }

    #[test]
    fn a_commands_exit_status_alone_is_named_by_its_relay() {
        // (relay, status, dsn, reason, cause): what pipe(8), local(8) and error(8) log
        let cases = [
            (
                "quiet75",
                Status::Deferred,
                "4.3.0",
                "temporary failure",
                Category::DeliveryCommand,
            ),
            (
                "quiet69",
                Status::Bounced,
                "5.3.0",
                "service unavailable",
                Category::DeliveryCommand,
            ),
            (
                "local",
                Status::Bounced,
                "5.2.0",
                "can't create user output file",
                Category::DeliveryCommand,
            ),
            (
                "dovecot",
                Status::Bounced,
                "5.1.1",
                "user unknown",
                Category::RecipientUnknown,
            ),
            // error(8) says whatever its map says: not a command
            (
                "none",
                Status::Bounced,
                "5.0.0",
                "service unavailable",
                Category::Other,
            ),
            // a remote host's own words come with `said:`; without it and with an address, no
            (
                "mx.example.org[192.0.2.7]:25",
                Status::Deferred,
                "4.3.0",
                "temporary failure",
                Category::Other,
            ),
            (
                "",
                Status::Deferred,
                "4.3.0",
                "temporary failure",
                Category::Other,
            ),
        ];
        for (relay, status, dsn, reason, want) in cases {
            assert_eq!(
                classify(status, dsn, reason, "ann@example.org", relay),
                want,
                "{relay}: {reason}"
            );
        }
    }

    #[test]
    fn not_verified_lists_identities_and_region() {
        let nv = ses_not_verified("host h said: 554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: root@localhost, root@vm.example.com (in reply to end of DATA command)").unwrap();
        assert_eq!(nv.region, "US-EAST-1");
        assert_eq!(nv.identities, vec!["root@localhost", "root@vm.example.com"]);
    }

    proptest::proptest! {
        #[test]
        fn has_word_is_a_whole_word_search(text in "[a-z0-9 .;:é-]{0,40}", word in "(spf|dkim|spam)") {
            // the reference: split at anything that is not an ASCII letter or digit
            let want = text
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == word);
            proptest::prop_assert_eq!(has_word(&text, &word), want);
        }

        #[test]
        fn the_cause_does_not_depend_on_the_replys_case(reason in ".{0,200}", dsn in "[245]\\.[0-9]{1,2}\\.[0-9]{1,2}") {
            // any text at all (no panic), and the same cause in upper and lower case
            for status in [Status::Deferred, Status::Bounced, Status::Expired] {
                proptest::prop_assert_eq!(
                    classify_reply(status, &dsn, &reason.to_ascii_uppercase(), "dovecot"),
                    classify_reply(status, &dsn, &reason.to_ascii_lowercase(), "dovecot")
                );
            }
        }
    }

    #[test]
    fn remote_words_keep_the_reply_without_addresses() {
        assert_eq!(
            remote_words("host mx[1.2.3.4] said: 550 <a@b>: spam <x"),
            "550 <>: spam <x"
        );
        assert_eq!(remote_words("no reply <a@b> here"), "no reply <> here");
        assert_eq!(remote_words(""), "");
    }

    #[test]
    fn host_names_are_blanked() {
        assert_eq!(
            without_host_names("connect to tls.example.com[192.0.2.1]:25: connection refused"),
            "connect to [192.0.2.1]:25: connection refused"
        );
        assert_eq!(
            without_host_names("host a.example[1.2.3.4] said: 530 must issue a starttls command"),
            "host [1.2.3.4] said: 530 must issue a starttls command"
        );
        assert_eq!(without_host_names("no host here"), "no host here");
        assert_eq!(
            without_host_names("hostname sasl.example.org does not resolve to address 192.0.2.9"),
            "hostname  does not resolve to address 192.0.2.9"
        );
        assert_eq!(
            without_host_names("<ann@tls.example.com>: tlsv1.3 with cipher, /etc/ssl/tls.pem"),
            "<ann@>: tlsv1.3 with cipher, /etc/ssl/tls.pem"
        );
        assert_eq!(without_host_names("émx.example ü"), "é ü");
    }

    /// Relay access denied says what to do on both sides: mail this host sends, and a client
    /// refused here, which is Postfix doing its work.
    #[test]
    fn relay_denied_tells_this_hosts_mail_from_an_open_relay_probe() {
        let r = Category::RelayDenied.remedy();
        assert!(r.starts_with("For mail this host sends, "), "{r}");
        assert!(r.contains("declining to be an open relay"), "{r}");
        assert!(
            r.contains("nothing to do unless that client is yours"),
            "{r}"
        );
    }

    #[test]
    fn every_category_has_words() {
        for c in Category::ALL {
            assert!(c.label().chars().count() <= 17, "{c:?}");
            assert!(c.meaning().len() > 20 && c.remedy().len() > 10);
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::Value::String(c.key().into())
            );
        }
    }
}
