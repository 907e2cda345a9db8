//! The HTTP client under the SDK when the endpoint is a plain-HTTP one (`--endpoint-url
//! http://...`: a local KMS such as moto or LocalStack): `http://` requests go through a plain
//! connector, so such a run never loads and parses the system's root certificates (about
//! 13 ms of a 15 ms start-up), and anything else (SSO or web-identity credentials reaching
//! AWS) through TLS set up exactly as the SDK's default client does, built on first use.
//!
//! With no endpoint, or an `https://` one, byok uses a client set up exactly as the SDK's
//! default.
//!
//! Either way, [`capped`] wraps it: a response body is read by the connector itself, no
//! further than [`MAX_RESPONSE_BYTES`], so that an endpoint answering without end (or with
//! gigabytes) is refused with [`ResponseTooLarge`] instead of being buffered whole.

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use http_body_util::BodyExt as _;

/// The largest response body byok reads from KMS, STS, IAM or a credentials endpoint. A key
/// policy is at most 32 KiB and a page of keys, aliases or roles well under 1 MiB: a larger
/// answer is not one of theirs.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// A response larger than [`MAX_RESPONSE_BYTES`], refused (declared so, or found so while
/// reading it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseTooLarge {
    /// The length the response declared, if it declared one.
    pub declared: Option<u64>,
}

impl std::fmt::Display for ResponseTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the answer is larger than {} MiB{}, far more than KMS, STS or IAM ever send (a key policy is at most 32 KiB): byok stopped reading it. Check --endpoint-url and any proxy in between",
            MAX_RESPONSE_BYTES / (1024 * 1024),
            match self.declared {
                Some(n) => format!(" ({n} bytes declared)"),
                None => String::new(),
            }
        )
    }
}

impl std::error::Error for ResponseTooLarge {}

/// `client`, with every response body read whole by the connector, up to
/// [`MAX_RESPONSE_BYTES`]: a larger one fails the call with [`ResponseTooLarge`] (a dispatch
/// failure the SDK does not retry). KMS, STS and IAM answers are small JSON or XML documents
/// the SDK buffers anyway, so reading them here changes nothing else.
pub fn capped(client: SharedHttpClient) -> SharedHttpClient {
    SharedHttpClient::new(Capped(client))
}

#[derive(Debug)]
struct Capped(SharedHttpClient);

impl HttpClient for Capped {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(CappedConnector(self.0.http_connector(settings, components)))
    }

    fn validate_base_client_config(
        &self,
        components: &RuntimeComponentsBuilder,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.validate_base_client_config(components, cfg)
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.validate_final_config(components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

#[derive(Debug)]
struct CappedConnector(SharedHttpConnector);

impl HttpConnector for CappedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let sent = self.0.call(request);
        HttpConnectorFuture::new(async move { read_capped(sent.await?, MAX_RESPONSE_BYTES).await })
    }
}

/// `response` with its body read, refused when it is (or says it is) larger than `max`.
async fn read_capped(
    mut response: HttpResponse,
    max: usize,
) -> Result<HttpResponse, ConnectorError> {
    let too_large = |declared| ConnectorError::other(Box::new(ResponseTooLarge { declared }), None);
    let declared = response
        .headers()
        .get("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large(declared));
    }
    let body = http_body_util::Limited::new(response.take_body(), max)
        .collect()
        .await
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                too_large(declared)
            } else {
                // The connection failed part-way through the answer.
                ConnectorError::io(e)
            }
        })?
        .to_bytes();
    *response.body_mut() = SdkBody::from(body);
    Ok(response)
}

/// The client for `endpoint`, when byok should replace the SDK's default.
pub fn client_for(endpoint: Option<&str>) -> Option<PlainOrTls> {
    endpoint
        .is_some_and(|e| e.starts_with("http://"))
        .then(|| PlainOrTls::new(sdk_default_https()))
}

/// What the SDK's default HTTPS client is (aws-smithy-runtime's `default_https_client`):
/// rustls with aws-lc, the system's roots, the proxy from the environment.
pub(super) fn sdk_default_https() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut b =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
        b.set_connector_settings(settings.cloned());
        if let Some(c) = components {
            b.set_sleep_impl(c.sleep_impl());
        }
        b.set_proxy_config(Some(ProxyConfig::from_env()));
        b.build()
    })
}

/// Sends `http://` requests on a plain connector and everything else on `tls`.
#[derive(Debug, Clone)]
pub struct PlainOrTls {
    plain: SharedHttpClient,
    tls: SharedHttpClient,
}

impl PlainOrTls {
    pub fn new(tls: SharedHttpClient) -> PlainOrTls {
        PlainOrTls {
            // The builders used here are public but hidden in the docs; the version is pinned
            // by Cargo.lock, and every moto test runs its calls through them.
            plain: Builder::new().build_http(),
            tls,
        }
    }
}

impl HttpClient for PlainOrTls {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(Dispatch {
            plain: self.plain.http_connector(settings, components),
            tls: self.tls.clone(),
            settings: settings.clone(),
            components: components.clone(),
        })
    }
    // `validate_base_client_config` is left at its default on purpose: the SDK's client uses
    // it to build its TLS connector (and load the roots) when a client is made, which is the
    // cost this wrapper exists to avoid for `http://`.
}

#[derive(Debug)]
struct Dispatch {
    plain: SharedHttpConnector,
    tls: SharedHttpClient,
    settings: HttpConnectorSettings,
    components: RuntimeComponents,
}

impl HttpConnector for Dispatch {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        if request.uri().starts_with("http://") {
            self.plain.call(request)
        } else {
            // The TLS client caches its connector: the roots are loaded once, on first use.
            self.tls
                .http_connector(&self.settings, &self.components)
                .call(request)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_config::{BehaviorVersion, Region};
    use aws_sdk_kms::config::{ConfigBag, Credentials, RuntimeComponentsBuilder};
    use aws_smithy_runtime_api::box_error::BoxError;
    use std::io::Read;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The SDK's client, counting every time it is asked for a connector or validated (the
    /// two moments it builds its TLS connector and loads the roots).
    #[derive(Debug)]
    struct Counting(SharedHttpClient, Arc<AtomicUsize>);

    impl HttpClient for Counting {
        fn http_connector(
            &self,
            settings: &HttpConnectorSettings,
            components: &RuntimeComponents,
        ) -> SharedHttpConnector {
            self.1.fetch_add(1, Ordering::SeqCst);
            self.0.http_connector(settings, components)
        }

        fn validate_base_client_config(
            &self,
            components: &RuntimeComponentsBuilder,
            cfg: &ConfigBag,
        ) -> Result<(), BoxError> {
            self.1.fetch_add(1, Ordering::SeqCst);
            self.0.validate_base_client_config(components, cfg)
        }
    }

    /// The first byte a client sends to `scheme://127.0.0.1:port` (0x16 opens a TLS
    /// handshake, `P` a plain `POST`), and how often the TLS client was touched.
    async fn first_byte(scheme: &str) -> (u8, usize) {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut b = [0u8; 1];
            s.read_exact(&mut b).unwrap();
            b[0]
        });
        let endpoint = format!("{scheme}://127.0.0.1:{port}");
        let config = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .credentials_provider(Credentials::new("AKIDTEST", "test", None, None, "test"))
            .endpoint_url(&endpoint)
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .load()
            .await;
        // The client byok uses with a plain-HTTP endpoint, its TLS side counted; sent an
        // `https://` request too, as SSO credentials would.
        let touched = Arc::new(AtomicUsize::new(0));
        let mut c = client_for(Some("http://localhost:4566")).unwrap();
        c.tls = SharedHttpClient::new(Counting(c.tls.clone(), touched.clone()));
        let config = config.to_builder().http_client(c).build();
        let kms = aws_sdk_kms::Client::new(&config);
        let res = kms.list_keys().send().await;
        assert!(res.is_err(), "the listener answers nothing");
        (server.join().unwrap(), touched.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn https_still_speaks_tls_and_http_never_builds_it() {
        let (byte, touched) = first_byte("https").await;
        assert_eq!(byte, 0x16, "a TLS ClientHello");
        assert!(touched > 0, "https:// goes through the TLS client");
        let (byte, touched) = first_byte("http").await;
        assert_eq!(byte, b'P', "a plain POST");
        assert_eq!(touched, 0, "no TLS connector, no root certificates");
    }

    fn response(len: usize, declared: Option<u64>) -> HttpResponse {
        let mut r = HttpResponse::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(200u16).unwrap(),
            SdkBody::from(vec![b'x'; len]),
        );
        if let Some(n) = declared {
            r.headers_mut().insert("content-length", n.to_string());
        }
        r
    }

    #[tokio::test]
    async fn bodies_over_the_cap_are_refused_and_smaller_ones_kept() {
        let ok = read_capped(response(1000, Some(1000)), 1000).await.unwrap();
        assert_eq!(ok.body().bytes().unwrap().len(), 1000);
        // Found while reading (chunked: no length declared).
        let e = read_capped(response(1001, None), 1000).await.unwrap_err();
        let big = find(&e).expect("ResponseTooLarge");
        assert_eq!(big.declared, None);
        assert!(!e.is_io() && !e.is_timeout(), "not a kind the SDK retries");
        // Declared: refused before reading a byte.
        let e = read_capped(response(10, Some(1 << 30)), 1000)
            .await
            .unwrap_err();
        assert_eq!(find(&e).unwrap().declared, Some(1 << 30));
        assert!(find(&e).unwrap().to_string().contains("larger than 8 MiB"));
    }

    fn find(e: &ConnectorError) -> Option<&ResponseTooLarge> {
        std::error::Error::source(e).and_then(|s| s.downcast_ref::<ResponseTooLarge>())
    }

    #[test]
    fn only_a_plain_http_endpoint_replaces_the_sdk_client() {
        assert!(client_for(None).is_none());
        assert!(client_for(Some("https://kms.eu-west-1.amazonaws.com")).is_none());
        assert!(client_for(Some("http://127.0.0.1:5000")).is_some());
    }
}
