//! One verification session: ids, timeline and the person behind it, all drawn from
//! `(seed, index)` alone, so every kind generated for the same index describes the same session.

use crate::countries::{COUNTRIES, City, Country, DocSpec, NationalId, StreetStyle, by_code};
use crate::ids;
use crate::rng::Rand;
use crate::time::{DAY_MS, Date, MIN_MS};

/// Stream tag of the session draws.
pub(crate) const STREAM_SESSION: u64 = 0x5E55_1011;

/// Milliseconds between the creation times of consecutive session indices (plus jitter below it).
pub(crate) const SESSION_SPACING_MS: i64 = 3_000;
/// Indices wrap after this many sessions, so any `u64` index gives a time in range.
pub(crate) const INDEX_WRAP: u64 = 100_000_000;

/// A document as printed.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    pub(crate) spec: &'static DocSpec,
    pub(crate) number: String,
    pub(crate) valid_from: Date,
    pub(crate) valid_until: Date,
    pub(crate) first_issue: Option<Date>,
    pub(crate) issue_number: Option<String>,
    /// Driving-licence categories with the date each was first granted.
    pub(crate) categories: Vec<(&'static str, Date)>,
}

/// The person and document fields Veriff could not read, as a set of flags: each is `null` in
/// the decision (and in the Full Auto webhook, for the fields it has).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Unread(u32);

impl Unread {
    pub(crate) const FIRST_NAME: Unread = Unread(1);
    pub(crate) const LAST_NAME: Unread = Unread(1 << 1);
    pub(crate) const FULL_NAME: Unread = Unread(1 << 2);
    pub(crate) const DATE_OF_BIRTH: Unread = Unread(1 << 3);
    pub(crate) const YEAR_OF_BIRTH: Unread = Unread(1 << 4);
    pub(crate) const GENDER: Unread = Unread(1 << 5);
    pub(crate) const ID_NUMBER: Unread = Unread(1 << 6);
    pub(crate) const NATIONALITY: Unread = Unread(1 << 7);
    pub(crate) const PLACE_OF_BIRTH: Unread = Unread(1 << 8);
    /// The whole address list (`[]`).
    pub(crate) const ADDRESSES: Unread = Unread(1 << 9);
    /// `parsedAddress.city`.
    pub(crate) const CITY: Unread = Unread(1 << 10);
    pub(crate) const DOC_TYPE: Unread = Unread(1 << 11);
    pub(crate) const DOC_NUMBER: Unread = Unread(1 << 12);
    pub(crate) const DOC_COUNTRY: Unread = Unread(1 << 13);
    pub(crate) const DOC_STATE: Unread = Unread(1 << 14);
    pub(crate) const VALID_FROM: Unread = Unread(1 << 15);
    pub(crate) const VALID_UNTIL: Unread = Unread(1 << 16);
    pub(crate) const PLACE_OF_ISSUE: Unread = Unread(1 << 17);
    pub(crate) const FIRST_ISSUE: Unread = Unread(1 << 18);
    pub(crate) const ISSUE_NUMBER: Unread = Unread(1 << 19);
    pub(crate) const ISSUED_BY: Unread = Unread(1 << 20);
    /// Every field: nothing could be read.
    pub(crate) const ALL: Unread = Unread((1 << 21) - 1);

    /// Whether `field` (one flag) is unread.
    pub(crate) const fn has(self, field: Unread) -> bool {
        self.0 & field.0 != 0
    }

    /// Marks `field` unread.
    pub(crate) fn set(&mut self, field: Unread) {
        self.0 |= field.0;
    }

    /// Marks `field` unread when `unread`, read otherwise.
    pub(crate) fn assign(&mut self, field: Unread, unread: bool) {
        if unread {
            self.0 |= field.0;
        } else {
            self.0 &= !field.0;
        }
    }

    /// Each single flag of [`Unread::ALL`], in order.
    pub(crate) fn each() -> impl Iterator<Item = Unread> {
        (0..21).map(|bit| Unread(1 << bit))
    }
}

/// The person behind a session.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    /// The country of the document and of the address (of residence, for a residence permit).
    pub(crate) country: &'static Country,
    /// The holder's nationality: `country`, except for a residence permit or a visa, held by a
    /// national of another country (whose names the holder has).
    pub(crate) nationality: &'static Country,
    pub(crate) male: bool,
    pub(crate) first: &'static str,
    pub(crate) surname1: &'static str,
    pub(crate) surname2: Option<&'static str>,
    pub(crate) dob: Date,
    pub(crate) id_number: Option<String>,
    pub(crate) birth_city: &'static City,
    pub(crate) city: &'static City,
    pub(crate) street: &'static str,
    pub(crate) house: u32,
    pub(crate) unit: Option<String>,
    pub(crate) postcode: String,
    /// A US address whose house number Veriff leaves in `street` (`houseNumber` is then the
    /// string `"null"`, as in Veriff's docs sample).
    pub(crate) house_in_street: bool,
    pub(crate) doc: Doc,
    /// The fields Veriff could not read off the document.
    pub(crate) unread: Unread,
}

impl Doc {
    /// A document of `spec` numbered `number`, its dates all `today` until they are drawn.
    fn new(spec: &'static DocSpec, number: String, today: Date) -> Self {
        Self {
            spec,
            number,
            valid_from: today,
            valid_until: today,
            first_issue: None,
            issue_number: None,
            categories: Vec::new(),
        }
    }
}

impl Identity {
    /// `Surname1 Surname2` or `Surname`.
    pub(crate) fn last(&self) -> String {
        match self.surname2 {
            Some(s2) => format!("{} {s2}", self.surname1),
            None => self.surname1.to_owned(),
        }
    }

    /// `First Last`, as typed by a person.
    pub(crate) fn full_name(&self) -> String {
        format!("{} {}", self.first, self.last())
    }

    /// `M` or `F`.
    pub(crate) fn gender(&self) -> &'static str {
        if self.male { "M" } else { "F" }
    }

    /// The whole address on one line, as the country writes it.
    pub(crate) fn full_address(&self) -> String {
        let mut s = String::with_capacity(64);
        self.write_full_address(&mut s);
        s
    }

    /// Appends the one-line address: street line (`Mannerheimintie 12`, `Calle Mayor, 12`,
    /// `12 High Street`), unit, then postcode and city in the country's order, and the country.
    pub(crate) fn write_full_address(&self, s: &mut String) {
        use std::fmt::Write as _;
        let _ = match self.country.style {
            StreetStyle::NameNumber => write!(s, "{} {}", self.street, self.house),
            StreetStyle::NameCommaNumber => write!(s, "{}, {}", self.street, self.house),
            StreetStyle::NumberName => write!(s, "{} {}", self.house, self.street),
        };
        if let Some(unit) = &self.unit {
            s.push_str(", ");
            s.push_str(unit);
        }
        let c = self.country;
        let _ = match c.code {
            "GB" => write!(s, ", {} {}, {}", self.city.name, self.postcode, c.name),
            // As in Veriff's docs sample: `1234 Snowy Ridge Road, Indiana, 56789 USA`.
            "US" => write!(
                s,
                ", {}, {}, {} USA",
                self.city.name,
                self.city.state.unwrap_or_default(),
                self.postcode,
            ),
            _ => write!(s, ", {} {}, {}", self.postcode, self.city.name, c.name),
        };
    }

    /// `parsedAddress.country`: alpha-3 `USA` for the United States (as Veriff sends it), the
    /// alpha-2 code elsewhere.
    pub(crate) fn address_country(&self) -> &'static str {
        if self.country.code == "US" {
            "USA"
        } else {
            self.country.code
        }
    }

    /// Whether the document prints an address: ID cards and licences of DE, ES, IT, GB, US, MX,
    /// residence permits of DE, ES, IT.
    pub(crate) fn has_address(&self) -> bool {
        match self.doc.spec.kind {
            "ID_CARD" | "DRIVERS_LICENSE" => {
                matches!(self.country.code, "DE" | "ES" | "IT" | "GB" | "US" | "MX")
            }
            "RESIDENCE_PERMIT" => matches!(self.country.code, "DE" | "ES" | "IT"),
            _ => false,
        }
    }

    /// Whole years of age on `day`.
    pub(crate) fn age_on(&self, day: Date) -> i32 {
        self.dob.years_until(day)
    }

    /// The earliest issue date the document can have.
    pub(crate) fn min_issue(&self) -> Date {
        if self.doc.spec.kind == "DRIVERS_LICENSE" {
            self.dob.add_years(18)
        } else {
            self.dob.add_years(1)
        }
    }

    /// Makes the fields Veriff derives from others follow them: `yearOfBirth` is read with the
    /// date of birth, `fullName` with both names, the document's `state` not without its
    /// `country`, the `idNumber` printed as the document number (a DNI card) with that number,
    /// and licence categories only with the document type they prove.
    pub(crate) fn derive_unread(&mut self) {
        let u = &mut self.unread;
        u.assign(Unread::YEAR_OF_BIRTH, u.has(Unread::DATE_OF_BIRTH));
        u.assign(
            Unread::FULL_NAME,
            u.has(Unread::FIRST_NAME) || u.has(Unread::LAST_NAME),
        );
        if u.has(Unread::DOC_COUNTRY) {
            u.set(Unread::DOC_STATE);
        }
        if self.id_number.as_deref() == Some(self.doc.number.as_str()) {
            u.assign(Unread::ID_NUMBER, u.has(Unread::DOC_NUMBER));
        }
        if u.has(Unread::DOC_TYPE) {
            self.doc.categories.clear();
        }
    }

    /// Makes the document expired on `day` (reason 207), keeping it issued after birth.
    pub(crate) fn expire_document(&mut self, day: Date, rng: &mut Rand) {
        let min_from = self.min_issue().days();
        let room = day.days() - min_from - 2;
        let k = rng.range(1, room.clamp(1, 900));
        let until = Date::from_days(day.days() - k);
        let from = (until.add_years(-self.doc.spec.years).days() + 1).max(min_from);
        self.doc.valid_until = until;
        self.doc.valid_from = Date::from_days(from.min(until.days() - 1));
        self.fix_licence_dates();
    }

    fn fix_licence_dates(&mut self) {
        if let Some(first) = self.doc.first_issue
            && first > self.doc.valid_from
        {
            self.doc.first_issue = Some(self.doc.valid_from);
        }
        let from = self.doc.valid_from;
        for (_, since) in &mut self.doc.categories {
            if *since > from {
                *since = from;
            }
        }
    }
}

/// A session's ids, timeline (Unix milliseconds) and person.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) session_id: String,
    pub(crate) attempt_id: String,
    pub(crate) vendor_data: Option<String>,
    pub(crate) end_user_id: Option<String>,
    pub(crate) ip: String,
    /// Session created (the decision's `acceptanceTime`).
    pub(crate) created_ms: i64,
    /// End-user started the flow (event 7001).
    pub(crate) started_ms: i64,
    /// End-user submitted (event 7002).
    pub(crate) submitted_ms: i64,
    /// Decision made (`decisionTime`).
    pub(crate) decided_ms: i64,
    pub(crate) person: Identity,
}

fn vendor_data(rng: &mut Rand) -> Option<String> {
    const B36: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    match rng.weighted(&[35, 25, 15, 10, 15]) {
        0 => Some(format!("{:08}", rng.range(10_000_000, 99_999_999))),
        1 => {
            let mut s = String::from("usr_");
            for _ in 0..10 {
                s.push(char::from(*rng.pick(B36)));
            }
            Some(s)
        }
        2 => Some(rng.uuid()),
        3 => Some(format!("customer-{}", rng.range(10_000, 99_999))),
        _ => None,
    }
}

impl Session {
    /// Draws the session of `(seed, index)`; `country` pins the person's country (Mexican registry
    /// kinds use `MX`).
    pub(crate) fn draw(seed: u64, index: u64, anchor_ms: i64, country: Option<&str>) -> Session {
        let mut rng = Rand::new(seed, STREAM_SESSION, index);
        let session_id = rng.uuid();
        let attempt_id = rng.uuid();
        let vendor_data = vendor_data(&mut rng);
        let end_user_id = rng.pct(60).then(|| rng.uuid());
        let drawn = &COUNTRIES[rng.weighted_by(COUNTRIES, |c| c.weight)];
        let country_pinned = country.and_then(by_code);
        let country = country_pinned.unwrap_or(drawn);
        let ip = format!(
            "{}.{}.{}.{}",
            rng.pick(country.ip_octets),
            rng.range(0, 255),
            rng.range(0, 255),
            rng.range(1, 254)
        );
        let slot = (index % INDEX_WRAP) as i64;
        let created_ms =
            anchor_ms + slot * SESSION_SPACING_MS + rng.range(0, SESSION_SPACING_MS - 1);
        let started_ms = created_ms + rng.range(20_000, 10 * MIN_MS);
        let submitted_ms = started_ms + rng.range(MIN_MS, 12 * MIN_MS) + rng.range(0, 999);
        let decided_ms = submitted_ms + rng.range(5_000, 6 * MIN_MS) + rng.range(0, 999);
        let decision_day = Date::from_days(decided_ms.div_euclid(DAY_MS));
        let mut person = draw_person(&mut rng, country, decision_day);
        // Drawn after everything above, so that the earlier values stay as they were.
        misread(&mut rng, &mut person);
        if country_pinned.is_none() {
            other_document(&mut rng, &mut person, decision_day);
        }
        unprinted(&mut person);
        Session {
            session_id,
            attempt_id,
            vendor_data,
            end_user_id,
            ip,
            created_ms,
            started_ms,
            submitted_ms,
            decided_ms,
            person,
        }
    }

    /// The decision day (UTC).
    pub(crate) fn decision_day(&self) -> Date {
        Date::from_days(self.decided_ms.div_euclid(DAY_MS))
    }
}

/// OCR misses, each field on its own (gender ~4%, validFrom ~12%, placeOfIssue and issuedBy ~10%,
/// the address's city ~8%), and the US house-number quirk on half of US addresses.
fn misread(rng: &mut Rand, p: &mut Identity) {
    for (field, pct) in [
        (Unread::GENDER, 4),
        (Unread::VALID_FROM, 12),
        (Unread::PLACE_OF_ISSUE, 10),
        (Unread::ISSUED_BY, 10),
        (Unread::CITY, 8),
    ] {
        if rng.pct(pct) {
            p.unread.set(field);
        }
    }
    p.house_in_street = rng.pct(50) && p.country.code == "US";
}

/// What a document type never prints: no nationality on a driving licence, no sex on a UK one.
fn unprinted(p: &mut Identity) {
    if p.doc.spec.kind == "DRIVERS_LICENSE" {
        p.unread.set(Unread::NATIONALITY);
        if p.country.code == "GB" {
            p.unread.set(Unread::GENDER);
        }
    }
}

/// The Schengen states among the covered countries: their nationals need no residence permit or
/// visa in one another.
fn schengen(code: &str) -> bool {
    matches!(code, "FI" | "EE" | "DE" | "FR" | "ES" | "IT")
}

/// Replaces the document with a rarer type: a residence permit (~5% where the country issues
/// one) or a visa (~0.5%), held by a national of another covered country who needs one, or a
/// national document Veriff does not classify (`OTHER`, ~1%).
fn other_document(rng: &mut Rand, p: &mut Identity, today: Date) {
    let roll = rng.below(1_000);
    let country = p.country;
    let spec = match roll {
        0..50 => match &country.residence_permit {
            Some(spec) => spec,
            None => return,
        },
        50..55 => &country.visa,
        55..65 => &country.other,
        _ => return,
    };
    if spec.kind != "OTHER" {
        let eligible =
            |c: &Country| c.code != country.code && !(schengen(c.code) && schengen(country.code));
        let home =
            &COUNTRIES[rng.weighted_by(COUNTRIES, |c| if eligible(c) { c.weight } else { 0 })];
        p.nationality = home;
        p.first = *rng.pick(if p.male { home.male } else { home.female });
        p.surname1 = *rng.pick(home.last);
        p.surname2 = home.two_surnames.then(|| *rng.pick(home.last));
        p.birth_city = rng.pick(home.cities);
        p.id_number = None;
        if spec.kind == "VISA" {
            // Issued by a consulate in the holder's country: `placeOfIssue` is a city there.
            p.city = rng.pick(home.cities);
        }
    }
    let number = match spec.pattern {
        Some(pattern) => rng.pattern(pattern),
        None => ids::nie(rng),
    };
    p.doc = Doc::new(spec, number, today);
    let validity_days = i64::from(spec.years) * 365;
    let from = (today.days() - rng.range(20, validity_days - 20)).max(p.min_issue().days());
    p.doc.valid_from = Date::from_days(from);
    p.doc.valid_until = Date::from_days(p.doc.valid_from.add_years(spec.years).days() - 1);
}

fn draw_person(rng: &mut Rand, country: &'static Country, today: Date) -> Identity {
    let male = rng.pct(50);
    let first = *rng.pick(if male { country.male } else { country.female });
    let surname1 = *rng.pick(country.last);
    let surname2 = country.two_surnames.then(|| *rng.pick(country.last));
    // Adult: between 18 years (plus margin) and 80 years (minus margin) old on the decision day.
    let min_days = today.days() - today.add_years(-18).days() + 2;
    let max_days = today.days() - today.add_years(-80).days() - 2;
    let dob = Date::from_days(today.days() - rng.range(min_days, max_days));
    let birth_city = rng.pick(country.cities);
    let city = if rng.pct(40) {
        birth_city
    } else {
        rng.pick(country.cities)
    };
    let street = *rng.pick(country.streets);
    let house = if country.code == "US" {
        rng.range(100, 9_999)
    } else {
        rng.range(1, 150)
    } as u32;
    let unit = rng.pct(30).then(|| match country.code {
        "US" => format!("Apt {}", rng.range(1, 40)),
        "GB" => format!("Flat {}", rng.range(1, 20)),
        "FI" => format!("{} {}", rng.pick(&["A", "B", "C"]), rng.range(1, 60)),
        "BR" => format!("Apto {}", rng.range(11, 1_204)),
        "ES" | "MX" => format!("{}º {}", rng.range(1, 9), rng.pick(&["A", "B", "C", "D"])),
        _ => format!("{}", rng.range(1, 40)),
    });
    let postcode = rng.pattern(city.postcode);
    let id_number = match country.national_id {
        NationalId::None => None,
        NationalId::Hetu => ids::hetu(dob, male, rng),
        NationalId::Isikukood => ids::isikukood(dob, male, rng),
        NationalId::Dni => Some(ids::dni(rng)),
        NationalId::Curp => Some(ids::curp(
            first,
            surname1,
            surname2,
            dob,
            male,
            birth_city.curp_state,
            rng,
        )),
        NationalId::Cpf => Some(ids::cpf(rng)),
    };
    let spec = &country.docs[rng.weighted_by(country.docs, |d| d.weight)];
    let number = match (spec.pattern, country.code) {
        (Some(p), _) => rng.pattern(p),
        (None, "GB") => ids::gb_licence(surname1, first, dob, male, rng),
        (None, _) => id_number.clone().unwrap_or_else(|| ids::dni(rng)),
    };
    let mut identity = Identity {
        country,
        nationality: country,
        male,
        first,
        surname1,
        surname2,
        dob,
        id_number,
        birth_city,
        city,
        street,
        house,
        unit,
        postcode,
        house_in_street: false,
        doc: Doc::new(spec, number, today),
        unread: Unread::default(),
    };
    // Valid on the decision day: issued between 20 days and (validity - 20 days) ago, never before
    // the holder could have it.
    let validity_days = i64::from(spec.years) * 365;
    let min_from = identity.min_issue().days();
    let from = (today.days() - rng.range(20, validity_days - 20)).max(min_from);
    identity.doc.valid_from = Date::from_days(from);
    identity.doc.valid_until =
        Date::from_days(identity.doc.valid_from.add_years(spec.years).days() - 1);
    if spec.kind == "DRIVERS_LICENSE" {
        let first_issue = Date::from_days(min_from + rng.range(0, from - min_from));
        identity.doc.first_issue = Some(first_issue);
        if country.code == "GB" {
            identity.doc.issue_number = Some(format!("{:02}", rng.range(1, 12)));
        }
        let mut cats = vec![("B", first_issue)];
        for (cat, pct) in [("A", 25), ("AM", 15), ("BE", 15), ("C", 8)] {
            if rng.pct(pct) {
                let since = Date::from_days(rng.range(first_issue.days(), from));
                cats.push((cat, since));
            }
        }
        identity.doc.categories = cats;
    }
    identity
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_adult_and_valid() {
        for i in 0..300 {
            let s = Session::draw(11, i, 1_767_225_600_000, None);
            let p = &s.person;
            let day = s.decision_day();
            let age = p.age_on(day);
            assert!((18..=80).contains(&age), "age {age}");
            assert!(
                p.doc.valid_from <= day && day <= p.doc.valid_until,
                "{:?}",
                p.doc
            );
            assert!(p.doc.valid_from > p.dob);
            assert!(
                s.created_ms < s.started_ms
                    && s.started_ms < s.submitted_ms
                    && s.submitted_ms < s.decided_ms
            );
            let mut q = p.clone();
            q.expire_document(day, &mut Rand::new(1, 1, i));
            assert!(
                q.doc.valid_until < day
                    && q.doc.valid_from < q.doc.valid_until
                    && q.doc.valid_from > q.dob
            );
        }
        let mx = Session::draw(11, 3, 0, Some("MX"));
        assert_eq!(mx.person.country.code, "MX");
    }
}
