//! The HTTP client under the SDK when the endpoint is a plain-HTTP one (`--endpoint-url
//! http://...`: a local KMS such as moto or LocalStack): `http://` requests go through a plain
//! connector, so such a run never loads and parses the system's root certificates (about
//! 13 ms of a 15 ms start-up), and anything else (SSO or web-identity credentials reaching
//! AWS) through TLS set up exactly as the SDK's default client does, built on first use.
//!
//! With no endpoint, or an `https://` one, byok leaves the SDK's default client alone.

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

/// The client for `endpoint`, when byok should replace the SDK's default.
pub fn client_for(endpoint: Option<&str>) -> Option<PlainOrTls> {
    endpoint
        .is_some_and(|e| e.starts_with("http://"))
        .then(|| PlainOrTls::new(sdk_default_https()))
}

/// What the SDK's default HTTPS client is (aws-smithy-runtime's `default_https_client`):
/// rustls with aws-lc, the system's roots, the proxy from the environment.
fn sdk_default_https() -> SharedHttpClient {
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

    #[test]
    fn only_a_plain_http_endpoint_replaces_the_sdk_client() {
        assert!(client_for(None).is_none());
        assert!(client_for(Some("https://kms.eu-west-1.amazonaws.com")).is_none());
        assert!(client_for(Some("http://127.0.0.1:5000")).is_some());
    }
}
