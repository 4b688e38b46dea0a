//! The Evently server: configuration, the composition root that wires the store,
//! services and HTTP routes, and telemetry.

mod settings;
mod startup;
pub mod telemetry;
pub mod ticket_command;

pub use settings::{Coherence, Settings, SettingsError};
pub use startup::Application;
