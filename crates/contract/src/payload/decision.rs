use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

use super::Extra;
use crate::{DecisionStatus, Nullable};

/// The decision webhook: the result of a verification attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// Always `"success"`.
    pub status: String,
    /// The decision itself.
    pub verification: DecisionVerification,
    /// `{"ip": …}` of the end-user's device.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub technical_data: Nullable<TechnicalData>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `verification` of a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionVerification {
    /// Session id (UUID).
    pub id: String,
    /// Attempt id (UUID); one session may have several attempts, each with its own decision.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub attempt_id: Nullable<String>,
    /// The integrator's own id for the end-user or session (up to 1,000 chars).
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub vendor_data: Nullable<String>,
    /// The integrator's end-user UUID.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub end_user_id: Nullable<String>,
    /// Decision status.
    pub status: DecisionStatus,
    /// Decision code (9001, 9102, 9103, 9104, 9121).
    pub code: u16,
    /// Reason text, for declined and resubmission_requested.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub reason: Nullable<String>,
    /// Reason code, for declined and resubmission_requested.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub reason_code: Nullable<u16>,
    /// When the decision was made; `null` for expired and abandoned.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub decision_time: Nullable<String>,
    /// When the end-user submitted the attempt.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub acceptance_time: Nullable<String>,
    /// Person data extracted; `null` when none was captured.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub person: Nullable<Person>,
    /// Document data extracted; `null` when none was captured.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub document: Nullable<Document>,
    /// Results of extra checks (age estimation, proof of address, licence categories…).
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub additional_verified_data: Nullable<AdditionalVerifiedData>,
    /// Risk labels, when the integration has them.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub risk_labels: Nullable<Vec<RiskLabel>>,
    /// Biometric authentication result, when used.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub biometric_authentication: Nullable<BiometricAuthentication>,
    /// Legacy, always `[]`.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub comments: Nullable<Vec<Value>>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `verification.person`. Every field is a string or `null`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Person {
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub first_name: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub last_name: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub full_name: Nullable<String>,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub date_of_birth: Nullable<String>,
    /// `YYYY`, as a string.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub year_of_birth: Nullable<String>,
    /// `M` or `F`.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub gender: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub id_number: Nullable<String>,
    /// ISO 3166 alpha-2.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub nationality: Nullable<String>,
    /// Always `null`.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub citizenship: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub place_of_birth: Nullable<String>,
    /// Legacy.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub pep_sanction_match: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub addresses: Nullable<Vec<Address>>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub occupation: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub employer: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub foreigner_status: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub extra_names: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub title: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub middle_name: Nullable<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One entry of `person.addresses`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// The address as one line.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub full_address: Nullable<String>,
    /// The address in parts.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub parsed_address: Nullable<ParsedAddress>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `parsedAddress`. Note that Veriff's own sample sends `houseNumber: "null"` as a string.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct ParsedAddress {
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub street: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub city: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub state: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub postcode: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub country: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub unit: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub house_number: Nullable<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `verification.document`. Dates are `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Document {
    /// PASSPORT, ID_CARD, RESIDENCE_PERMIT, DRIVERS_LICENSE, VISA or OTHER.
    #[serde(rename = "type", default, skip_serializing_if = "Nullable::is_missing")]
    pub kind: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub number: Nullable<String>,
    /// ISO 3166 alpha-2.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub country: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub state: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub valid_from: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub valid_until: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub place_of_issue: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub first_issue: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub issue_number: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub issued_by: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub nfc_validated: Nullable<bool>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub residence_permit_type: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub portrait_is_visible: Nullable<bool>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub signature_is_visible: Nullable<bool>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `verification.additionalVerifiedData`: results of extra checks; `{}` when there are none.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdditionalVerifiedData {
    /// Driving-licence categories held: `{"B": true}`.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub drivers_license_category: Nullable<Extra>,
    /// Since when each category is held: `{"B": "2019-10-06"}`.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub drivers_license_category_from: Nullable<Extra>,
    /// Until when each category is held.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub drivers_license_category_until: Nullable<Extra>,
    /// Estimated age in years (age estimation).
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub estimated_age: Nullable<Number>,
    /// 0.0 (male) … 1.0 (female).
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub estimated_gender: Nullable<Number>,
    /// Proof-of-address result.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub proof_of_address: Nullable<ProofOfAddress>,
    /// Brazilian CPF validation result.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub cpf_validation: Nullable<Value>,
    /// Registry validation result.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub registry_validation: Nullable<Value>,
    /// Validation results.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub validation_results: Nullable<Vec<Value>>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `additionalVerifiedData.proofOfAddress`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct ProofOfAddress {
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub name_match: Nullable<bool>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub name_match_percentage: Nullable<Number>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub document_type: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub fraud: Nullable<FraudAssessment>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `proofOfAddress.fraud`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct FraudAssessment {
    /// LOW_RISK, MEDIUM_RISK or HIGH_RISK.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub risk_level: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub reason: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub reason_description: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub indicators: Nullable<Vec<Value>>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One of `verification.riskLabels`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskLabel {
    /// e.g. `document_integration_level_crosslinked_with_fraud`.
    pub label: String,
    /// e.g. `document`, `person`, `device`, `crosslinks`.
    pub category: String,
    /// Other sessions the label links to.
    #[serde(default)]
    pub session_ids: Vec<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `verification.biometricAuthentication`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BiometricAuthentication {
    /// The session whose face matched.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub matched_session_id: Nullable<String>,
    /// That session's vendorData.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub matched_session_vendor_data: Nullable<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `technicalData`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TechnicalData {
    /// The end-user's IP address.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub ip: Nullable<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}
