//! Test helpers for the queue pane: a realistic fixture queue and a pane
//! driven through the `Pane` trait and drawn on a `TestBackend`. Test-only.

use chrono::{DateTime, Local, TimeZone};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::app::pane::{Cx, Nav, Pane, ViewCx};
use crate::app::shared::Shared;
use crate::config::Config;
use crate::mail::queue::parse::parse_jsonl;
use crate::mail::queue::{QueueAction, QueueEvent, QueuePane};
use crate::ui::theme::Theme;

pub const NOW: i64 = 1_800_000_000;

pub fn now() -> DateTime<Local> {
    Local.timestamp_opt(NOW, 0).unwrap()
}

/// A realistic small queue: SES throttling, a greylisted domain, a held
/// message, a hostile sender and one message with many recipients.
pub fn fixture() -> String {
    let throttle = "host email-smtp.us-east-1.amazonaws.com[127.0.0.1] said: 454 Throttling failure: Maximum sending rate exceeded. (in reply to end of DATA command)";
    let mut lines = vec![
        serde_json::json!({"queue_name":"deferred","queue_id":"4889DC8909","arrival_time":NOW-7300,"message_size":2840,"forced_expire":false,"sender":"orders@shop.example","recipients":[{"address":"ann@gmail.com","delay_reason":throttle}]}),
        serde_json::json!({"queue_name":"deferred","queue_id":"59F14C8904","arrival_time":NOW-600,"message_size":453,"forced_expire":false,"sender":"news@shop.example","recipients":[{"address":"bob@yahoo.com","delay_reason":throttle},{"address":"cy@gmail.com","delay_reason":throttle}]}),
        serde_json::json!({"queue_name":"deferred","queue_id":"A1B2C3D4E5","arrival_time":NOW-90000,"message_size":12000,"forced_expire":false,"sender":"alerts@ops.example","recipients":[{"address":"dee@corp.example","delay_reason":"host mx.corp.example[192.0.2.25] said: 451 4.7.1 Greylisted, please try again later (in reply to RCPT TO command)"}]}),
        serde_json::json!({"queue_name":"hold","queue_id":"B0B0B0B0B0","arrival_time":NOW-45,"message_size":900,"forced_expire":false,"sender":"","recipients":[{"address":"postmaster@shop.example"}]}),
        serde_json::json!({"queue_name":"active","queue_id":"C0FFEE1234","arrival_time":NOW-3,"message_size":300,"forced_expire":false,"sender":"evil\u{1b}[2J@x.example","recipients":[{"address":"eve@outlook.com"}]}),
    ];
    let many: Vec<serde_json::Value> = (0..40)
        .map(|i| serde_json::json!({"address": format!("list{i}@example.net"), "delay_reason": throttle}))
        .collect();
    lines.push(serde_json::json!({"queue_name":"deferred","queue_id":"D00D00D00D","arrival_time":NOW-1500,"message_size":40000,"forced_expire":false,"sender":"news@shop.example","recipients":many}));
    lines.iter().map(|l| l.to_string() + "\n").collect()
}

pub struct Fx {
    pub pane: QueuePane,
    pub shared: Shared,
    pub access: Option<crate::access::WriteAccess>,
}

impl Fx {
    pub fn new(text: &str) -> Fx {
        let mut fx = Fx {
            pane: QueuePane::new(&Config::default()),
            shared: Shared::default(),
            access: crate::access::WriteAccess::for_mode(crate::access::Mode::Interactive),
        };
        let parsed = parse_jsonl(text.as_bytes());
        assert_eq!(parsed.bad_lines, 0);
        fx.event(QueueEvent::Listed {
            instance: 0,
            at: now(),
            result: Ok(parsed),
        });
        fx
    }

    /// `f` on the pane with a context of time `at`.
    pub fn at<T>(
        &mut self,
        at: chrono::DateTime<chrono::Local>,
        f: impl FnOnce(&mut QueuePane, &mut Cx<'_>) -> T,
    ) -> T {
        let mut cx = Cx {
            now: at,
            access: self.access.as_ref(),
            shared: &mut self.shared,
        };
        f(&mut self.pane, &mut cx)
    }

    pub fn event(&mut self, ev: QueueEvent) -> Vec<crate::app::effect::Effect> {
        self.at(now(), |p, cx| p.on_event(ev, cx))
    }

    pub fn act(&mut self, a: QueueAction) -> Vec<crate::app::effect::Effect> {
        self.at(now(), |p, cx| p.on_action(a, cx))
    }

    /// Type `text` as the `/` filter.
    pub fn filter(&mut self, text: &str) {
        self.at(now(), |p, cx| p.set_filter(text, cx))
    }

    pub fn nav(&mut self, n: Nav) {
        self.at(now(), |p, cx| {
            p.on_nav(n, cx);
        })
    }

    pub fn draw(&self, w: u16, h: u16, zoomed: bool) -> String {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        let theme = Theme::fallback();
        term.draw(|f| {
            let cx = ViewCx {
                theme: &theme,
                now: now(),
                focused: true,
                zoomed,
                read_only: false,
                shared: &self.shared,
            };
            self.pane.render(f, f.area(), &cx);
        })
        .unwrap();
        let buf = term.backend().buffer();
        let mut out = String::new();
        for y in 0..buf.area.height {
            let mut line = String::new();
            for x in 0..buf.area.width {
                line.push_str(buf[(x, y)].symbol());
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

impl Fx {
    pub fn with_config(config: &Config, text: &str) -> Fx {
        let mut fx = Fx::new("");
        fx.pane = QueuePane::new(config);
        if !text.is_empty() {
            fx.event(QueueEvent::Listed {
                instance: 0,
                at: now(),
                result: Ok(parse_jsonl(text.as_bytes())),
            });
        }
        fx
    }

    pub fn enter(&mut self) -> Vec<crate::app::effect::Effect> {
        self.at(now(), |p, cx| p.on_enter(cx))
    }
}
