//! `--debug`: one line per AWS API call attempt (service and operation, Region, HTTP status,
//! duration, AWS request ID), on stderr for the commands, to a file for the screens that draw
//! on stderr (the wizard, the status screen). Only those fields are written: never a header,
//! a body, a URL query or anything from the credentials.

use std::io::Write;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_sdk_kms::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_types::config_bag::{Storable, StoreReplace};

enum Sink {
    Stderr,
    File(std::fs::File),
}

static SINK: OnceLock<Mutex<Sink>> = OnceLock::new();
static START: OnceLock<Instant> = OnceLock::new();

/// Log on stderr from now on.
pub fn to_stderr() {
    START.get_or_init(Instant::now);
    let _ = SINK.set(Mutex::new(Sink::Stderr));
}

/// Log to `path` from now on (appended; created readable by its owner only).
pub fn to_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    writeln!(
        f,
        "--- byok {} started at {} ---",
        env!("CARGO_PKG_VERSION"),
        crate::journal::now_rfc3339()
    )?;
    START.get_or_init(Instant::now);
    let _ = SINK.set(Mutex::new(Sink::File(f)));
    Ok(())
}

/// Whether `--debug` is on.
pub fn enabled() -> bool {
    SINK.get().is_some()
}

/// Write one line, prefixed with the seconds since logging started.
pub fn log(line: &str) {
    let Some(sink) = SINK.get() else { return };
    let t = START.get().map(Instant::elapsed).unwrap_or_default();
    let text = format!("byok debug {:>8.3}s {line}\n", t.as_secs_f64());
    let mut sink = sink.lock().unwrap_or_else(|e| e.into_inner());
    let _ = match &mut *sink {
        Sink::Stderr => std::io::stderr().write_all(text.as_bytes()),
        Sink::File(f) => f.write_all(text.as_bytes()),
    };
}

/// When the attempt in flight was handed to the HTTP client.
#[derive(Debug, Clone)]
struct Sent(Instant);

impl Storable for Sent {
    type Storer = StoreReplace<Sent>;
}

/// The SDK interceptor behind `--debug`, added to every KMS, STS and IAM client when it is on.
#[derive(Debug, Clone, Copy)]
pub struct ApiLog;

impl Intercept for ApiLog {
    fn name(&self) -> &'static str {
        "byok-debug-log"
    }

    fn read_before_transmit(
        &self,
        _ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Sent(Instant::now()));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        ctx: &FinalizerInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Sent(at)) = cfg.load::<Sent>() else {
            // Stopped before sending (signing, credentials): the error says why.
            return Ok(());
        };
        let attempt = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
        let (service, operation) = cfg
            .load::<Metadata>()
            .map(|m| (m.service().to_ascii_lowercase(), m.name().to_string()))
            .unwrap_or_else(|| ("?".into(), "?".into()));
        let region = cfg
            .load::<aws_config::Region>()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "-".into());
        let elapsed = at.elapsed();
        let outcome = match ctx.response() {
            Some(r) => {
                let h = r.headers();
                let id = h
                    .get("x-amzn-requestid")
                    .or_else(|| h.get("x-amz-request-id"))
                    .unwrap_or("none");
                format!("HTTP {}, request ID {id}", r.status().as_u16())
            }
            None => match ctx.output_or_error() {
                Some(Err(e)) => format!("no answer: {}", crate::error::error_chain(e)),
                _ => "no answer".to_string(),
            },
        };
        log(&line(
            &service, &operation, &region, attempt, elapsed, &outcome,
        ));
        Ok(())
    }
}

fn line(
    service: &str,
    operation: &str,
    region: &str,
    attempt: u32,
    elapsed: Duration,
    outcome: &str,
) -> String {
    format!(
        "{service} {operation} {region} attempt {attempt}: {} ms, {outcome}",
        elapsed.as_millis()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_line_names_the_call_and_its_outcome() {
        assert_eq!(
            super::line(
                "kms",
                "CreateKey",
                "eu-west-1",
                1,
                std::time::Duration::from_millis(42),
                "HTTP 200, request ID abc"
            ),
            "kms CreateKey eu-west-1 attempt 1: 42 ms, HTTP 200, request ID abc"
        );
    }
}
