//! The plugin host against real components: the example plugins built by `plugins/build.sh`
//! (these tests fail, not skip, when that has not run) and hostile fixtures written in WAT.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod examples;
mod fixtures;
mod hostile;
mod support;
mod validation;
