//! Real, small files built byte by byte for the tests: each decodes in a
//! standard reader (a grey baseline JPEG, an RGB PNG with stored deflate
//! blocks, a GIF with a valid LZW stream, a one-page PDF with a correct
//! cross-reference table). Past 1 Mi pixels only the headers are written,
//! which is what a decompression bomb's header looks like.

use super::image::crc32;

const SMALL: u64 = 1 << 20;

fn be16(value: u32) -> [u8; 2] {
    (value as u16).to_be_bytes()
}

/// A grey baseline JPEG: all-ones quantisation, one-symbol Huffman tables
/// (DC difference 0, AC end-of-block), so every 8×8 block is two bits.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut out = vec![0xff, 0xd8];
    out.extend([0xff, 0xe0, 0x00, 0x10]);
    out.extend(b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00");
    out.extend([0xff, 0xdb, 0x00, 0x43, 0x00]);
    out.extend([1u8; 64]);
    out.extend([0xff, 0xc0, 0x00, 0x0b, 0x08]);
    out.extend(be16(height));
    out.extend(be16(width));
    out.extend([0x01, 0x01, 0x11, 0x00]);
    // DC table 0: one code of length 1 for category 0.
    out.extend([0xff, 0xc4, 0x00, 0x14, 0x00, 0x01]);
    out.extend([0u8; 15]);
    out.push(0x00);
    // AC table 0: one code of length 1 for EOB.
    out.extend([0xff, 0xc4, 0x00, 0x14, 0x10, 0x01]);
    out.extend([0u8; 15]);
    out.push(0x00);
    out.extend([0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00]);
    let blocks = u64::from(width.div_ceil(8)) * u64::from(height.div_ceil(8));
    if u64::from(width) * u64::from(height) <= SMALL {
        // two zero bits per block, padded with ones
        let bits = blocks * 2;
        let mut bytes = vec![0u8; bits.div_ceil(8) as usize];
        let used = bits % 8;
        if used != 0 {
            let last = bytes.len() - 1;
            bytes[last] = (1u8 << (8 - used)) - 1;
        }
        out.extend(bytes);
    }
    out.extend([0xff, 0xd9]);
    out
}

/// Where the SOF0 marker of [`jpeg`] starts.
pub fn jpeg_sof_offset(content: &[u8]) -> usize {
    content
        .windows(2)
        .position(|w| w == [0xff, 0xc0])
        .expect("SOF0")
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend(kind);
    out.extend(data);
    let crc = crc32(&out[start..]);
    out.extend(crc.to_be_bytes());
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in bytes {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

/// An 8-bit RGB PNG, every row filter 0, grey pixels, in stored deflate blocks.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend(width.to_be_bytes());
    header.extend(height.to_be_bytes());
    header.extend([8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &header);
    let mut zlib = vec![0x78, 0x01];
    if u64::from(width) * u64::from(height) <= SMALL {
        let mut raw = Vec::new();
        for _ in 0..height {
            raw.push(0);
            raw.extend(std::iter::repeat_n(0x80, width as usize * 3));
        }
        let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
        for (i, block) in blocks.iter().enumerate() {
            zlib.push(u8::from(i + 1 == blocks.len()));
            let len = block.len() as u16;
            zlib.extend(len.to_le_bytes());
            zlib.extend((!len).to_le_bytes());
            zlib.extend(*block);
        }
        zlib.extend(adler32(&raw).to_be_bytes());
    }
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A GIF89a with a two-colour table, a graphic control extension and one
/// frame of colour 0. The LZW stream clears before every pixel, so its
/// codes stay three bits wide.
pub fn gif(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"GIF89a".to_vec();
    out.extend((width as u16).to_le_bytes());
    out.extend((height as u16).to_le_bytes());
    out.extend([0x80, 0x00, 0x00]);
    out.extend([0x00, 0x00, 0x00, 0xff, 0xff, 0xff]);
    out.extend([0x21, 0xf9, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00]);
    out.push(0x2c);
    out.extend([0, 0, 0, 0]);
    out.extend((width as u16).to_le_bytes());
    out.extend((height as u16).to_le_bytes());
    out.push(0x00);
    out.push(0x02);
    if u64::from(width) * u64::from(height) <= SMALL {
        let (clear, end) = (4u32, 5u32);
        let mut codes = Vec::new();
        for _ in 0..u64::from(width) * u64::from(height) {
            codes.extend([clear, 0]);
        }
        codes.push(end);
        let mut data = Vec::new();
        let (mut acc, mut bits) = (0u32, 0u32);
        for code in codes {
            acc |= code << bits;
            bits += 3;
            while bits >= 8 {
                data.push(acc as u8);
                acc >>= 8;
                bits -= 8;
            }
        }
        if bits > 0 {
            data.push(acc as u8);
        }
        for block in data.chunks(255) {
            out.push(block.len() as u8);
            out.extend(block);
        }
    }
    out.push(0x00);
    out.push(0x3b);
    out
}

/// A one-page PDF 1.4 with a correct cross-reference table.
pub fn pdf() -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}
