//! Counters and histograms for `GET /metrics`, in the text format Prometheus scrapes (the
//! OpenMetrics flavour, from the Prometheus project's own Rust client).

use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatus {
    route: &'static str,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StageLabel {
    stage: &'static str,
}

pub struct Metrics {
    registry: Mutex<Registry>,
    requests: Family<RouteStatus, Counter>,
    latency: Family<Route, Histogram>,
    stages: Family<StageLabel, Histogram>,
    bytes_out: Counter,
    slots_in_use: Gauge,
}

/// 1 ms to ~16 s, doubling: resizes take tens of milliseconds, stores in S3 a few.
fn seconds_buckets() -> Histogram {
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(0.001, 2.0, 15))
}

impl Metrics {
    pub fn new(slots: u32) -> Self {
        let requests = Family::<RouteStatus, Counter>::default();
        let latency = Family::<Route, Histogram>::new_with_constructor(seconds_buckets as fn() -> Histogram);
        let stages = Family::<StageLabel, Histogram>::new_with_constructor(seconds_buckets as fn() -> Histogram);
        let (bytes_out, slots_in_use) = (Counter::default(), Gauge::default());
        let total: Gauge = Gauge::default();
        total.set(i64::from(slots));
        let mut registry = Registry::with_prefix("resize");
        registry.register("requests", "Requests answered, by route and status", requests.clone());
        registry.register("request_duration_seconds", "Time to answer a request, by route", latency.clone());
        registry.register(
            "stage_duration_seconds",
            "Time in each stage of POST /image: read the body, queue for a slot, resize, store",
            stages.clone(),
        );
        registry.register("stored_bytes", "Bytes of variants stored", bytes_out.clone());
        registry.register("sandbox_slots_in_use", "Resizes running now", slots_in_use.clone());
        registry.register("sandbox_slots", "Resizes that may run at once", total);
        Self { registry: Mutex::new(registry), requests, latency, stages, bytes_out, slots_in_use }
    }

    pub fn request(&self, route: &'static str, status: u16, took: Duration) {
        self.requests.get_or_create(&RouteStatus { route, status }).inc();
        self.latency.get_or_create(&Route { route }).observe(took.as_secs_f64());
    }

    pub fn stage(&self, stage: &'static str, took: Duration) {
        self.stages.get_or_create(&StageLabel { stage }).observe(took.as_secs_f64());
    }

    pub fn stored(&self, bytes: u64) {
        self.bytes_out.inc_by(bytes);
    }

    pub fn slot_taken(&self) {
        self.slots_in_use.inc();
    }

    pub fn slot_freed(&self) {
        self.slots_in_use.dec();
    }

    /// Every metric, in the text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        let registry = self.registry.lock().expect("no panic while encoding");
        prometheus_client::encoding::text::encode(&mut text, &registry).expect("writing to a String cannot fail");
        text
    }
}
