//! A `tracing` subscriber for tests that keeps everything (TRACE, every field, every span)
//! as text, and each event's level, target and fields; with the `fmt` layer's output (what
//! an application's usual log output would show) in the same text.
#![allow(dead_code, unreachable_pub)]

use std::fmt::Write as _;
use std::io;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

/// Everything logged, as text, plus each event's level and target.
#[derive(Clone, Default)]
pub struct Capture {
    pub text: Arc<Mutex<String>>,
    pub events: Arc<Mutex<Vec<(Level, String, String)>>>,
}

struct FieldText<'a>(&'a mut String);

impl Visit for FieldText<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, " {}={}", field.name(), value);
    }
}

impl<S: Subscriber> Layer<S> for Capture {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: Context<'_, S>,
    ) {
        let mut line = format!("span {}", attrs.metadata().name());
        attrs.record(&mut FieldText(&mut line));
        self.text.lock().unwrap().push_str(&line);
    }
    fn on_record(
        &self,
        _: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _: Context<'_, S>,
    ) {
        let mut line = String::from("record");
        values.record(&mut FieldText(&mut line));
        self.text.lock().unwrap().push_str(&line);
    }
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut line = String::new();
        event.record(&mut FieldText(&mut line));
        let meta = event.metadata();
        self.text.lock().unwrap().push_str(&format!(
            "\n{} {}{}",
            meta.level(),
            meta.target(),
            line
        ));
        self.events
            .lock()
            .unwrap()
            .push((*meta.level(), meta.target().to_owned(), line));
    }
}

/// A `fmt` writer into the same buffer: what an application's usual log output would show.
#[derive(Clone)]
struct Sink(Arc<Mutex<String>>);

impl io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap()
            .push_str(&String::from_utf8_lossy(buf));
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Capture {
    /// Installs a capture as the global subscriber (once per test binary).
    pub fn install() -> Self {
        let capture = Self::default();
        let subscriber = Registry::default()
            .with(capture.clone().with_filter(LevelFilter::TRACE))
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer({
                        let sink = Sink(capture.text.clone());
                        move || sink.clone()
                    })
                    .with_filter(LevelFilter::TRACE),
            );
        tracing::subscriber::set_global_default(subscriber).unwrap();
        capture
    }

    /// The text captured so far.
    pub fn text(&self) -> String {
        self.text.lock().unwrap().clone()
    }

    /// The events captured so far: level, target and fields (` name=value` each).
    pub fn events(&self) -> Vec<(Level, String, String)> {
        self.events.lock().unwrap().clone()
    }
}
