//! What an image library reads when it opens a JPEG, PNG or GIF: the
//! signature and the header up to the image's dimensions. A file whose
//! header is missing, cut short or inconsistent does not open; the pixel
//! data after it is not read (the reference tolerates truncated images).

/// Pillow's decompression-bomb threshold (`Image.MAX_IMAGE_PIXELS`): above
/// it the reference's imaging library warns, at twice it refuses. We refuse
/// above it — a phone photo has some 12–50 million pixels.
pub const MAX_IMAGE_PIXELS: u64 = 89_478_485;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dimensions {
    pub width: u32,
    pub height: u32,
}

impl Dimensions {
    pub fn pixels(self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    fn new(width: u32, height: u32) -> Option<Self> {
        (width > 0 && height > 0).then_some(Dimensions { width, height })
    }
}

fn u16_be(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u16_le(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_be(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// A JPEG's frame size: the markers after SOI are walked, each segment by
/// its length, up to the first start-of-frame (any SOFn); a scan, the end of
/// the image or of the data before it means there is no frame.
pub fn jpeg(content: &[u8]) -> Option<Dimensions> {
    if content.get(..2)? != b"\xff\xd8" {
        return None;
    }
    let mut at = 2;
    loop {
        if *content.get(at)? != 0xff {
            return None;
        }
        while *content.get(at)? == 0xff {
            at += 1;
        }
        let marker = *content.get(at)?;
        at += 1;
        match marker {
            // TEM and RSTn stand alone.
            0x01 | 0xd0..=0xd7 => continue,
            // SOI again, SOS or EOI before any frame.
            0xd8 | 0xda | 0xd9 | 0x00 => return None,
            _ => {}
        }
        let length = usize::from(u16_be(content, at)?);
        if length < 2 {
            return None;
        }
        let is_frame = matches!(marker, 0xc0..=0xcf) && !matches!(marker, 0xc4 | 0xc8 | 0xcc);
        if is_frame {
            let segment = content.get(at..at + length)?;
            // length, precision, height, width, components, 3 bytes each
            let components = usize::from(*segment.get(7)?);
            if components == 0 || length != 8 + 3 * components {
                return None;
            }
            let precision = segment[2];
            if !matches!(precision, 8 | 12 | 16) {
                return None;
            }
            return Dimensions::new(
                u32::from(u16_be(segment, 5)?),
                u32::from(u16_be(segment, 3)?),
            );
        }
        at += length;
    }
}

/// A PNG's size from its first chunk, which must be a well-formed `IHDR`
/// with a matching CRC and a valid bit depth for its colour type.
pub fn png(content: &[u8]) -> Option<Dimensions> {
    if content.get(..8)? != b"\x89PNG\r\n\x1a\n" {
        return None;
    }
    let chunk = content.get(8..8 + 4 + 4 + 13 + 4)?;
    if u32_be(chunk, 0)? != 13 || &chunk[4..8] != b"IHDR" {
        return None;
    }
    if crc32(&chunk[4..21]) != u32_be(chunk, 21)? {
        return None;
    }
    let (width, height) = (u32_be(chunk, 8)?, u32_be(chunk, 12)?);
    if width > i32::MAX as u32 || height > i32::MAX as u32 {
        return None;
    }
    let (depth, colour, compression, filter, interlace) =
        (chunk[16], chunk[17], chunk[18], chunk[19], chunk[20]);
    let depth_ok = match colour {
        0 => matches!(depth, 1 | 2 | 4 | 8 | 16),
        3 => matches!(depth, 1 | 2 | 4 | 8),
        2 | 4 | 6 => matches!(depth, 8 | 16),
        _ => false,
    };
    if !depth_ok || compression != 0 || filter != 0 || interlace > 1 {
        return None;
    }
    Dimensions::new(width, height)
}

/// A GIF's size: the logical screen, after walking the colour table and
/// extension blocks to the first image descriptor, whose frame must lie
/// inside a screen of at most [`MAX_IMAGE_PIXELS`] when both are counted.
pub fn gif(content: &[u8]) -> Option<Dimensions> {
    let header = content.get(..6)?;
    if header != b"GIF87a" && header != b"GIF89a" {
        return None;
    }
    let screen_width = u32::from(u16_le(content, 6)?);
    let screen_height = u32::from(u16_le(content, 8)?);
    let flags = *content.get(10)?;
    let mut at = 13;
    if flags & 0x80 != 0 {
        at += 3 << ((flags & 0x07) + 1);
    }
    loop {
        match *content.get(at)? {
            // extension: label, then data sub-blocks up to a zero length
            0x21 => {
                at += 2;
                loop {
                    let size = usize::from(*content.get(at)?);
                    at += 1 + size;
                    if size == 0 {
                        break;
                    }
                }
            }
            // image descriptor: left, top, width, height, flags
            0x2c => {
                let descriptor = content.get(at + 1..at + 10)?;
                let width = u32::from(u16_le(descriptor, 4)?);
                let height = u32::from(u16_le(descriptor, 6)?);
                let frame = Dimensions::new(width, height)?;
                // Readers grow the screen to hold the frame.
                let screen = Dimensions::new(
                    screen_width.max(u32::from(u16_le(descriptor, 0)?) + frame.width),
                    screen_height.max(u32::from(u16_le(descriptor, 2)?) + frame.height),
                )?;
                return Some(screen);
            }
            _ => return None,
        }
    }
}

/// CRC-32 (ISO-HDLC, PNG's), bit by bit: run once per upload over 17 bytes.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    #[test]
    fn crc32_matches_the_check_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
    }

    #[test]
    fn a_jpeg_frame_is_found_after_other_segments_and_fill_bytes() {
        let mut content = fixtures::jpeg(33, 17);
        assert_eq!(
            jpeg(&content),
            Some(Dimensions {
                width: 33,
                height: 17
            })
        );
        // Fill bytes before a marker are allowed.
        content.splice(2..2, [0xff, 0xff]);
        assert_eq!(jpeg(&content).map(|d| d.width), Some(33));
    }

    #[test]
    fn a_jpeg_without_a_frame_or_with_a_broken_one_has_no_size() {
        assert_eq!(jpeg(b"\xff\xd8\xff\xda\x00\x08"), None);
        assert_eq!(jpeg(b"\xff\xd8\xff\xd9"), None);
        assert_eq!(jpeg(b"\xff\xd8\x00\x00"), None);
        assert_eq!(jpeg(b"\xff\xd8\xff\xe0\x00\x01"), None);
        let content = fixtures::jpeg(0, 8);
        assert_eq!(jpeg(&content), None, "zero width");
    }

    #[test]
    fn a_png_with_a_bad_colour_type_or_depth_has_no_size() {
        let mut content = fixtures::png(4, 4);
        content[24] = 3; // bit depth 3 is not a PNG depth
        let crc = crc32(&content[12..29]).to_be_bytes();
        content[29..33].copy_from_slice(&crc);
        assert_eq!(png(&content), None);
    }

    #[test]
    fn gif_extensions_are_skipped_to_the_first_frame() {
        let content = fixtures::gif(5, 7);
        assert_eq!(
            gif(&content),
            Some(Dimensions {
                width: 5,
                height: 7
            })
        );
        assert_eq!(gif(b"GIF89a\x01\x00\x01\x00\x00\x00\x00\x3b"), None);
    }
}
