//! The server around the resize module: HTTP (axum), storage, configuration, and the wasmtime
//! sandbox. It knows images only through the module; `main.rs` wires the parts for the local
//! server, the CLI and the Lambda runtime.

pub mod api;
pub mod auth;
pub mod config;
pub mod demo;
pub mod diff;
pub mod error;
pub mod form;
pub mod keys;
pub mod lambda;
pub mod limits;
pub mod module;
pub mod package;
pub mod sandbox;
pub mod storage;
pub mod telemetry;
pub mod uploads;
