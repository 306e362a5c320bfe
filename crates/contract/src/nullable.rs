//! A field that may be absent, `null`, or a value: Veriff's payloads use all three, and a parser
//! that keeps unknown data must re-serialize exactly what it read.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A JSON field that may be missing, `null`, or present.
///
/// Use with `#[serde(default, skip_serializing_if = "Nullable::is_missing")]` so a missing field
/// stays missing and an explicit `null` stays `null` through a round trip.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Nullable<T> {
    /// The key is not in the object.
    #[default]
    Missing,
    /// The key is present with `null`.
    Null,
    /// The key is present with a value.
    Present(T),
}

impl<T> Nullable<T> {
    /// `true` when the key is absent.
    #[must_use]
    pub fn is_missing(&self) -> bool {
        matches!(self, Self::Missing)
    }

    /// `true` when the key is absent or `null`.
    #[must_use]
    pub fn is_none(&self) -> bool {
        !matches!(self, Self::Present(_))
    }

    /// The value, if present.
    #[must_use]
    pub fn as_ref(&self) -> Option<&T> {
        match self {
            Self::Present(v) => Some(v),
            _ => None,
        }
    }

    /// The value, if present.
    #[must_use]
    pub fn into_option(self) -> Option<T> {
        match self {
            Self::Present(v) => Some(v),
            _ => None,
        }
    }
}

impl Nullable<String> {
    /// The string, if present.
    #[must_use]
    pub fn as_deref(&self) -> Option<&str> {
        self.as_ref().map(String::as_str)
    }
}

impl<T> From<Option<T>> for Nullable<T> {
    /// `None` becomes an explicit `null`.
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Null, Self::Present)
    }
}

impl<T> From<T> for Nullable<T> {
    fn from(value: T) -> Self {
        Self::Present(value)
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Present(v) => v.serialize(serializer),
            Self::Missing | Self::Null => serializer.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(Into::into)
    }
}
