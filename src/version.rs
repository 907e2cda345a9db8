//! `byok --version`: the version and the built-in vendor profiles' versions.

pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\nvendor profiles: ",
    env!("BYOK_PROFILE_VERSIONS")
);
