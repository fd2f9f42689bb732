//! The browser demo (`web-demo/`), embedded in the binary so `serve` shows it at `/`.

use axum::Router;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;

use crate::api::cacheable;
use crate::module::sha256_hex;

const FILES: [(&str, &str, &str); 4] = [
    ("/", "text/html; charset=utf-8", include_str!("../../web-demo/index.html")),
    ("/app.js", "text/javascript; charset=utf-8", include_str!("../../web-demo/app.js")),
    ("/worker.js", "text/javascript; charset=utf-8", include_str!("../../web-demo/worker.js")),
    ("/style.css", "text/css; charset=utf-8", include_str!("../../web-demo/style.css")),
];

pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    FILES.iter().fold(Router::new(), |router, &(path, content_type, body)| {
        let sha = sha256_hex(body.as_bytes());
        router.route(path, get(move |headers: HeaderMap| async move { serve(&headers, &sha, content_type, body) }))
    })
}

fn serve(headers: &HeaderMap, sha: &str, content_type: &str, body: &'static str) -> Response {
    cacheable(headers, sha, content_type, body.as_bytes().to_vec())
}
