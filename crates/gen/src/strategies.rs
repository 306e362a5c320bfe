//! Proptest strategies for other crates' tests (feature `proptest`).
//!
//! The distribution covers every kind and status, any seed and any index, with the default
//! anchor; it omits overrides, compatibility mutations and custom anchors (apply
//! [`crate::compat::Mutation`] or [`crate::Generator::overrides`] on top when a test needs them).

use proptest::prelude::*;
use veriff_mock_contract::Kind;

use crate::{Generator, Payload};

/// Parameters of [`payloads`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct PayloadParams {
    /// Only these kinds (all kinds when empty).
    pub kinds: Vec<Kind>,
}

impl PayloadParams {
    /// Only the given kinds.
    #[must_use]
    pub fn kinds(kinds: impl Into<Vec<Kind>>) -> Self {
        PayloadParams {
            kinds: kinds.into(),
        }
    }
}

/// `(kind, status)` pairs drawn uniformly over kinds, then over the kind's statuses.
pub fn kind_and_status(
    params: &PayloadParams,
) -> impl Strategy<Value = (Kind, &'static str)> + use<> {
    let kinds = if params.kinds.is_empty() {
        Kind::ALL.to_vec()
    } else {
        params.kinds.clone()
    };
    proptest::sample::select(kinds)
        .prop_flat_map(|kind| (Just(kind), proptest::sample::select(kind.statuses())))
}

/// Generated payloads: any kind and status of `params`, any seed and index. Shrinks toward small
/// seeds and indices.
pub fn payloads(params: &PayloadParams) -> impl Strategy<Value = Payload> + use<> {
    (kind_and_status(params), any::<u64>(), any::<u64>()).prop_map(
        |((kind, status), seed, index)| {
            let g = Generator::from_seed(seed).kind(kind);
            g.clone().status(status).unwrap_or(g).payload(index)
        },
    )
}

/// Any generated payload.
pub fn any_payload() -> impl Strategy<Value = Payload> {
    payloads(&PayloadParams::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use veriff_mock_contract::Webhook;

    proptest! {
        #[test]
        fn strategies_give_valid_payloads(p in payloads(&PayloadParams::kinds([Kind::Event, Kind::Curp]))) {
            prop_assert!(matches!(p.kind, Kind::Event | Kind::Curp));
            let w = Webhook::parse(&p.body).unwrap();
            prop_assert!(crate::invariants::check(&w).is_ok());
        }
    }
}
