//! The log subscriber: human-readable on a terminal, one JSON object per line elsewhere (Lambda,
//! a file, a log shipper), where the request's span fields (id, key, trace id, timings) ride
//! along in `span`.

use std::io::IsTerminal;

use clap::ValueEnum;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Text when standard error is a terminal, JSON otherwise (always JSON in Lambda).
    Auto,
    Json,
    Text,
}

pub fn init(format: LogFormat, in_lambda: bool) {
    let terminal = std::io::stderr().is_terminal();
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => in_lambda || !terminal,
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        logs.json().flatten_event(true).with_current_span(true).with_span_list(false).init();
    } else {
        logs.with_ansi(terminal && !in_lambda).init();
    }
}
