//! National id numbers and document numbers with real check digits, and their checkers (used by
//! [`crate::invariants`]).

use crate::rng::Rand;
use crate::time::Date;

/// Uppercase ASCII of a Latin name: accents dropped, `Ñ` kept as `Ñ` only where asked.
pub(crate) fn fold_upper(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let up = match c {
                'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'Á' | 'À' | 'Â' | 'Ä' | 'Ã' | 'Å' => {
                    'A'
                }
                'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'E',
                'í' | 'ì' | 'î' | 'ï' | 'Í' | 'Ì' | 'Î' | 'Ï' => 'I',
                'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' => 'O',
                'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ù' | 'Û' | 'Ü' => 'U',
                'ñ' | 'Ñ' => 'X',
                'ç' | 'Ç' => 'C',
                'ß' => 'S',
                c if c.is_ascii_alphabetic() => c.to_ascii_uppercase(),
                _ => return None,
            };
            Some(up)
        })
        .collect()
}

// ---------------------------------------------------------------- Finland: henkilötunnus

const HETU_CHECK: &[u8; 31] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";

/// `DDMMYYCZZZQ`: century sign `+` (1800s), `-` (1900s) or `A` (2000s), odd individual number
/// for men; `None` outside 1800–2099.
pub(crate) fn hetu(dob: Date, male: bool, rng: &mut Rand) -> Option<String> {
    let mut zzz = rng.range(2, 899) as u32;
    if (zzz % 2 == 1) != male {
        zzz = if zzz >= 899 { zzz - 1 } else { zzz + 1 };
    }
    let yy = dob.y.rem_euclid(100) as u32;
    let n = dob.d * 10_000_000 + dob.m * 100_000 + yy * 1000 + zzz;
    let sign = match dob.y {
        1800..=1899 => '+',
        1900..=1999 => '-',
        2000..=2099 => 'A',
        _ => return None,
    };
    Some(format!(
        "{:02}{:02}{:02}{sign}{zzz:03}{}",
        dob.d,
        dob.m,
        yy,
        char::from(HETU_CHECK[(n % 31) as usize])
    ))
}

/// Decodes a valid henkilötunnus into (date of birth, male).
pub(crate) fn check_hetu(s: &str) -> Option<(Date, bool)> {
    let b = s.as_bytes();
    if b.len() != 11 {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let (d, m, yy, zzz) = (digits(0..2)?, digits(2..4)?, digits(4..6)?, digits(7..10)?);
    let century = match b[6] {
        b'+' => 1800,
        b'-' | b'Y' | b'X' | b'W' | b'V' | b'U' => 1900,
        b'A' | b'B' | b'C' | b'D' | b'E' | b'F' => 2000,
        _ => return None,
    };
    let n = d * 10_000_000 + m * 100_000 + yy * 1000 + zzz;
    if HETU_CHECK[(n % 31) as usize] != b[10] {
        return None;
    }
    let date = Date::parse(&format!("{:04}-{m:02}-{d:02}", century + yy as i32))?;
    Some((date, zzz % 2 == 1))
}

// ---------------------------------------------------------------- Estonia: isikukood

fn isikukood_check(d: &[u32; 10]) -> u32 {
    let w1 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1];
    let w2 = [3, 4, 5, 6, 7, 8, 9, 1, 2, 3];
    let s1: u32 = d.iter().zip(w1).map(|(a, b)| a * b).sum::<u32>() % 11;
    if s1 < 10 {
        return s1;
    }
    let s2: u32 = d.iter().zip(w2).map(|(a, b)| a * b).sum::<u32>() % 11;
    if s2 < 10 { s2 } else { 0 }
}

/// `GYYMMDDSSSC`: G = 1/2 (1800s man/woman), 3/4 (1900s), 5/6 (2000s), 7/8 (2100s); `None`
/// outside 1800–2199.
pub(crate) fn isikukood(dob: Date, male: bool, rng: &mut Rand) -> Option<String> {
    if !(1800..2200).contains(&dob.y) {
        return None;
    }
    let g = ((dob.y - 1800) / 100) as u32 * 2 + if male { 1 } else { 2 };
    let yy = dob.y.rem_euclid(100) as u32;
    let sss = rng.range(0, 999) as u32;
    let d = [
        g,
        yy / 10,
        yy % 10,
        dob.m / 10,
        dob.m % 10,
        dob.d / 10,
        dob.d % 10,
        sss / 100,
        sss / 10 % 10,
        sss % 10,
    ];
    let mut s: String = d.iter().map(|x| char::from(b'0' + *x as u8)).collect();
    s.push(char::from(b'0' + isikukood_check(&d) as u8));
    Some(s)
}

/// Decodes a valid isikukood into (date of birth, male).
pub(crate) fn check_isikukood(s: &str) -> Option<(Date, bool)> {
    let b = s.as_bytes();
    if b.len() != 11 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v: Vec<u32> = b.iter().map(|c| u32::from(c - b'0')).collect();
    let mut d = [0u32; 10];
    d.copy_from_slice(&v[..10]);
    if isikukood_check(&d) != v[10] {
        return None;
    }
    let century = match v[0] {
        1 | 2 => 1800,
        3 | 4 => 1900,
        5 | 6 => 2000,
        7 | 8 => 2100,
        _ => return None,
    };
    let y = century + (v[1] * 10 + v[2]) as i32;
    let date = Date::parse(&format!("{y:04}-{}{}-{}{}", v[3], v[4], v[5], v[6]))?;
    Some((date, v[0] % 2 == 1))
}

// ---------------------------------------------------------------- Spain: DNI

const DNI_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";

/// Eight digits and the mod-23 check letter.
pub(crate) fn dni(rng: &mut Rand) -> String {
    let n = rng.range(10_000_000, 79_999_999) as u64;
    format!("{n:08}{}", char::from(DNI_LETTERS[(n % 23) as usize]))
}

/// Whether a DNI's letter is right.
pub(crate) fn check_dni(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 9
        && b[..8].iter().all(u8::is_ascii_digit)
        && s[..8]
            .parse::<u64>()
            .is_ok_and(|n| DNI_LETTERS[(n % 23) as usize] == b[8])
}

/// A foreigner's NIE (the number of a Spanish residence card): `X`, `Y` or `Z` (standing for 0, 1,
/// 2), seven digits and the DNI check letter of the whole number.
pub(crate) fn nie(rng: &mut Rand) -> String {
    let prefix = rng.below(3);
    let n = rng.range(0, 9_999_999) as u64;
    let letter = DNI_LETTERS[((prefix * 10_000_000 + n) % 23) as usize];
    format!(
        "{}{n:07}{}",
        char::from(b"XYZ"[prefix as usize]),
        char::from(letter)
    )
}

/// Whether a NIE's letter is right.
pub(crate) fn check_nie(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(prefix) = b.first().and_then(|c| b"XYZ".iter().position(|x| x == c)) else {
        return false;
    };
    b.len() == 9 && check_dni(&format!("{prefix}{}", &s[1..]))
}

// ---------------------------------------------------------------- Brazil: CPF

fn cpf_digit(digits: &[u32]) -> u32 {
    let n = digits.len() as u32 + 1;
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| d * (n - i as u32))
        .sum();
    let r = sum * 10 % 11;
    if r == 10 { 0 } else { r }
}

/// Eleven digits with both check digits.
pub(crate) fn cpf(rng: &mut Rand) -> String {
    let mut d: Vec<u32> = (0..9).map(|_| rng.below(10) as u32).collect();
    if d.iter().all(|x| *x == d[0]) {
        d[8] = (d[8] + 1) % 10;
    }
    let d1 = cpf_digit(&d);
    d.push(d1);
    let d2 = cpf_digit(&d);
    d.push(d2);
    d.iter().map(|x| char::from(b'0' + *x as u8)).collect()
}

/// Whether a CPF's check digits are right.
pub(crate) fn check_cpf(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 11 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let d: Vec<u32> = b.iter().map(|c| u32::from(c - b'0')).collect();
    cpf_digit(&d[..9]) == d[9] && cpf_digit(&d[..10]) == d[10]
}

// ---------------------------------------------------------------- Mexico: CURP

const CURP_ALPHABET: &str = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ";

fn curp_check(first17: &str) -> Option<char> {
    let mut sum = 0u32;
    for (i, c) in first17.chars().enumerate() {
        let v = CURP_ALPHABET.chars().position(|a| a == c)? as u32;
        sum += v * (18 - i as u32);
    }
    Some(char::from(b'0' + ((10 - sum % 10) % 10) as u8))
}

fn is_vowel(c: char) -> bool {
    matches!(c, 'A' | 'E' | 'I' | 'O' | 'U')
}

/// The CURP of a person: name letters, YYMMDD, H/M, state, internal consonants, homoclave
/// (digit before 2000, letter after) and check digit.
pub(crate) fn curp(
    first: &str,
    surname1: &str,
    surname2: Option<&str>,
    dob: Date,
    male: bool,
    state: &str,
    rng: &mut Rand,
) -> String {
    let s1 = fold_upper(surname1);
    let s2 = surname2.map(fold_upper).unwrap_or_default();
    let f = fold_upper(first);
    let first_of = |s: &str| s.chars().next().unwrap_or('X');
    let inner_vowel = |s: &str| s.chars().skip(1).find(|c| is_vowel(*c)).unwrap_or('X');
    let inner_consonant = |s: &str| s.chars().skip(1).find(|c| !is_vowel(*c)).unwrap_or('X');
    let mut out = String::with_capacity(18);
    out.push(first_of(&s1));
    out.push(inner_vowel(&s1));
    out.push(if s2.is_empty() { 'X' } else { first_of(&s2) });
    out.push(first_of(&f));
    let yy = dob.y.rem_euclid(100);
    out.push_str(&format!("{yy:02}{:02}{:02}", dob.m, dob.d));
    out.push(if male { 'H' } else { 'M' });
    out.push_str(state);
    out.push(inner_consonant(&s1));
    out.push(if s2.is_empty() {
        'X'
    } else {
        inner_consonant(&s2)
    });
    out.push(inner_consonant(&f));
    out.push(if dob.y >= 2000 {
        rng.letter()
    } else {
        rng.digit()
    });
    let check = curp_check(&out).unwrap_or('0');
    out.push(check);
    out
}

/// Decodes a valid CURP into (yy, mm, dd, male), checking its shape and check digit.
pub(crate) fn check_curp(s: &str) -> Option<(u32, u32, u32, bool)> {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() != 18 {
        return None;
    }
    let first17: String = chars[..17].iter().collect();
    if curp_check(&first17)? != chars[17] {
        return None;
    }
    let num = |a: usize| -> Option<u32> {
        Some(chars[a].to_digit(10)? * 10 + chars[a + 1].to_digit(10)?)
    };
    let male = match chars[10] {
        'H' => true,
        'M' => false,
        _ => return None,
    };
    Some((num(4)?, num(6)?, num(8)?, male))
}

// ---------------------------------------------------------------- Great Britain: driving licence

/// DVLA driver number: surname (5, padded with 9), decade digit, month (+50 for women), day, year
/// digit, two initials (padded with 9), the digit 9, and two check letters.
pub(crate) fn gb_licence(
    surname: &str,
    first: &str,
    dob: Date,
    male: bool,
    rng: &mut Rand,
) -> String {
    let mut s: String = fold_upper(surname).chars().take(5).collect();
    while s.len() < 5 {
        s.push('9');
    }
    let yy = dob.y.rem_euclid(100) as u32;
    let month = dob.m + if male { 0 } else { 50 };
    s.push_str(&format!("{}{month:02}{:02}{}", yy / 10, dob.d, yy % 10));
    let initial = fold_upper(first).chars().next().unwrap_or('9');
    s.push(initial);
    s.push('9');
    s.push('9');
    s.push(rng.letter());
    s.push(rng.letter());
    s
}

/// Decodes a DVLA driver number into (yy, mm, dd, male).
pub(crate) fn check_gb_licence(s: &str) -> Option<(u32, u32, u32, bool)> {
    let b = s.as_bytes();
    if b.len() != 16 || !b[5..11].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let d = |i: usize| u32::from(b[i] - b'0');
    let yy = d(5) * 10 + d(10);
    let mut month = d(6) * 10 + d(7);
    let male = month <= 12;
    if !male {
        month -= 50;
    }
    let day = d(8) * 10 + d(9);
    ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some((yy, month, day, male))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_examples() {
        // Published example numbers.
        assert_eq!(
            check_hetu("131052-308T"),
            Some((
                Date {
                    y: 1952,
                    m: 10,
                    d: 13
                },
                false
            ))
        );
        assert_eq!(
            check_isikukood("37605030299"),
            Some((
                Date {
                    y: 1976,
                    m: 5,
                    d: 3
                },
                true
            ))
        );
        assert!(check_dni("12345678Z"));
        assert!(!check_dni("12345678A"));
        assert!(check_cpf("52998224725"));
        assert!(!check_cpf("52998224724"));
        assert_eq!(check_curp("VISH760905HSRLNN06"), Some((76, 9, 5, true)));
        assert_eq!(
            check_gb_licence("MORGA753116SM9IJ"),
            Some((76, 3, 11, false))
        );
    }

    #[test]
    fn centuries_outside_the_schemes_have_no_number() {
        let mut rng = Rand::new(1, 2, 3);
        let far = Date {
            y: 2150,
            m: 1,
            d: 2,
        };
        assert!(hetu(far, true, &mut rng).is_none());
        assert_eq!(
            check_isikukood(&isikukood(far, false, &mut rng).unwrap()),
            Some((far, false))
        );
        assert!(
            isikukood(
                Date {
                    y: 2250,
                    m: 1,
                    d: 2
                },
                true,
                &mut rng
            )
            .is_none()
        );
    }

    #[test]
    fn generated_numbers_check() {
        let mut rng = Rand::new(1, 2, 3);
        for i in 0..200 {
            let dob = Date::from_days(-15_000 + i * 97);
            let male = i % 2 == 0;
            assert_eq!(
                check_hetu(&hetu(dob, male, &mut rng).unwrap()),
                Some((dob, male))
            );
            assert_eq!(
                check_isikukood(&isikukood(dob, male, &mut rng).unwrap()),
                Some((dob, male))
            );
            assert!(check_dni(&dni(&mut rng)));
            assert!(check_nie(&nie(&mut rng)));
            assert!(check_cpf(&cpf(&mut rng)));
            let c = curp("José", "Núñez", Some("Ortiz"), dob, male, "DF", &mut rng);
            let yy = dob.y.rem_euclid(100) as u32;
            assert_eq!(check_curp(&c), Some((yy, dob.m, dob.d, male)), "{c}");
            let l = gb_licence("O'Brien", "Sarah", dob, male, &mut rng);
            assert_eq!(check_gb_licence(&l), Some((yy, dob.m, dob.d, male)), "{l}");
        }
    }

    #[test]
    fn nie_letters() {
        // Published examples: X1234567L, Y1234567X, Z1234567R.
        assert!(check_nie("X1234567L") && check_nie("Y1234567X") && check_nie("Z1234567R"));
        assert!(!check_nie("X1234567A") && !check_nie("12345678Z"));
    }
}
