//! Where a signal is (spec 01 §3.1, 03 §2.3): a point in WGS84 inside the
//! accepted bounding box, the city district derived from the areas, and the
//! address as the client sent it with the texts computed from it.

use std::fmt;

use serde_json::{Map, Value};

/// A point, `[longitude, latitude]` in WGS84 (SRID 4326).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub lon: f64,
    pub lat: f64,
}

/// Why a `geometrie` was refused, with the reference's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GeometryError {
    /// Not a point in any of the accepted notations.
    #[error(
        "Invalid format: string or unicode input unrecognized as GeoJSON, WKT EWKT or HEXEWKB."
    )]
    InvalidFormat,
    /// A point, but not inside [`BoundingBox`] (or not in WGS84).
    #[error(
        "The location coordinates (WS84) are not inside the bounding box we are accepting signals for."
    )]
    OutsideBoundingBox,
}

const WGS84: u32 = 4326;

impl Point {
    /// Reads a `geometrie` as the reference does (djangorestframework-gis
    /// over GEOS): a GeoJSON Point object (type name in any case), or a
    /// string holding GeoJSON, WKT (`POINT (4.9 52.37)`), EWKT
    /// (`SRID=4326;POINT (…)`) or hex (E)WKB. Only points are accepted — the
    /// reference fails with a server error on other geometry types — and a Z
    /// value is dropped. A point in another reference system than WGS84 is
    /// refused as outside the bounding box, which is what the reference's
    /// check on the raw coordinates amounts to.
    pub fn from_geometrie(value: &Value, bbox: &BoundingBox) -> Result<Point, GeometryError> {
        let (point, srid) = match value {
            Value::Object(object) => (geojson(object)?, None),
            Value::String(text) => text_geometry(text.trim())?,
            _ => return Err(GeometryError::InvalidFormat),
        };
        if srid.is_some_and(|srid| srid != WGS84) || !bbox.contains(point) {
            return Err(GeometryError::OutsideBoundingBox);
        }
        Ok(point)
    }
}

fn geojson(object: &Map<String, Value>) -> Result<Point, GeometryError> {
    let is_point = object
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("point"));
    let coordinates = object.get("coordinates").and_then(Value::as_array);
    match (is_point, coordinates.map(Vec::as_slice)) {
        (true, Some([lon, lat] | [lon, lat, _])) => {
            finite_point(lon.as_f64(), lat.as_f64()).ok_or(GeometryError::InvalidFormat)
        }
        _ => Err(GeometryError::InvalidFormat),
    }
}

fn finite_point(lon: Option<f64>, lat: Option<f64>) -> Option<Point> {
    let (lon, lat) = (lon?, lat?);
    (lon.is_finite() && lat.is_finite()).then_some(Point { lon, lat })
}

/// GeoJSON text, (E)WKT or hex (E)WKB; the SRID when the notation names one.
fn text_geometry(text: &str) -> Result<(Point, Option<u32>), GeometryError> {
    if text.starts_with('{') {
        let value: Value = serde_json::from_str(text).map_err(|_| GeometryError::InvalidFormat)?;
        return match value {
            Value::Object(object) => Ok((geojson(&object)?, None)),
            _ => Err(GeometryError::InvalidFormat),
        };
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return hex_wkb(text).ok_or(GeometryError::InvalidFormat);
    }
    wkt(text).ok_or(GeometryError::InvalidFormat)
}

fn wkt(text: &str) -> Option<(Point, Option<u32>)> {
    let (srid, body) = match text.split_once(';') {
        Some((prefix, body)) => {
            let (key, number) = prefix.trim().split_once('=')?;
            if !key.trim().eq_ignore_ascii_case("srid") {
                return None;
            }
            (Some(number.trim().parse::<u32>().ok()?), body.trim())
        }
        None => (None, text),
    };
    let rest = body.get(..5).filter(|p| p.eq_ignore_ascii_case("point"))?;
    let rest = body[rest.len()..].trim_start();
    let rest = match rest.get(..1) {
        Some("z" | "Z") => rest[1..].trim_start(),
        _ => rest,
    };
    let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
    let numbers: Vec<f64> = inner
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    match numbers.as_slice() {
        [lon, lat] | [lon, lat, _] => Some((finite_point(Some(*lon), Some(*lat))?, srid)),
        _ => None,
    }
}

/// A point in (extended) well-known binary, hex encoded; an empty point
/// (NaN coordinates) is refused.
fn hex_wkb(text: &str) -> Option<(Point, Option<u32>)> {
    if text.len() % 2 != 0 {
        return None;
    }
    let bytes: Vec<u8> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16))
        .collect::<Result<_, _>>()
        .ok()?;
    let little = match bytes.first()? {
        0 => false,
        1 => true,
        _ => return None,
    };
    let u32_at = |at: usize| -> Option<u32> {
        let raw: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if little {
            u32::from_le_bytes(raw)
        } else {
            u32::from_be_bytes(raw)
        })
    };
    let f64_at = |at: usize| -> Option<f64> {
        let raw: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
        Some(if little {
            f64::from_le_bytes(raw)
        } else {
            f64::from_be_bytes(raw)
        })
    };
    let kind = u32_at(1)?;
    const EWKB_Z: u32 = 0x8000_0000;
    const EWKB_M: u32 = 0x4000_0000;
    const EWKB_SRID: u32 = 0x2000_0000;
    let flags = kind & 0xF000_0000;
    let iso = kind & 0x0FFF_FFFF;
    let (geometry, iso_dims) = (iso % 1000, iso / 1000);
    if geometry != 1 || iso_dims > 3 {
        return None;
    }
    let extra_dims = u32::from(flags & EWKB_Z != 0)
        + u32::from(flags & EWKB_M != 0)
        + match iso_dims {
            0 => 0,
            3 => 2,
            _ => 1,
        };
    let (srid, start) = if flags & EWKB_SRID != 0 {
        (Some(u32_at(5)?), 9)
    } else {
        (None, 5)
    };
    let end = start + 16 + 8 * extra_dims as usize;
    if bytes.len() != end {
        return None;
    }
    Some((finite_point(f64_at(start), f64_at(start + 8))?, srid))
}

/// The area signals are accepted for (`BOUNDING_BOX`, spec 05 §7), bounds
/// included.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl Default for BoundingBox {
    /// The reference's default, `3.3,50.7,7.3,53.6`: the Netherlands.
    fn default() -> Self {
        BoundingBox {
            min_lon: 3.3,
            min_lat: 50.7,
            max_lon: 7.3,
            max_lat: 53.6,
        }
    }
}

impl BoundingBox {
    /// `min_lon,min_lat,max_lon,max_lat`, the setting's notation.
    pub fn parse(setting: &str) -> Option<BoundingBox> {
        let numbers: Vec<f64> = setting
            .split(',')
            .map(|n| n.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .ok()?;
        match numbers.as_slice() {
            [min_lon, min_lat, max_lon, max_lat]
                if numbers.iter().all(|n| n.is_finite())
                    && min_lon <= max_lon
                    && min_lat <= max_lat =>
            {
                Some(BoundingBox {
                    min_lon: *min_lon,
                    min_lat: *min_lat,
                    max_lon: *max_lon,
                    max_lat: *max_lat,
                })
            }
            _ => None,
        }
    }

    pub fn contains(&self, point: Point) -> bool {
        (self.min_lon..=self.max_lon).contains(&point.lon)
            && (self.min_lat..=self.max_lat).contains(&point.lat)
    }
}

/// A city district of Amsterdam (`stadsdeel`, spec 01 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stadsdeel {
    Centrum,
    Westpoort,
    West,
    Oost,
    Noord,
    Zuidoost,
    Zuid,
    NieuwWest,
    HetAmsterdamseBos,
    Weesp,
}

impl Stadsdeel {
    pub const ALL: [Stadsdeel; 10] = [
        Stadsdeel::Centrum,
        Stadsdeel::Westpoort,
        Stadsdeel::West,
        Stadsdeel::Oost,
        Stadsdeel::Noord,
        Stadsdeel::Zuidoost,
        Stadsdeel::Zuid,
        Stadsdeel::NieuwWest,
        Stadsdeel::HetAmsterdamseBos,
        Stadsdeel::Weesp,
    ];

    /// The one-letter code stored and exchanged.
    pub const fn code(self) -> &'static str {
        match self {
            Stadsdeel::Centrum => "A",
            Stadsdeel::Westpoort => "B",
            Stadsdeel::West => "E",
            Stadsdeel::Oost => "M",
            Stadsdeel::Noord => "N",
            Stadsdeel::Zuidoost => "T",
            Stadsdeel::Zuid => "K",
            Stadsdeel::NieuwWest => "F",
            Stadsdeel::HetAmsterdamseBos => "H",
            Stadsdeel::Weesp => "W",
        }
    }

    /// The display name (history texts, `Stadsdeel: Centrum`).
    pub const fn name(self) -> &'static str {
        match self {
            Stadsdeel::Centrum => "Centrum",
            Stadsdeel::Westpoort => "Westpoort",
            Stadsdeel::West => "West",
            Stadsdeel::Oost => "Oost",
            Stadsdeel::Noord => "Noord",
            Stadsdeel::Zuidoost => "Zuidoost",
            Stadsdeel::Zuid => "Zuid",
            Stadsdeel::NieuwWest => "Nieuw-West",
            Stadsdeel::HetAmsterdamseBos => "Het Amsterdamse Bos",
            Stadsdeel::Weesp => "Weesp",
        }
    }

    /// The district for a code, exact (the reference's choice field).
    pub fn from_code(code: &str) -> Option<Stadsdeel> {
        Stadsdeel::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The district an area of type `sia-stadsdeel` stands for, by its code
    /// in any case (`AREA_STADSDEEL_TRANSLATION`); `None` for other codes.
    pub fn from_area_code(area_code: &str) -> Option<Stadsdeel> {
        Some(match area_code.to_lowercase().as_str() {
            "het-amsterdamse-bos" => Stadsdeel::HetAmsterdamseBos,
            "zuidoost" => Stadsdeel::Zuidoost,
            "centrum" => Stadsdeel::Centrum,
            "noord" => Stadsdeel::Noord,
            "westpoort" => Stadsdeel::Westpoort,
            "west" => Stadsdeel::West,
            "nieuw-west" => Stadsdeel::NieuwWest,
            "oost" => Stadsdeel::Oost,
            "zuid" | "stadsdeel-zuid" => Stadsdeel::Zuid,
            "weesp" => Stadsdeel::Weesp,
            _ => return None,
        })
    }
}

impl fmt::Display for Stadsdeel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The area type whose areas give the district (`sia-stadsdeel`).
pub const STADSDEEL_AREA_TYPE: &str = "sia-stadsdeel";

/// The district of a new location (spec 01 §3.1, step 1): the one of the
/// `sia-stadsdeel` area containing the point when its code maps to one,
/// else what the client sent.
pub fn derive_stadsdeel(
    containing_area_code: Option<&str>,
    client: Option<Stadsdeel>,
) -> Option<Stadsdeel> {
    containing_area_code
        .and_then(Stadsdeel::from_area_code)
        .or(client)
}

/// Longest `address_text` and `postcode` the database stores.
pub const ADDRESS_TEXT_MAX_CHARS: usize = 256;
pub const POSTCODE_MAX_CHARS: usize = 7;

/// The address keys the reference reads.
pub const ADDRESS_KEYS: [&str; 6] = [
    "openbare_ruimte",
    "huisnummer",
    "huisletter",
    "huisnummer_toevoeging",
    "postcode",
    "woonplaats",
];

/// A refused address key, or an address too long to store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// `openbare_ruimte` or `huisnummer` missing from a non-empty address
    /// (the reference's address validation fails with a server error).
    #[error("Dit veld is vereist.")]
    Missing(&'static str),
    /// A value that is not a string (`huisnummer`: nor an integer).
    #[error("Not a valid string.")]
    NotAString(&'static str),
    /// The computed `postcode` is longer than the column.
    #[error("Zorg ervoor dat dit veld niet meer dan {POSTCODE_MAX_CHARS} karakters bevat.")]
    PostcodeTooLong,
    /// The computed `address_text` is longer than the column.
    #[error("Zorg ervoor dat dit veld niet meer dan {ADDRESS_TEXT_MAX_CHARS} karakters bevat.")]
    TooLong,
}

impl AddressError {
    /// The address key the error is about; `None` for the whole address.
    pub fn key(&self) -> Option<&'static str> {
        match self {
            AddressError::Missing(key) | AddressError::NotAString(key) => Some(key),
            AddressError::PostcodeTooLong => Some("postcode"),
            AddressError::TooLong => None,
        }
    }
}

/// An address object as stored in `signals_location.address` (keys as the
/// reference reads them; other keys are kept as sent).
#[derive(Debug, Clone, Copy)]
pub struct Address<'a>(pub &'a Map<String, Value>);

impl<'a> Address<'a> {
    /// Checks a non-empty address: the keys the address service needs are
    /// present, the known keys hold strings (or null; `huisnummer` may be an
    /// integer), and the computed texts fit their columns. Key errors come
    /// first, in [`ADDRESS_KEYS`] order; the lengths are checked only
    /// without them.
    pub fn check(&self) -> Vec<AddressError> {
        let mut errors = Vec::new();
        if self.0.is_empty() {
            return errors;
        }
        for key in ADDRESS_KEYS {
            match (key, self.0.get(key)) {
                ("openbare_ruimte" | "huisnummer", None | Some(Value::Null)) => {
                    errors.push(AddressError::Missing(key));
                }
                ("huisnummer", Some(Value::Number(n))) if n.is_i64() || n.is_u64() => {}
                (_, None | Some(Value::Null) | Some(Value::String(_))) => {}
                (_, Some(_)) => errors.push(AddressError::NotAString(key)),
            }
        }
        if errors.is_empty() {
            if self.postcode().chars().count() > POSTCODE_MAX_CHARS {
                errors.push(AddressError::PostcodeTooLong);
            } else if self.address_text().chars().count() > ADDRESS_TEXT_MAX_CHARS {
                errors.push(AddressError::TooLong);
            }
        }
        errors
    }

    fn part(&self, key: &str) -> String {
        match self.0.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        }
    }

    /// `-<huisnummer_toevoeging>` when that is not blank.
    fn addition(&self) -> String {
        let addition = self.part("huisnummer_toevoeging");
        if addition.trim().is_empty() {
            String::new()
        } else {
            format!("-{addition}")
        }
    }

    /// `"{O} {h}{l}{T}"`: `Amstel 1`, `De Ruijterkade 36A-2`.
    pub fn short_text(&self) -> String {
        format!(
            "{} {}{}{}",
            self.part("openbare_ruimte"),
            self.part("huisnummer"),
            self.part("huisletter"),
            self.addition()
        )
    }

    /// `"{O} {h}{l}{T} {p} {W}"`: `Amstel 1 1011PN Amsterdam`.
    pub fn address_text(&self) -> String {
        format!(
            "{} {} {}",
            self.short_text(),
            self.part("postcode"),
            self.part("woonplaats")
        )
    }

    /// The postcode as stored in the address (`""` without one).
    pub fn postcode(&self) -> String {
        self.part("postcode")
    }
}

/// `address_text` and `postcode` of a location, as the reference computes
/// them on save: from a non-empty address its texts; otherwise `""` and no
/// postcode.
pub fn address_columns(address: Option<&Value>) -> (String, Option<String>) {
    match address {
        Some(Value::Object(map)) if !map.is_empty() => {
            let address = Address(map);
            (address.address_text(), Some(address.postcode()))
        }
        _ => (String::new(), None),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(value: Value) -> Result<Point, GeometryError> {
        Point::from_geometrie(&value, &BoundingBox::default())
    }

    #[test]
    fn a_geojson_point_in_the_netherlands_is_accepted() {
        let point = read(json!({"type": "Point", "coordinates": [4.90022563, 52.36768424]}))
            .expect("a point");
        assert_eq!(
            point,
            Point {
                lon: 4.90022563,
                lat: 52.36768424
            }
        );
        assert!(read(json!({"type": "point", "coordinates": [5, 52]})).is_ok());
        assert!(
            read(json!({"type": "Point", "coordinates": [5, 52, 3.5]})).is_ok(),
            "a Z value is dropped"
        );
    }

    #[test]
    fn the_bounding_box_includes_its_edges() {
        assert!(read(json!({"type": "Point", "coordinates": [3.3, 50.7]})).is_ok());
        assert!(read(json!({"type": "Point", "coordinates": [7.3, 53.6]})).is_ok());
        for outside in [[3.29, 52.0], [7.31, 52.0], [5.0, 50.69], [5.0, 53.61]] {
            assert_eq!(
                read(json!({"type": "Point", "coordinates": outside})),
                Err(GeometryError::OutsideBoundingBox),
                "{outside:?}"
            );
        }
    }

    #[test]
    fn swapped_coordinates_fall_outside_the_box() {
        assert_eq!(
            read(json!({"type": "Point", "coordinates": [52.37, 4.9]})),
            Err(GeometryError::OutsideBoundingBox)
        );
    }

    #[test]
    fn wkt_ewkt_hex_and_geojson_text_are_read_too() {
        let expected = Point {
            lon: 4.9,
            lat: 52.3,
        };
        assert_eq!(read(json!("POINT (4.9 52.3)")), Ok(expected));
        assert_eq!(read(json!("point(4.9 52.3)")), Ok(expected));
        assert_eq!(read(json!("SRID=4326;POINT Z (4.9 52.3 1)")), Ok(expected));
        assert_eq!(
            read(json!(r#"{"type": "Point", "coordinates": [4.9, 52.3]}"#)),
            Ok(expected)
        );
        // ST_AsHEXEWKB(ST_SetSRID(ST_MakePoint(4.9, 52.3), 4326)) and plain WKB
        assert_eq!(
            read(json!("0101000020E61000009A999999999913406666666666264A40")),
            Ok(expected)
        );
        assert_eq!(
            read(json!("01010000009A999999999913406666666666264A40")),
            Ok(expected)
        );
    }

    #[test]
    fn another_reference_system_is_outside_the_box() {
        assert_eq!(
            read(json!("SRID=28992;POINT (121000 487000)")),
            Err(GeometryError::OutsideBoundingBox)
        );
        assert_eq!(
            read(json!("SRID=28992;POINT (4.9 52.3)")),
            Err(GeometryError::OutsideBoundingBox)
        );
    }

    #[test]
    fn what_is_not_a_point_is_an_invalid_format() {
        for value in [
            json!(null),
            json!(""),
            json!(12),
            json!([4.9, 52.3]),
            json!({"type": "LineString", "coordinates": [[4.9, 52.3], [4.8, 52.2]]}),
            json!({"type": "Point"}),
            json!({"type": "Point", "coordinates": []}),
            json!({"type": "Point", "coordinates": [4.9]}),
            json!({"type": "Point", "coordinates": ["4.9", "52.3"]}),
            json!({"type": "Point", "coordinates": [4.9, 52.3, 1, 2]}),
            json!({"coordinates": [4.9, 52.3]}),
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [4.9, 52.3]}}),
            json!("POINT EMPTY"),
            json!("POINT (NaN 52)"),
            json!("POINT (inf 52)"),
            json!("LINESTRING (4.9 52.3, 4.8 52.2)"),
            json!("SRID=abc;POINT (4.9 52.3)"),
            json!("0101000000"),
            json!("010100000000000000000000F87F000000000000F87F"),
            json!("{not json"),
        ] {
            assert_eq!(
                read(value.clone()),
                Err(GeometryError::InvalidFormat),
                "{value}"
            );
        }
    }

    #[test]
    fn the_bounding_box_setting_is_four_numbers() {
        assert_eq!(
            BoundingBox::parse("3.3,50.7,7.3,53.6"),
            Some(BoundingBox::default())
        );
        assert_eq!(
            BoundingBox::parse(" 4.7, 52.2 ,5.1,52.5").map(|b| b.max_lat),
            Some(52.5)
        );
        for bad in [
            "",
            "1,2,3",
            "1,2,3,4,5",
            "a,b,c,d",
            "7,50,3,53",
            "NaN,1,2,3",
        ] {
            assert_eq!(BoundingBox::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn districts_come_from_the_area_code_in_any_case_else_from_the_client() {
        assert_eq!(
            Stadsdeel::from_area_code("Centrum"),
            Some(Stadsdeel::Centrum)
        );
        assert_eq!(
            Stadsdeel::from_area_code("stadsdeel-zuid"),
            Some(Stadsdeel::Zuid)
        );
        assert_eq!(Stadsdeel::from_area_code("amstelveen"), None);
        assert_eq!(
            derive_stadsdeel(Some("nieuw-west"), Some(Stadsdeel::Centrum)),
            Some(Stadsdeel::NieuwWest)
        );
        assert_eq!(
            derive_stadsdeel(Some("elders"), Some(Stadsdeel::Centrum)),
            Some(Stadsdeel::Centrum)
        );
        assert_eq!(derive_stadsdeel(None, None), None);
    }

    #[test]
    fn every_district_code_round_trips() {
        for stadsdeel in Stadsdeel::ALL {
            assert_eq!(Stadsdeel::from_code(stadsdeel.code()), Some(stadsdeel));
        }
        assert_eq!(Stadsdeel::from_code("a"), None);
        assert_eq!(Stadsdeel::NieuwWest.name(), "Nieuw-West");
    }

    #[test]
    fn address_text_and_postcode_are_computed_as_the_reference_does() {
        let amstel = json!({"openbare_ruimte": "Amstel", "huisnummer": 1, "huisletter": "",
                            "huisnummer_toevoeging": "", "postcode": "1011PN", "woonplaats": "Amsterdam"});
        assert_eq!(
            address_columns(Some(&amstel)),
            (
                "Amstel 1 1011PN Amsterdam".to_owned(),
                Some("1011PN".to_owned())
            )
        );
        let kade = json!({"openbare_ruimte": "De Ruijterkade", "huisnummer": "36", "huisletter": "A",
                          "huisnummer_toevoeging": "2", "postcode": "1012AA", "woonplaats": "Amsterdam"});
        assert_eq!(
            address_columns(Some(&kade)).0,
            "De Ruijterkade 36A-2 1012AA Amsterdam"
        );
        let frontend = json!({"openbare_ruimte": "Geldersekade", "huisnummer": "128E",
                              "postcode": "1012BN", "woonplaats": "Amsterdam"});
        assert_eq!(
            address_columns(Some(&frontend)).0,
            "Geldersekade 128E 1012BN Amsterdam"
        );
        assert_eq!(address_columns(None), (String::new(), None));
        assert_eq!(address_columns(Some(&json!({}))), (String::new(), None));
    }

    #[test]
    fn a_non_empty_address_needs_street_and_number_as_strings() {
        let check = |value: Value| match value {
            Value::Object(map) => Address(&map).check(),
            _ => unreachable!(),
        };
        assert!(check(json!({})).is_empty());
        assert!(check(json!({"openbare_ruimte": "Amstel", "huisnummer": 1})).is_empty());
        assert_eq!(
            check(json!({"postcode": "1011PN"})),
            vec![
                AddressError::Missing("openbare_ruimte"),
                AddressError::Missing("huisnummer")
            ]
        );
        assert_eq!(
            check(json!({"openbare_ruimte": ["Amstel"], "huisnummer": 1.5, "huisletter": null})),
            vec![
                AddressError::NotAString("openbare_ruimte"),
                AddressError::NotAString("huisnummer")
            ]
        );
        assert_eq!(
            check(json!({"openbare_ruimte": "Amstel", "huisnummer": 1, "postcode": "1011 PN A"})),
            vec![AddressError::PostcodeTooLong]
        );
        assert_eq!(
            check(json!({"openbare_ruimte": "A".repeat(300), "huisnummer": 1})),
            vec![AddressError::TooLong]
        );
        assert_eq!(AddressError::TooLong.key(), None);
    }
}
