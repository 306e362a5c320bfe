//! Country profiles: names, cities, streets, document formats and issuers that agree with each
//! other. Last names come from `fake`'s locales where it has one (de_DE, fr_FR, it_IT, pt_BR, and
//! en for GB/US); `fake` has no gendered first names, no es_ES, fi_FI or et_EE, so first names,
//! Spanish, Mexican, Finnish and Estonian surnames, cities and streets are small curated lists.

use fake::locales::{DE_DE, Data, EN, FR_FR, IT_IT, PT_BR};

/// A city: name, region (`parsedAddress.state`, or `None` where addresses have none), postcode
/// pattern (see `Rand::pattern`), and for Mexico the CURP state code.
#[derive(Debug)]
pub(crate) struct City {
    pub(crate) name: &'static str,
    pub(crate) state: Option<&'static str>,
    pub(crate) postcode: &'static str,
    pub(crate) curp_state: &'static str,
}

const fn c(name: &'static str, state: Option<&'static str>, postcode: &'static str) -> City {
    City {
        name,
        state,
        postcode,
        curp_state: "",
    }
}

const fn mx(
    name: &'static str,
    state: &'static str,
    postcode: &'static str,
    code: &'static str,
) -> City {
    City {
        name,
        state: Some(state),
        postcode,
        curp_state: code,
    }
}

/// How a street address is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreetStyle {
    /// `Mannerheimintie 12`
    NameNumber,
    /// `Calle Mayor, 12`
    NameCommaNumber,
    /// `12 High Street`
    NumberName,
}

/// A document type with its number pattern (`None` = computed) and issuing authority.
#[derive(Debug)]
pub(crate) struct DocSpec {
    pub(crate) kind: &'static str,
    pub(crate) weight: u32,
    pub(crate) pattern: Option<&'static str>,
    pub(crate) issued_by: &'static str,
    /// Validity in years.
    pub(crate) years: i32,
}

const fn doc(
    kind: &'static str,
    weight: u32,
    pattern: Option<&'static str>,
    issued_by: &'static str,
    years: i32,
) -> DocSpec {
    DocSpec {
        kind,
        weight,
        pattern,
        issued_by,
        years,
    }
}

/// How `person.idNumber` is made for a country.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NationalId {
    /// No national id number on the documents: `null`.
    None,
    /// Finnish henkilötunnus.
    Hetu,
    /// Estonian isikukood.
    Isikukood,
    /// Spanish DNI (also the ID card and licence number).
    Dni,
    /// Mexican CURP.
    Curp,
    /// Brazilian CPF.
    Cpf,
}

/// A country profile.
#[derive(Debug)]
pub(crate) struct Country {
    pub(crate) code: &'static str,
    pub(crate) name: &'static str,
    pub(crate) male: &'static [&'static str],
    pub(crate) female: &'static [&'static str],
    pub(crate) last: &'static [&'static str],
    /// Two surnames (Spanish naming).
    pub(crate) two_surnames: bool,
    pub(crate) cities: &'static [City],
    pub(crate) streets: &'static [&'static str],
    pub(crate) style: StreetStyle,
    pub(crate) docs: &'static [DocSpec],
    pub(crate) national_id: NationalId,
    /// First octets of public IPv4 blocks used by the country's ISPs.
    pub(crate) ip_octets: &'static [u8],
    pub(crate) weight: u32,
}

const FI_LAST: &[&str] = &[
    "Korhonen",
    "Virtanen",
    "Mäkinen",
    "Nieminen",
    "Mäkelä",
    "Hämäläinen",
    "Laine",
    "Heikkinen",
    "Koskinen",
    "Järvinen",
    "Lehtonen",
    "Lehtinen",
    "Saarinen",
    "Salminen",
    "Heinonen",
    "Niemi",
];
const EE_LAST: &[&str] = &[
    "Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Pärn", "Koppel", "Lepik",
    "Kallas", "Oja", "Vaher", "Kuusk", "Luik",
];
const ES_LAST: &[&str] = &[
    "García",
    "Rodríguez",
    "González",
    "Fernández",
    "López",
    "Martínez",
    "Sánchez",
    "Pérez",
    "Gómez",
    "Martín",
    "Jiménez",
    "Ruiz",
    "Hernández",
    "Díaz",
    "Moreno",
    "Álvarez",
    "Muñoz",
    "Romero",
];
const MX_LAST: &[&str] = &[
    "Hernández",
    "García",
    "Martínez",
    "López",
    "González",
    "Pérez",
    "Rodríguez",
    "Sánchez",
    "Ramírez",
    "Cruz",
    "Flores",
    "Gómez",
    "Morales",
    "Vázquez",
    "Reyes",
    "Jiménez",
    "Torres",
    "Díaz",
    "Villanueva",
    "Ortiz",
];

/// Every country the generator covers, with its weight in the mix.
pub(crate) static COUNTRIES: &[Country] = &[
    Country {
        code: "FI",
        name: "Finland",
        male: &[
            "Juhani", "Mikko", "Matti", "Antti", "Jari", "Timo", "Ville", "Eero", "Lauri", "Onni",
            "Aleksi", "Janne",
        ],
        female: &[
            "Aino", "Maria", "Anna", "Helmi", "Sanna", "Kaisa", "Liisa", "Emilia", "Johanna",
            "Tiina", "Elina", "Noora",
        ],
        last: FI_LAST,
        two_surnames: false,
        cities: &[
            c("Helsinki", None, "00###"),
            c("Espoo", None, "02###"),
            c("Tampere", None, "33###"),
            c("Turku", None, "20###"),
            c("Oulu", None, "90###"),
            c("Jyväskylä", None, "40###"),
            c("Kuopio", None, "70###"),
            c("Lahti", None, "15###"),
        ],
        streets: &[
            "Mannerheimintie",
            "Hämeenkatu",
            "Aleksanterinkatu",
            "Kauppakatu",
            "Koulukatu",
            "Rantatie",
            "Puistokatu",
            "Kirkkokatu",
            "Satamakatu",
        ],
        style: StreetStyle::NameNumber,
        docs: &[
            doc("PASSPORT", 40, Some("LL#######"), "POLIISI", 5),
            doc("ID_CARD", 40, Some("#########"), "POLIISI", 5),
            doc("DRIVERS_LICENSE", 20, Some("########"), "TRAFICOM", 15),
        ],
        national_id: NationalId::Hetu,
        ip_octets: &[62, 80, 84, 91, 194],
        weight: 10,
    },
    Country {
        code: "EE",
        name: "Estonia",
        male: &[
            "Andres", "Jaan", "Mart", "Toomas", "Rein", "Priit", "Tarmo", "Kristjan", "Martin",
            "Siim", "Rasmus", "Karl",
        ],
        female: &[
            "Kadri",
            "Liis",
            "Maarja",
            "Kristiina",
            "Tiina",
            "Triin",
            "Katrin",
            "Piret",
            "Kertu",
            "Laura",
            "Anu",
            "Helen",
        ],
        last: EE_LAST,
        two_surnames: false,
        cities: &[
            c("Tallinn", None, "1####"),
            c("Tartu", None, "50###"),
            c("Narva", None, "20###"),
            c("Pärnu", None, "80###"),
            c("Kohtla-Järve", None, "30###"),
            c("Viljandi", None, "71###"),
            c("Rakvere", None, "44###"),
            c("Kuressaare", None, "93###"),
        ],
        streets: &[
            "Narva mnt",
            "Pärnu mnt",
            "Tartu mnt",
            "Lai tn",
            "Pikk tn",
            "Rüütli tn",
            "Riia tn",
            "Kalda tee",
        ],
        style: StreetStyle::NameNumber,
        docs: &[
            doc("PASSPORT", 30, Some("K#######"), "PPA", 10),
            doc("ID_CARD", 55, Some("LL#######"), "PPA", 5),
            doc(
                "DRIVERS_LICENSE",
                15,
                Some("LL######"),
                "TRANSPORDIAMET",
                10,
            ),
        ],
        national_id: NationalId::Isikukood,
        ip_octets: &[84, 90, 193, 194, 213],
        weight: 10,
    },
    Country {
        code: "DE",
        name: "Germany",
        male: &[
            "Lukas",
            "Jonas",
            "Maximilian",
            "Felix",
            "Paul",
            "Thomas",
            "Michael",
            "Andreas",
            "Stefan",
            "Jürgen",
            "Uwe",
            "Tobias",
        ],
        female: &[
            "Anna",
            "Lena",
            "Sophie",
            "Laura",
            "Julia",
            "Sabine",
            "Petra",
            "Ursula",
            "Katharina",
            "Monika",
            "Claudia",
            "Jana",
        ],
        last: <DE_DE as Data>::NAME_LAST_NAME,
        two_surnames: false,
        cities: &[
            c("Berlin", Some("Berlin"), "10###"),
            c("Hamburg", Some("Hamburg"), "20###"),
            c("München", Some("Bayern"), "80###"),
            c("Köln", Some("Nordrhein-Westfalen"), "50###"),
            c("Frankfurt am Main", Some("Hessen"), "60###"),
            c("Stuttgart", Some("Baden-Württemberg"), "70###"),
            c("Leipzig", Some("Sachsen"), "04###"),
            c("Düsseldorf", Some("Nordrhein-Westfalen"), "40###"),
            c("Dresden", Some("Sachsen"), "01###"),
            c("Hannover", Some("Niedersachsen"), "30###"),
        ],
        streets: &[
            "Hauptstraße",
            "Schulstraße",
            "Bahnhofstraße",
            "Gartenstraße",
            "Dorfstraße",
            "Lindenstraße",
            "Bergstraße",
            "Kirchstraße",
            "Waldstraße",
            "Goethestraße",
        ],
        style: StreetStyle::NameNumber,
        docs: &[
            doc(
                "PASSPORT",
                35,
                Some("CXXXXXXXX"),
                "BUNDESREPUBLIK DEUTSCHLAND",
                10,
            ),
            doc(
                "ID_CARD",
                45,
                Some("LXXXXXXXX"),
                "BUNDESREPUBLIK DEUTSCHLAND",
                10,
            ),
            doc(
                "DRIVERS_LICENSE",
                20,
                Some("X###XXX#X##"),
                "KRAFTFAHRT-BUNDESAMT",
                15,
            ),
        ],
        national_id: NationalId::None,
        ip_octets: &[2, 31, 46, 77, 79, 84, 87, 91, 93, 217],
        weight: 12,
    },
    Country {
        code: "FR",
        name: "France",
        male: &[
            "Jean",
            "Pierre",
            "Louis",
            "Lucas",
            "Hugo",
            "Nicolas",
            "Julien",
            "Antoine",
            "Thomas",
            "Mathieu",
            "François",
            "Étienne",
        ],
        female: &[
            "Marie", "Camille", "Léa", "Chloé", "Manon", "Sophie", "Isabelle", "Nathalie",
            "Céline", "Juliette", "Élodie", "Amélie",
        ],
        last: <FR_FR as Data>::NAME_LAST_NAME,
        two_surnames: false,
        cities: &[
            c("Paris", None, "750##"),
            c("Marseille", None, "130##"),
            c("Lyon", None, "690##"),
            c("Toulouse", None, "310##"),
            c("Nice", None, "060##"),
            c("Nantes", None, "440##"),
            c("Strasbourg", None, "670##"),
            c("Bordeaux", None, "330##"),
            c("Lille", None, "590##"),
        ],
        streets: &[
            "rue de la République",
            "avenue Victor Hugo",
            "rue Pasteur",
            "boulevard Voltaire",
            "rue Jean Jaurès",
            "place de la Mairie",
            "rue du Moulin",
            "avenue de la Gare",
        ],
        style: StreetStyle::NumberName,
        docs: &[
            doc("PASSPORT", 40, Some("##LL#####"), "PRÉFECTURE", 10),
            doc("ID_CARD", 40, Some("XXXXXXXXX"), "PRÉFECTURE", 10),
            doc(
                "DRIVERS_LICENSE",
                20,
                Some("############"),
                "PRÉFECTURE",
                15,
            ),
        ],
        national_id: NationalId::None,
        ip_octets: &[2, 62, 78, 82, 86, 90, 109, 176],
        weight: 12,
    },
    Country {
        code: "ES",
        name: "Spain",
        male: &[
            "Antonio",
            "José",
            "Manuel",
            "Francisco",
            "David",
            "Javier",
            "Daniel",
            "Carlos",
            "Alejandro",
            "Pablo",
            "Sergio",
            "Álvaro",
        ],
        female: &[
            "María", "Carmen", "Ana", "Laura", "Lucía", "Isabel", "Marta", "Cristina", "Elena",
            "Paula", "Sara", "Raquel",
        ],
        last: ES_LAST,
        two_surnames: true,
        cities: &[
            c("Madrid", Some("Madrid"), "28###"),
            c("Barcelona", Some("Barcelona"), "08###"),
            c("Valencia", Some("Valencia"), "46###"),
            c("Sevilla", Some("Sevilla"), "41###"),
            c("Zaragoza", Some("Zaragoza"), "50###"),
            c("Málaga", Some("Málaga"), "29###"),
            c("Bilbao", Some("Bizkaia"), "48###"),
            c("Murcia", Some("Murcia"), "30###"),
        ],
        streets: &[
            "Calle Mayor",
            "Calle de Alcalá",
            "Gran Vía",
            "Calle Real",
            "Avenida de la Constitución",
            "Calle del Sol",
            "Paseo de Gracia",
            "Calle San Juan",
        ],
        style: StreetStyle::NameCommaNumber,
        docs: &[
            doc(
                "PASSPORT",
                35,
                Some("LLL######"),
                "DIRECCIÓN GENERAL DE LA POLICÍA",
                10,
            ),
            doc("ID_CARD", 50, None, "DIRECCIÓN GENERAL DE LA POLICÍA", 10),
            doc(
                "DRIVERS_LICENSE",
                15,
                None,
                "DIRECCIÓN GENERAL DE TRÁFICO",
                10,
            ),
        ],
        national_id: NationalId::Dni,
        ip_octets: &[2, 79, 80, 83, 88, 95, 188, 213],
        weight: 10,
    },
    Country {
        code: "IT",
        name: "Italy",
        male: &[
            "Marco",
            "Giuseppe",
            "Luca",
            "Andrea",
            "Francesco",
            "Alessandro",
            "Matteo",
            "Lorenzo",
            "Giovanni",
            "Davide",
            "Stefano",
            "Paolo",
        ],
        female: &[
            "Giulia",
            "Francesca",
            "Chiara",
            "Sara",
            "Martina",
            "Valentina",
            "Alessia",
            "Elena",
            "Federica",
            "Silvia",
            "Laura",
            "Anna",
        ],
        last: <IT_IT as Data>::NAME_LAST_NAME,
        two_surnames: false,
        cities: &[
            c("Roma", Some("Lazio"), "001##"),
            c("Milano", Some("Lombardia"), "201##"),
            c("Napoli", Some("Campania"), "801##"),
            c("Torino", Some("Piemonte"), "101##"),
            c("Palermo", Some("Sicilia"), "901##"),
            c("Genova", Some("Liguria"), "161##"),
            c("Bologna", Some("Emilia-Romagna"), "401##"),
            c("Firenze", Some("Toscana"), "501##"),
        ],
        streets: &[
            "Via Roma",
            "Via Garibaldi",
            "Corso Vittorio Emanuele II",
            "Via Mazzini",
            "Via Dante Alighieri",
            "Piazza del Popolo",
            "Via Giuseppe Verdi",
            "Viale Europa",
        ],
        style: StreetStyle::NameNumber,
        docs: &[
            doc(
                "PASSPORT",
                35,
                Some("LL#######"),
                "MINISTERO DEGLI AFFARI ESTERI",
                10,
            ),
            doc(
                "ID_CARD",
                45,
                Some("CA#####LL"),
                "MINISTERO DELL'INTERNO",
                10,
            ),
            doc("DRIVERS_LICENSE", 20, Some("U1XXXXXXXL"), "MIT-UCO", 10),
        ],
        national_id: NationalId::None,
        ip_octets: &[2, 5, 79, 87, 93, 151, 193],
        weight: 10,
    },
    Country {
        code: "GB",
        name: "United Kingdom",
        male: &[
            "Oliver", "George", "Harry", "Jack", "James", "William", "Thomas", "Daniel", "Matthew",
            "David", "Andrew", "Richard",
        ],
        female: &[
            "Olivia",
            "Amelia",
            "Emily",
            "Sophie",
            "Charlotte",
            "Jessica",
            "Sarah",
            "Emma",
            "Hannah",
            "Lucy",
            "Rebecca",
            "Claire",
        ],
        last: <EN as Data>::NAME_LAST_NAME,
        two_surnames: false,
        cities: &[
            c("London", None, "E1 #??"),
            c("Manchester", None, "M1 #??"),
            c("Birmingham", None, "B1 #??"),
            c("Leeds", None, "LS1 #??"),
            c("Glasgow", None, "G1 #??"),
            c("Liverpool", None, "L1 #??"),
            c("Bristol", None, "BS1 #??"),
            c("Edinburgh", None, "EH1 #??"),
            c("Cardiff", None, "CF10 #??"),
        ],
        streets: &[
            "High Street",
            "Station Road",
            "Church Lane",
            "Victoria Road",
            "Green Lane",
            "Park Road",
            "Manor Road",
            "Queen Street",
            "King Street",
        ],
        style: StreetStyle::NumberName,
        docs: &[
            doc("PASSPORT", 55, Some("#########"), "HMPO", 10),
            doc("DRIVERS_LICENSE", 45, None, "DVLA", 10),
        ],
        national_id: NationalId::None,
        ip_octets: &[2, 31, 51, 81, 86, 90, 92, 109],
        weight: 12,
    },
    Country {
        code: "US",
        name: "United States",
        male: &[
            "James",
            "John",
            "Robert",
            "Michael",
            "William",
            "David",
            "Christopher",
            "Matthew",
            "Joshua",
            "Daniel",
            "Anthony",
            "Ryan",
        ],
        female: &[
            "Mary",
            "Jennifer",
            "Linda",
            "Elizabeth",
            "Jessica",
            "Sarah",
            "Ashley",
            "Emily",
            "Megan",
            "Amanda",
            "Lauren",
            "Nicole",
        ],
        last: <EN as Data>::NAME_LAST_NAME,
        two_surnames: false,
        cities: &[
            c("New York", Some("New York"), "100##"),
            c("Los Angeles", Some("California"), "900##"),
            c("Chicago", Some("Illinois"), "606##"),
            c("Houston", Some("Texas"), "770##"),
            c("Phoenix", Some("Arizona"), "850##"),
            c("Philadelphia", Some("Pennsylvania"), "191##"),
            c("Seattle", Some("Washington"), "981##"),
            c("Denver", Some("Colorado"), "802##"),
            c("Boston", Some("Massachusetts"), "021##"),
            c("Miami", Some("Florida"), "331##"),
        ],
        streets: &[
            "Main Street",
            "Oak Street",
            "Maple Avenue",
            "Washington Street",
            "Park Avenue",
            "Elm Street",
            "Cedar Lane",
            "Lake Drive",
            "Sunset Boulevard",
            "Pine Street",
        ],
        style: StreetStyle::NumberName,
        docs: &[
            doc(
                "PASSPORT",
                30,
                Some("#########"),
                "UNITED STATES DEPARTMENT OF STATE",
                10,
            ),
            doc(
                "ID_CARD",
                10,
                Some("L#######"),
                "DEPARTMENT OF MOTOR VEHICLES",
                8,
            ),
            doc(
                "DRIVERS_LICENSE",
                60,
                Some("L#######"),
                "DEPARTMENT OF MOTOR VEHICLES",
                8,
            ),
        ],
        national_id: NationalId::None,
        ip_octets: &[24, 50, 63, 68, 71, 73, 98, 104, 107, 173],
        weight: 12,
    },
    Country {
        code: "MX",
        name: "Mexico",
        male: &[
            "José",
            "Juan",
            "Luis",
            "Carlos",
            "Jorge",
            "Miguel",
            "Alejandro",
            "Fernando",
            "Ricardo",
            "Eduardo",
            "Arturo",
            "Héctor",
        ],
        female: &[
            "María",
            "Guadalupe",
            "Fernanda",
            "Sofía",
            "Daniela",
            "Mariana",
            "Gabriela",
            "Verónica",
            "Alejandra",
            "Adriana",
            "Patricia",
            "Claudia",
        ],
        last: MX_LAST,
        two_surnames: true,
        cities: &[
            mx("Ciudad de México", "Ciudad de México", "06###", "DF"),
            mx("Guadalajara", "Jalisco", "44###", "JC"),
            mx("Monterrey", "Nuevo León", "64###", "NL"),
            mx("Puebla", "Puebla", "72###", "PL"),
            mx("Mérida", "Yucatán", "97###", "YN"),
            mx("León", "Guanajuato", "37###", "GT"),
            mx("Querétaro", "Querétaro", "76###", "QT"),
            mx("Hermosillo", "Sonora", "83###", "SR"),
            mx("Veracruz", "Veracruz", "91###", "VZ"),
            mx("Tijuana", "Baja California", "22###", "BC"),
        ],
        streets: &[
            "Avenida Insurgentes Sur",
            "Calle Hidalgo",
            "Avenida Juárez",
            "Calle Morelos",
            "Paseo de la Reforma",
            "Calle Zaragoza",
            "Calle 5 de Mayo",
            "Avenida Revolución",
        ],
        style: StreetStyle::NameNumber,
        docs: &[
            doc(
                "PASSPORT",
                35,
                Some("L########"),
                "SECRETARÍA DE RELACIONES EXTERIORES",
                6,
            ),
            doc(
                "ID_CARD",
                65,
                Some("#########"),
                "INSTITUTO NACIONAL ELECTORAL",
                10,
            ),
        ],
        national_id: NationalId::Curp,
        ip_octets: &[187, 189, 200, 201],
        weight: 8,
    },
    Country {
        code: "BR",
        name: "Brazil",
        male: &[
            "João", "Pedro", "Lucas", "Gabriel", "Rafael", "Felipe", "Gustavo", "Matheus", "Bruno",
            "Thiago", "Rodrigo", "Carlos",
        ],
        female: &[
            "Maria",
            "Ana",
            "Juliana",
            "Fernanda",
            "Beatriz",
            "Larissa",
            "Camila",
            "Mariana",
            "Letícia",
            "Patrícia",
            "Aline",
            "Gabriela",
        ],
        last: <PT_BR as Data>::NAME_LAST_NAME,
        two_surnames: false,
        cities: &[
            c("São Paulo", Some("São Paulo"), "01###-###"),
            c("Rio de Janeiro", Some("Rio de Janeiro"), "20###-###"),
            c("Belo Horizonte", Some("Minas Gerais"), "30###-###"),
            c("Salvador", Some("Bahia"), "40###-###"),
            c("Brasília", Some("Distrito Federal"), "70###-###"),
            c("Curitiba", Some("Paraná"), "80###-###"),
            c("Porto Alegre", Some("Rio Grande do Sul"), "90###-###"),
            c("Recife", Some("Pernambuco"), "50###-###"),
        ],
        streets: &[
            "Rua das Flores",
            "Avenida Paulista",
            "Rua Sete de Setembro",
            "Rua XV de Novembro",
            "Avenida Brasil",
            "Rua São João",
            "Rua da Consolação",
            "Avenida Atlântica",
        ],
        style: StreetStyle::NameCommaNumber,
        docs: &[
            doc("PASSPORT", 30, Some("LL######"), "POLÍCIA FEDERAL", 10),
            doc("ID_CARD", 40, Some("#########"), "SSP", 10),
            doc("DRIVERS_LICENSE", 30, Some("###########"), "DETRAN", 10),
        ],
        national_id: NationalId::Cpf,
        ip_octets: &[177, 179, 186, 187, 189, 191, 200, 201],
        weight: 8,
    },
];

/// The country with an ISO 3166 alpha-2 code.
pub(crate) fn by_code(code: &str) -> Option<&'static Country> {
    COUNTRIES.iter().find(|c| c.code == code)
}

/// The ISO alpha-2 codes of every covered country.
#[must_use]
pub fn covered_countries() -> Vec<&'static str> {
    COUNTRIES.iter().map(|c| c.code).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_usable() {
        assert!(COUNTRIES.len() >= 8);
        for c in COUNTRIES {
            assert!(
                !c.male.is_empty() && !c.female.is_empty() && !c.last.is_empty(),
                "{}",
                c.code
            );
            assert!(!c.cities.is_empty() && !c.streets.is_empty() && !c.docs.is_empty());
            assert!(!c.ip_octets.is_empty());
            if c.code == "MX" {
                assert!(c.cities.iter().all(|city| city.curp_state.len() == 2));
            }
        }
        assert!(by_code("EE").is_some() && by_code("XX").is_none());
    }
}
