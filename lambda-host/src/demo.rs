//! The browser demo (`web-demo/`), embedded in the binary so `serve` shows it at `/`.

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use axum::routing::get;

use crate::api::cacheable;
use crate::config::{GetMode, ServiceConfig};
use crate::module::sha256_hex;

const FILES: [(&str, &str, &str); 4] = [
    ("/", "text/html; charset=utf-8", include_str!("../../web-demo/index.html")),
    ("/app.js", "text/javascript; charset=utf-8", include_str!("../../web-demo/app.js")),
    ("/worker.js", "text/javascript; charset=utf-8", include_str!("../../web-demo/worker.js")),
    ("/style.css", "text/css; charset=utf-8", include_str!("../../web-demo/style.css")),
];

/// `uploads`: the store hands out presigned PUTs (S3), which the page sends originals to.
pub fn router<S: Clone + Send + Sync + 'static>(config: &ServiceConfig, uploads: bool) -> Router<S> {
    let policy = HeaderValue::from_str(&content_security_policy(config, uploads)).expect("origins are header-safe");
    FILES.iter().fold(Router::new(), |router, &(path, content_type, body)| {
        let sha = sha256_hex(body.as_bytes());
        let policy = policy.clone();
        router.route(
            path,
            get(move |headers: HeaderMap| async move { serve(&headers, &sha, content_type, body, policy) }),
        )
    })
}

/// Only this origin's scripts (and WebAssembly compiled from them), styles and connections;
/// previews are blob: images. Sent with the page and with worker.js, whose module worker gets its
/// policy from its own response. Stored variants, fetched and shown, may also come from the
/// `--public-base-url` origin, or with `--s3-get redirect` from wherever S3 redirects (any https
/// origin). With presigned uploads, the page PUTs originals to S3: any https origin (the bucket's
/// regional name is S3's to choose), and the SDK's own endpoint setting where one is set (an
/// S3-compatible server, moto in the tests).
pub fn content_security_policy(config: &ServiceConfig, uploads: bool) -> String {
    let mut stored = vec!["'self'".to_string()];
    stored.extend(config.public_base_url.as_deref().and_then(origin).map(String::from));
    if config.s3_get == GetMode::Redirect || uploads {
        stored.push("https:".into());
    }
    let mut connect = stored.clone();
    if uploads {
        let endpoint = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"].iter().find_map(|var| std::env::var(var).ok());
        connect.extend(endpoint.as_deref().and_then(origin).map(String::from));
    }
    let (stored, connect) = (stored.join(" "), connect.join(" "));
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src {connect}; \
         img-src {stored} blob: data:; style-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// `scheme://host[:port]` of an absolute URL.
fn origin(url: &str) -> Option<&str> {
    let after_scheme = url.find("://")? + 3;
    let end = url[after_scheme..].find('/').map_or(url.len(), |i| after_scheme + i);
    Some(&url[..end]).filter(|o| o.len() > after_scheme)
}

fn serve(headers: &HeaderMap, sha: &str, content_type: &str, body: &'static str, policy: HeaderValue) -> Response {
    let mut response = cacheable(headers, sha, content_type, body.as_bytes().to_vec());
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_of_base_urls() {
        assert_eq!(origin("https://d111.cloudfront.net/images"), Some("https://d111.cloudfront.net"));
        assert_eq!(origin("http://127.0.0.1:9000"), Some("http://127.0.0.1:9000"));
        assert_eq!(origin("nonsense"), None);
        assert_eq!(origin("https:///x"), None);
    }
}
