//! What the service tells its operator: logs (text on a terminal, JSON elsewhere), one summary
//! line per request with its id and stage timings, Prometheus metrics at `GET /metrics`, and in
//! Lambda CloudWatch Embedded Metric Format lines and the X-Ray trace id.

pub mod logs;
pub mod metrics;
pub mod observe;

pub use metrics::Metrics;
pub use observe::{Stage, observe, record_stage};
