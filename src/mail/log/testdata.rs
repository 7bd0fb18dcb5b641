//! Mail log lines shared by the tests of the log's readers (the report, the Senders scan).

/// App@example.com's mail refused by SES (app@example.com not verified) and bounced; the bounce
/// notice, refused in turn (MAILER-DAEMON@mx.example.com not verified), is lost: app is never
/// told.
pub(crate) const LOST_NOTICE: &str = "\
Nov 27 10:00:00 mx postfix/qmgr[3]: AAAA000001: from=<App@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 10:00:01 mx postfix/smtp[4]: AAAA000001: to=<ops@example.org>, relay=email-smtp.us-east-1.amazonaws.com[1.1.1.1]:587, delay=1, delays=0/0/0.5/0.5, dsn=5.0.0, status=bounced (host email-smtp.us-east-1.amazonaws.com[1.1.1.1] said: 554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: app@example.com (in reply to end of DATA command))
Nov 27 10:00:01 mx postfix/bounce[5]: AAAA000001: sender non-delivery notification: BBBB000002
Nov 27 10:00:01 mx postfix/qmgr[3]: BBBB000002: from=<>, size=2000, nrcpt=1 (queue active)
Nov 27 10:00:01 mx postfix/qmgr[3]: AAAA000001: removed
Nov 27 10:00:02 mx postfix/smtp[4]: BBBB000002: to=<App@example.com>, relay=email-smtp.us-east-1.amazonaws.com[1.1.1.1]:587, delay=1, delays=0/0/0.5/0.5, dsn=5.0.0, status=bounced (host email-smtp.us-east-1.amazonaws.com[1.1.1.1] said: 554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: MAILER-DAEMON@mx.example.com (in reply to end of DATA command))
Nov 27 10:00:02 mx postfix/qmgr[3]: BBBB000002: removed
";
