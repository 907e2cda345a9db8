//! The HTTP client under the SDK: the SDK's own (hyper, rustls) for `https://`, and a plain
//! connector for `http://`, so that a run against a local endpoint (moto, LocalStack) never
//! loads and parses the system's root certificates, about 13 ms of a 15 ms start-up.
//!
//! The TLS side is the client the SDK would have used anyway: same proxy settings, same
//! crypto, same root store, built on the first `https://` request, as before. Credential
//! providers that reach AWS over HTTPS (SSO, web identity) keep working with an `http://`
//! endpoint.

use aws_sdk_kms::config::ConfigBag;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};

/// Sends `http://` requests on a plain connector and everything else on `tls`.
#[derive(Debug, Clone)]
pub struct PlainOrTls {
    plain: SharedHttpClient,
    tls: SharedHttpClient,
}

impl PlainOrTls {
    pub fn new(tls: SharedHttpClient) -> PlainOrTls {
        PlainOrTls {
            // The builder's plain-HTTP client (hidden in its docs, but public; the version is
            // pinned by Cargo.lock and `tests/create.rs` runs every call through it).
            plain: aws_smithy_http_client::Builder::new().build_http(),
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

    fn validate_base_client_config(
        &self,
        runtime_components: &RuntimeComponentsBuilder,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.tls
            .validate_base_client_config(runtime_components, cfg)
    }

    fn validate_final_config(
        &self,
        runtime_components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.tls.validate_final_config(runtime_components, cfg)
    }
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
