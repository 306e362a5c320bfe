//! The fast path for decisions: writes the JSON of a [`DecisionPlan`] straight into a byte
//! buffer, with no intermediate typed payload and almost no allocation. It writes exactly the
//! bytes that serializing the typed payload gives (same fields, order, escaping and number
//! format); a test checks the two agree on many payloads.

use crate::build::DecisionPlan;
use crate::session::{Identity, Unread};
use crate::time::{Date, write_date, write_millis};

/// A compact JSON writer over a byte buffer that tracks commas.
struct Json<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    scratch: String,
}

impl Json<'_> {
    fn open(&mut self) {
        self.out.push(b'{');
        self.first = true;
    }

    fn close(&mut self) {
        self.out.push(b'}');
        self.first = false;
    }

    fn key(&mut self, k: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(k.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    fn raw_str(&mut self, s: &str) {
        if s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
            // Rare: let serde_json escape it exactly as it would in the typed path.
            let _ = serde_json::to_writer(&mut *self.out, s);
        } else {
            self.out.push(b'"');
            self.out.extend_from_slice(s.as_bytes());
            self.out.push(b'"');
        }
    }

    fn str(&mut self, k: &str, v: &str) {
        self.key(k);
        self.raw_str(v);
    }

    fn upper(&mut self, k: &str, v: &str) {
        self.upper_parts(k, &[v]);
    }

    /// The uppercase of the parts joined with spaces, as a string value.
    fn upper_parts(&mut self, k: &str, parts: &[&str]) {
        let plain = |s: &&str| {
            s.bytes()
                .all(|b| b.is_ascii() && b != b'"' && b != b'\\' && b >= 0x20)
        };
        if parts.iter().all(plain) {
            self.key(k);
            self.out.push(b'"');
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    self.out.push(b' ');
                }
                self.out
                    .extend(part.bytes().map(|b| b.to_ascii_uppercase()));
            }
            self.out.push(b'"');
            return;
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                scratch.push(' ');
            }
            scratch.extend(part.chars().flat_map(char::to_uppercase));
        }
        self.str(k, &scratch);
        self.scratch = scratch;
    }

    fn opt(&mut self, k: &str, v: Option<&str>) {
        match v {
            Some(v) => self.str(k, v),
            None => self.null(k),
        }
    }

    fn null(&mut self, k: &str) {
        self.key(k);
        self.out.extend_from_slice(b"null");
    }

    fn int(&mut self, k: &str, v: i64) {
        self.key(k);
        let _ = serde_json::to_writer(&mut *self.out, &v);
    }

    fn float(&mut self, k: &str, v: f64) {
        self.key(k);
        if v.is_finite() {
            let _ = serde_json::to_writer(&mut *self.out, &v);
        } else {
            self.out.extend_from_slice(b"null");
        }
    }

    fn date(&mut self, k: &str, d: Date) {
        self.key(k);
        self.out.push(b'"');
        write_date(self.out, d);
        self.out.push(b'"');
    }

    fn millis(&mut self, k: &str, ms: i64) {
        self.key(k);
        self.out.push(b'"');
        write_millis(self.out, ms);
        self.out.push(b'"');
    }

    fn obj(&mut self, k: &str) {
        self.key(k);
        self.open();
    }
}

/// Writes the decision of `plan` (appending to `out`).
pub(crate) fn write_decision(plan: &DecisionPlan, out: &mut Vec<u8>) {
    let mut j = Json {
        out,
        first: true,
        scratch: String::new(),
    };
    let s = &plan.session;
    j.open();
    j.str("status", "success");
    j.obj("verification");
    j.str("id", &s.session_id);
    j.str("attemptId", &s.attempt_id);
    j.opt("vendorData", s.vendor_data.as_deref());
    j.opt("endUserId", s.end_user_id.as_deref());
    j.str("status", plan.st.as_str());
    j.int("code", i64::from(plan.code));
    j.opt("reason", plan.reason.map(|r| r.text));
    match plan.reason {
        Some(r) => j.int("reasonCode", i64::from(r.code)),
        None => j.null("reasonCode"),
    }
    if plan.no_data {
        j.null("decisionTime");
    } else {
        j.millis("decisionTime", s.decided_ms);
    }
    j.millis("acceptanceTime", plan.acceptance_ms);
    if plan.no_data {
        j.null("person");
        j.null("document");
        j.obj("additionalVerifiedData");
        j.close();
    } else {
        person(&mut j, &s.person);
        document(&mut j, &s.person);
        additional(&mut j, &s.person, plan.estimated);
    }
    if let Some(labels) = &plan.risk_labels {
        j.key("riskLabels");
        j.out.push(b'[');
        for (i, (label, category, ids)) in labels.iter().enumerate() {
            if i > 0 {
                j.out.push(b',');
            }
            j.open();
            j.str("label", label);
            j.str("category", category);
            j.key("sessionIds");
            j.out.push(b'[');
            for (k, id) in ids.iter().enumerate() {
                if k > 0 {
                    j.out.push(b',');
                }
                j.raw_str(id);
            }
            j.out.push(b']');
            j.close();
        }
        j.out.push(b']');
    }
    if let Some(id) = &plan.biometric {
        j.obj("biometricAuthentication");
        j.str("matchedSessionId", id);
        j.opt("matchedSessionVendorData", s.vendor_data.as_deref());
        j.close();
    }
    j.key("comments");
    j.out.extend_from_slice(b"[]");
    j.close();
    j.obj("technicalData");
    j.opt("ip", plan.ip.as_deref());
    j.close();
    j.close();
}

fn person(j: &mut Json<'_>, p: &Identity) {
    let u = p.unread;
    let passport = p.doc.spec.kind == "PASSPORT";
    j.obj("person");
    if !j.unread(u, Unread::FIRST_NAME, "firstName") {
        j.upper("firstName", p.first);
    }
    match p.surname2 {
        Some(s2) => {
            if !j.unread(u, Unread::LAST_NAME, "lastName") {
                j.upper_parts("lastName", &[p.surname1, s2]);
            }
            if !j.unread(u, Unread::FULL_NAME, "fullName") {
                j.upper_parts("fullName", &[p.first, p.surname1, s2]);
            }
        }
        None => {
            if !j.unread(u, Unread::LAST_NAME, "lastName") {
                j.upper("lastName", p.surname1);
            }
            if !j.unread(u, Unread::FULL_NAME, "fullName") {
                j.upper_parts("fullName", &[p.first, p.surname1]);
            }
        }
    }
    if !j.unread(u, Unread::DATE_OF_BIRTH, "dateOfBirth") {
        j.date("dateOfBirth", p.dob);
    }
    if !j.unread(u, Unread::YEAR_OF_BIRTH, "yearOfBirth") {
        j.int_str("yearOfBirth", i64::from(p.dob.y));
    }
    if !j.unread(u, Unread::GENDER, "gender") {
        j.str("gender", p.gender());
    }
    if !j.unread(u, Unread::ID_NUMBER, "idNumber") {
        j.opt("idNumber", p.id_number.as_deref());
    }
    if !j.unread(u, Unread::NATIONALITY, "nationality") {
        j.str("nationality", p.nationality.code);
    }
    j.null("citizenship");
    if passport && !u.has(Unread::PLACE_OF_BIRTH) {
        j.upper("placeOfBirth", p.birth_city.name);
    } else {
        j.null("placeOfBirth");
    }
    j.null("pepSanctionMatch");
    j.key("addresses");
    if p.has_address() && !u.has(Unread::ADDRESSES) {
        j.out.push(b'[');
        j.open();
        let mut scratch = std::mem::take(&mut j.scratch);
        scratch.clear();
        p.write_full_address(&mut scratch);
        j.str("fullAddress", &scratch);
        j.obj("parsedAddress");
        if p.house_in_street {
            use std::fmt::Write as _;
            scratch.clear();
            let _ = write!(scratch, "{} {}", p.house, p.street);
            j.str("street", &scratch);
        } else {
            j.str("street", p.street);
        }
        j.scratch = scratch;
        if !j.unread(u, Unread::CITY, "city") {
            j.str("city", p.city.name);
        }
        j.opt("state", p.city.state);
        j.str("postcode", &p.postcode);
        j.str("country", p.address_country());
        j.opt("unit", p.unit.as_deref());
        if p.house_in_street {
            j.str("houseNumber", "null");
        } else {
            j.int_str("houseNumber", i64::from(p.house));
        }
        j.close();
        j.close();
        j.out.push(b']');
    } else {
        j.out.extend_from_slice(b"[]");
    }
    j.close();
}

impl Json<'_> {
    /// An integer written as a JSON string (`"1967"`).
    fn int_str(&mut self, k: &str, v: i64) {
        self.key(k);
        self.out.push(b'"');
        let _ = serde_json::to_writer(&mut *self.out, &v);
        self.out.push(b'"');
    }

    /// Writes `k: null` and returns `true` when `field` is in `unread`.
    fn unread(&mut self, unread: Unread, field: Unread, k: &str) -> bool {
        let yes = unread.has(field);
        if yes {
            self.null(k);
        }
        yes
    }
}

fn document(j: &mut Json<'_>, p: &Identity) {
    let u = p.unread;
    let d = &p.doc;
    j.obj("document");
    if !j.unread(u, Unread::DOC_TYPE, "type") {
        j.str("type", d.spec.kind);
    }
    if !j.unread(u, Unread::DOC_NUMBER, "number") {
        j.str("number", &d.number);
    }
    if !j.unread(u, Unread::DOC_COUNTRY, "country") {
        j.str("country", p.country.code);
    }
    if p.country.code == "US"
        && matches!(d.spec.kind, "ID_CARD" | "DRIVERS_LICENSE")
        && !u.has(Unread::DOC_STATE)
    {
        j.str("state", p.city.state.unwrap_or_default());
    } else {
        j.null("state");
    }
    if !j.unread(u, Unread::VALID_FROM, "validFrom") {
        j.date("validFrom", d.valid_from);
    }
    if !j.unread(u, Unread::VALID_UNTIL, "validUntil") {
        j.date("validUntil", d.valid_until);
    }
    if !j.unread(u, Unread::PLACE_OF_ISSUE, "placeOfIssue") {
        j.upper("placeOfIssue", p.city.name);
    }
    match d.first_issue {
        Some(f) if !u.has(Unread::FIRST_ISSUE) => j.date("firstIssue", f),
        _ => j.null("firstIssue"),
    }
    if !j.unread(u, Unread::ISSUE_NUMBER, "issueNumber") {
        j.opt("issueNumber", d.issue_number.as_deref());
    }
    if !j.unread(u, Unread::ISSUED_BY, "issuedBy") {
        j.str("issuedBy", d.spec.issued_by);
    }
    j.close();
}

fn additional(j: &mut Json<'_>, p: &Identity, estimated: Option<(i64, f64)>) {
    j.obj("additionalVerifiedData");
    let cats = &p.doc.categories;
    if !cats.is_empty() {
        j.obj("driversLicenseCategory");
        for (name, _) in cats {
            j.key(name);
            j.out.extend_from_slice(b"true");
        }
        j.close();
        j.obj("driversLicenseCategoryFrom");
        for (name, since) in cats {
            j.date(name, *since);
        }
        j.close();
        if !p.unread.has(Unread::VALID_UNTIL) {
            j.obj("driversLicenseCategoryUntil");
            for (name, _) in cats {
                j.date(name, p.doc.valid_until);
            }
            j.close();
        }
    }
    if let Some((age, gender)) = estimated {
        j.int("estimatedAge", age);
        j.float("estimatedGender", gender);
    }
    j.close();
}
